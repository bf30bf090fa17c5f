"""Pelican glue: take the posts from the build's context, write the feed files."""

import logging
import os

from .entries import (
    PostProblems,
    entry_from_article,
    image_enclosure,
    image_path,
    newest_first,
    post_problems,
)
from .json_feed import json_feed
from .plan import plan_feeds, template_links
from .rss_atom import atom_xml, rss_xml
from .settings import read_settings

logger = logging.getLogger(__name__)

CONTEXT_KEY = "FEEDS"
"""Templates get FEEDS (see `plan.template_links`), or None when no feeds are written."""
WRITERS = {"rss": rss_xml, "atom": atom_xml, "json": json_feed}


class FeedsGenerator:
    """Plans the feeds once the posts are read and writes them once every URL is known.

    Planning happens in `generate_context`, before any page is written, because every
    page links to the feeds, and so that a post the feeds cannot describe stops the
    build before anything is written.
    """

    def __init__(self, context, settings, path, theme, output_path, *args, **kwargs):
        self.context = context
        self.settings = settings
        self.output_path = output_path
        self.config = read_settings(settings)
        self.feeds = []
        self.articles = []
        self.by_category = {}

    def generate_context(self):
        self.context[CONTEXT_KEY] = None
        self.articles = [a for a in self.context.get("articles", ()) if a.status == "published"]
        # Checked in local builds too, so an author hears of a problem before publishing.
        problems = post_problems(self.articles, self.settings.get("TIMEZONE", "UTC"))
        if problems:
            raise PostProblems(problems)
        if not self.config.enabled:
            logger.info("Feeds not written: they need an absolute SITEURL and no RELATIVE_URLS")
            return
        if not self.articles:
            return
        categories = self.context.get("categories", ())
        self.by_category = {category.slug: posts for category, posts in categories}
        self.feeds = plan_feeds(self.config, [(c.name, c.slug, c.url) for c, _ in categories])
        self.context[CONTEXT_KEY] = template_links(self.feeds)

    def generate_output(self, writer):
        entries = {}
        for feed in self.feeds:
            posts = self.articles if feed.category is None else self.by_category[feed.category]
            feed_entries = []
            for article in newest_first(posts, self.config.max_items):
                # A post is in several feeds; its HTML is made absolute only once.
                if article.post_id not in entries:
                    entries[article.post_id] = entry_from_article(
                        article, self.config.siteurl, self._image(article)
                    )
                feed_entries.append(entries[article.post_id])
            self._write(feed.path, WRITERS[feed.format](feed, feed_entries))
        if self.feeds:
            logger.info("Feeds: wrote %d files with %d posts", len(self.feeds), len(entries))

    def _image(self, article):
        """The enclosure for the post's `Image:`, if it names a file the site publishes."""
        value = article.metadata.get("image")
        path = image_path(value)
        if path is None:
            return None
        static = self.context.get("static_content", {}).get(path)
        if static is None:
            logger.warning(
                "%s: the feeds have no enclosure for 'Image: %s': there is no such file under "
                "%s in the content folder",
                os.path.relpath(article.source_path),
                value,
                " or ".join(self.settings.get("STATIC_PATHS", [])),
            )
            return None
        return image_enclosure(
            f"{self.config.siteurl}/{static.url}", os.path.getsize(static.source_path)
        )

    def _write(self, relative, data):
        target = os.path.join(self.output_path, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(data)
