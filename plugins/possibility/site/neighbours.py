"""Link each post to the one before and after it, for "previous / next" navigation.

Sets `article.prev_article` (older) and `article.next_article` (newer) on every
published post, following the site's article order (newest first).
"""

from pelican import signals


def link_neighbors(generator):
    articles = generator.articles
    for index, article in enumerate(articles):
        article.next_article = articles[index - 1] if index > 0 else None
        article.prev_article = articles[index + 1] if index + 1 < len(articles) else None


def register():
    signals.article_generator_finalized.connect(link_neighbors)
