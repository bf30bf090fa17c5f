"""Which feed files a build writes, where they are served, and the links pages show.

Decided before any page is written, because every page's `<head>` links to the feeds.
"""

from dataclasses import dataclass

from .settings import FeedsSettingsError

MEDIA_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}
LABELS = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}


@dataclass(frozen=True)
class Feed:
    """One feed file and its channel: everything a writer needs besides the entries."""

    format: str
    path: str
    url: str
    title: str
    description: str
    home_url: str
    language: str
    author: str | None
    category: str | None = None
    """The slug of the category the feed covers; None for the whole site."""

    @property
    def media_type(self):
        return MEDIA_TYPES[self.format]

    @property
    def label(self):
        return LABELS[self.format]


def plan_feeds(config, categories):
    """The feeds to write: the whole site's, then each category's, in `config` order.

    `categories` are (name, slug, url) of the categories that have published posts.
    Two feeds may not share a file (a category slugged "all" would overwrite the
    site's feed), so that is an error naming both.
    """
    siteurl = config.siteurl
    common = {"language": config.language, "author": config.author}
    feeds = [
        Feed(
            format=fmt,
            path=path,
            url=f"{siteurl}/{path}",
            title=config.sitename,
            description=config.description,
            home_url=f"{siteurl}/",
            **common,
        )
        for fmt, path in config.site_paths.items()
    ]
    for name, slug, url in categories:
        for fmt, pattern in config.category_paths.items():
            path = pattern.format(slug=slug)
            feeds.append(
                Feed(
                    format=fmt,
                    path=path,
                    url=f"{siteurl}/{path}",
                    title=f"{config.sitename} · {name}",
                    description=f"Posts in {name} from {config.sitename}.",
                    home_url=f"{siteurl}/{url}",
                    category=slug,
                    **common,
                )
            )
    _check_distinct_paths(feeds)
    return feeds


def _check_distinct_paths(feeds):
    owners = {}
    for feed in feeds:
        owner = f"the {feed.category!r} category's {feed.label} feed" if feed.category else (
            f"the site's {feed.label} feed"
        )
        if feed.path in owners:
            raise FeedsSettingsError(
                f"{owners[feed.path]} and {owner} would both be written to {feed.path}: "
                f"change FEEDS_CATEGORY_{feed.format.upper()} or the category's slug"
            )
        owners[feed.path] = owner


def template_links(feeds):
    """What the theme's feed partials need: `site` feeds and each category's, by slug."""
    links = {"site": [], "categories": {}}
    for feed in feeds:
        if feed.category is None:
            links["site"].append(feed)
        else:
            links["categories"].setdefault(feed.category, []).append(feed)
    return links
