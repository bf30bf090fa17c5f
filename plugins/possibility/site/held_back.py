"""Every build names each post held back by its date, and when it goes out.

With WITH_FUTURE_DATES = False, Pelican makes a post dated in the future a draft: it is
left out of the site (a local build shows it under /drafts/), and the build only counts
"1 draft". Here each such post (one not marked `Status: draft`) is named, as a warning,
with its date in the site's TIMEZONE and how long until then
(`possibility.core.held_back`, the words the author's commands use too):

    content/posts/x.md is dated 2026-12-01 14:30 EST (in 4 h 55 min): it is published by
    the first build after that
"""

import logging
from datetime import UTC, datetime
from itertools import chain

from pelican import signals

from possibility.common import shown_path
from possibility.core.held_back import held_back_text, is_held_back

logger = logging.getLogger(__name__)
# Pelican's loggers drop a warning already logged by the process (its LimitFilter): the
# same post held back at the next build of `invoke livereload` must still be named.
if hasattr(logger, "disable_filter"):
    logger.disable_filter()


def held_back(generator, now=None):
    """The held-back posts of an articles generator, oldest date first."""
    if generator.settings.get("WITH_FUTURE_DATES", True):
        return []
    now = now or datetime.now(UTC)
    posts = [
        article
        for article in chain(generator.drafts, getattr(generator, "drafts_translations", ()))
        if str(article.metadata.get("status") or "published").lower() != "draft"
        and is_held_back(getattr(article, "date", None), now)
    ]
    return sorted(posts, key=lambda article: (article.date, article.source_path))


def name_held_back(generator):
    """Signal handler (article_generator_finalized)."""
    now = datetime.now(UTC)
    timezone = generator.settings.get("TIMEZONE") or "UTC"
    for article in held_back(generator, now):
        logger.warning(
            "%s", held_back_text(shown_path(article.source_path, generator.settings["PATH"]),
                                 article.date, now, timezone)
        )


def register():
    signals.article_generator_finalized.connect(name_held_back)
