"""Every setting the feeds read, checked in one place, with its default.

FEEDS_ALL_RSS ["feeds/all.rss.xml"], FEEDS_ALL_ATOM ["feeds/all.atom.xml"],
FEEDS_ALL_JSON ["feeds/all.json"]
    Where the whole site's RSS 2.0, Atom 1.0 and JSON Feed 1.1 are written, relative to
    OUTPUT_PATH (and served at the same path under SITEURL). Empty or None: not written.
FEEDS_CATEGORY_RSS ["feeds/{slug}.rss.xml"], FEEDS_CATEGORY_ATOM ["feeds/{slug}.atom.xml"]
    The same for each category; `{slug}` is the category's slug. Empty or None: not written.
FEED_MAX_ITEMS [20]
    The newest posts each feed holds; None: all of them. The name is Pelican's (its own
    feeds are off: all of its FEED_* paths are None), and so is the default a build
    sees unless a settings file sets it (100): `pelicanconf.py` sets 20.

Feeds need absolute URLs, so they are written only when SITEURL is absolute and
RELATIVE_URLS is off (with it on, Pelican makes a post's links relative to whichever
page it wrote last), as in `publishconf.py`. A local build writes no feeds and no links
to them rather than feeds whose links point nowhere.
The channel's title, description, language and author come from SITENAME,
SITEDESCRIPTION (else SITESUBTITLE), DEFAULT_LANG and AUTHOR.
"""

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from possibility.common import SettingsError, absolute_siteurl, number

DEFAULT_PATHS = {
    "FEEDS_ALL_RSS": "feeds/all.rss.xml",
    "FEEDS_ALL_ATOM": "feeds/all.atom.xml",
    "FEEDS_ALL_JSON": "feeds/all.json",
    "FEEDS_CATEGORY_RSS": "feeds/{slug}.rss.xml",
    "FEEDS_CATEGORY_ATOM": "feeds/{slug}.atom.xml",
}
DEFAULT_MAX_ITEMS = 20


class FeedsSettingsError(SettingsError):
    """A feeds setting has a value the plugin cannot use; the message says which."""


@dataclass(frozen=True)
class FeedsSettings:
    siteurl: str | None
    """The absolute SITEURL without a trailing slash; None when no feeds are written."""
    site_paths: dict = field(default_factory=dict)
    """format ("rss", "atom", "json") -> output path of the whole site's feed."""
    category_paths: dict = field(default_factory=dict)
    """format -> output path pattern with `{slug}`, for each category's feed."""
    max_items: int | None = DEFAULT_MAX_ITEMS
    sitename: str = ""
    description: str = ""
    language: str = "en"
    author: str | None = None

    @property
    def enabled(self):
        return self.siteurl is not None


def read_settings(settings):
    """The plugin's settings from Pelican's `settings` dict, checked."""
    siteurl = absolute_siteurl(settings)

    site_paths, category_paths = {}, {}
    for name in DEFAULT_PATHS:
        path = _checked_path(name, settings.get(name, DEFAULT_PATHS[name]))
        if not path:
            continue
        scope, fmt = name.split("_")[1:]
        if scope == "CATEGORY":
            category_paths[fmt.lower()] = path
        else:
            site_paths[fmt.lower()] = path

    max_items = settings.get("FEED_MAX_ITEMS", DEFAULT_MAX_ITEMS)
    if max_items is not None:
        max_items = number("FEED_MAX_ITEMS", max_items, 1, whole=True, error=FeedsSettingsError)

    sitename = str(settings.get("SITENAME") or "")
    return FeedsSettings(
        siteurl=siteurl,
        site_paths=site_paths,
        category_paths=category_paths,
        max_items=max_items,
        sitename=sitename,
        description=str(
            settings.get("SITEDESCRIPTION") or settings.get("SITESUBTITLE") or sitename
        ),
        language=str(settings.get("DEFAULT_LANG") or "en"),
        author=settings.get("AUTHOR") or None,
    )


def _checked_path(name, path):
    if not path:
        return None
    if not isinstance(path, str):
        raise FeedsSettingsError(f"{name} must be a path such as {DEFAULT_PATHS[name]!r}")
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or path.endswith("/"):
        raise FeedsSettingsError(
            f"{name} must be a file path inside the output folder, such as "
            f"{DEFAULT_PATHS[name]!r}, not {path!r}"
        )
    if "CATEGORY" in name:
        try:
            filled = path.format(slug="x")
        except (KeyError, IndexError, ValueError) as exc:
            raise FeedsSettingsError(
                f"{name} may only use {{slug}} as a placeholder, not {path!r}"
            ) from exc
        if filled == path:
            raise FeedsSettingsError(
                f"{name} must contain {{slug}} so each category gets its own file, "
                f"not {path!r}"
            )
    return path
