"""A link or an image that points at nothing stops the build, naming the Markdown file, the
link as written and the fix.

Pelican on its own logs "Unable to find '{filename}/posts/x.md'" without saying which file
holds the link, and writes the page with the link left as written: broken for readers.
Here, once every post, page and static file is known and before anything is written:

- every `{filename}`, `{static}` and `{attach}` link (and an indicator Pelican does not
  know, such as `{filname}`) must reach a post, page or file (`pelican_links`);
- every image given by a plain path (`../images/x.jpg`, `/images/x.jpg`) must be a file
  the site publishes.

The links are read from the HTML when the reader converts a file (kept in Pelican's content
cache with it), from the body and the Summary. The fix is the closest existing file
(`difflib`), or where to put the missing one.

The same pass records which source file each page is written from; the build leaves it on
the Pelican object (`content_sources`, {output path: path relative to the content folder})
for the publish checks to name files, not pages.
"""

import difflib
import os
import posixpath
from urllib.parse import unquote, urlsplit

from lxml import etree
from pelican.contents import Article
from pelican.generators import ArticlesGenerator, PagesGenerator

from possibility.common import ProblemsError, shown_path

from .pelican_links import ALWAYS, BY_PATH, URL_ATTRIBUTES, intrasite_pattern, linked, source_key

LINKS_KEY = "possibility_links"  # metadata: ((kind, value), ...) recorded by the reader
IMAGE_TAGS = ("img", "source")

_sources = None  # {save_as: source} of the build in progress, for `record_sources`


class BrokenLinks(ProblemsError):
    """Links or images in the sources that reach nothing; one line per link, with the fix."""

    headline = "the site was not built: {count} link(s) point at nothing"


def links_to_check(root, settings):
    """((kind, value), ...) of `root` (an element tree): each link starting with an
    indicator ({filename}...) and each image given by a local path; kind "image" or "link"."""
    if root is None:
        return ()
    pattern = intrasite_pattern(settings)
    found = []
    for element in root.iter(etree.Element):
        image = element.tag in IMAGE_TAGS
        for name in URL_ATTRIBUTES:
            value = element.get(name)
            if not value:
                continue
            if pattern.match(value):
                found.append(("image" if image else "link", value))
            elif image and name == "src" and _is_local(value):
                found.append(("image", value))
        if image and element.get("srcset"):
            for candidate in element.get("srcset").split(","):
                url = candidate.split()[0] if candidate.split() else ""
                if pattern.match(url) or _is_local(url):
                    found.append(("image", url))
    return tuple(dict.fromkeys(found))


def _is_local(url):
    parts = urlsplit(url)
    return bool(parts.path) and not (parts.scheme or parts.netloc)


def written_contents(generators):
    """Every post and page this build writes (drafts too when it writes them)."""
    for generator in generators:
        settings = generator.settings
        if isinstance(generator, ArticlesGenerator):
            groups = ["articles", "translations", "hidden_articles", "hidden_translations"]
            if settings.get("DRAFT_SAVE_AS"):
                groups += ["drafts", "drafts_translations"]
        elif isinstance(generator, PagesGenerator):
            groups = ["pages", "translations", "hidden_pages", "hidden_translations"]
            if settings.get("DRAFT_PAGE_SAVE_AS"):
                groups += ["draft_pages", "draft_translations"]
        else:
            continue
        for group in groups:
            yield from getattr(generator, group, ())


def check_links(generators):
    """Signal handler (all_generators_finalized): stop on a link that reaches nothing."""
    global _sources
    _sources = {}
    contents = list(written_contents(generators))
    if not contents:
        return
    settings, context = generators[0].settings, generators[0].context
    _sources = {
        content.save_as.replace(os.sep, "/"): content.relative_source_path.replace(os.sep, "/")
        for content in contents if getattr(content, "save_as", None)
    }
    site = _Site(context)
    problems = []
    for content in contents:
        for kind, value in content.metadata.get(LINKS_KEY, ()):
            fix = _broken(content, kind, value, settings, site)
            if fix:
                where = shown_path(content.source_path, settings["PATH"])
                problems.append(f"{where}: the {kind} {value} points at nothing: {fix}")
    if problems:
        raise BrokenLinks(sorted(dict.fromkeys(problems)))


def record_sources(pelican):
    """Signal handler (finalized): leave the build's {page: source} on the Pelican object."""
    global _sources
    pelican.content_sources, _sources = _sources or {}, None


class _Site:
    """What the build publishes: posts and pages, and the static files that exist (Pelican
    also makes a static file of every `{static}` link's target, there or not)."""

    def __init__(self, context):
        self.context = context
        self.contents = dict(context.get("generated_content", {}))
        self.statics = {
            key: static for key, static in context.get("static_content", {}).items()
            if os.path.isfile(static.source_path)
        }
        self.paths = set()
        for item in list(self.contents.values()) + list(self.statics.values()):
            for name in ("save_as", "url"):
                value = getattr(item, name, None)
                if value:
                    self.paths.add(value.replace(os.sep, "/"))

    def exists(self, found):
        return found is not None and os.path.isfile(found.source_path)

    def closest(self, target, keys):
        """The key of `keys` whose file name is closest to `target`'s (same folder first)."""
        names = {}
        for key in keys:
            names.setdefault(posixpath.basename(key), []).append(key)
        close = difflib.get_close_matches(posixpath.basename(target), sorted(names), n=1,
                                          cutoff=0.75)
        if not close:
            return None
        options = sorted(names[close[0]])
        same = [k for k in options if posixpath.dirname(k) == posixpath.dirname(target)]
        return (same or options)[0]


def _broken(content, kind, value, settings, site):
    """The fix for a link that reaches nothing, or None when it reaches something."""
    match = intrasite_pattern(settings).match(value)
    if match is None:
        return _missing_image(content, value, settings, site)
    what, rest = match.group("what"), match.group("value")
    if what in ALWAYS:
        return None
    if what not in BY_PATH:
        known = [f"{{{name}}}" for name in (*BY_PATH, *ALWAYS)]
        close = difflib.get_close_matches(f"{{{what}}}", known, n=1, cutoff=0.5)
        return f"Pelican knows no {{{what}}}: write " + (
            f"{close[0]}{rest}" if close else "{filename}, {static} or {attach}"
        ) + "."
    if site.exists(linked(content, what, rest, site.context)):
        return None
    target = source_key(content, unquote(urlsplit(rest).path))
    keys = list(site.statics)
    if what == "filename":
        keys = list(site.contents) + keys
    close = site.closest(target, keys)
    if close:
        return f"did you mean {{{what}}}/{close}?"
    folder = os.path.basename(os.path.abspath(settings["PATH"]))
    if what == "filename":
        return (f"there is no {folder}/{target}: link to a post or page that exists, by its "
                f"path under {folder}/ (such as {{filename}}/posts/other-post.md).")
    return _put_it(target, kind, settings)


def _missing_image(content, value, settings, site):
    """The fix for an image given by a plain path that the site does not publish."""
    path = unquote(urlsplit(value).path)
    if path.startswith("/"):
        prefix = urlsplit(settings.get("SITEURL") or "").path.rstrip("/")
        path = path[len(prefix):] if prefix and path.startswith(prefix + "/") else path
        path = path.lstrip("/")
    else:
        base = posixpath.dirname(_published_url(content, settings))
        path = posixpath.normpath(posixpath.join(base, path))
    theme = settings.get("THEME_STATIC_DIR", "theme").strip("/") + "/"
    if path in site.paths or path.startswith(theme):
        return None
    close = site.closest(path, list(site.statics))
    if close:
        return f"did you mean {{static}}/{close}?"
    return _put_it(path, "image", settings)


def _published_url(content, settings):
    """The URL `content` has once published: a draft's preview (/drafts/x/) is deeper, and
    a relative image path is written for the published page."""
    url = getattr(content, "url", "") or ""
    if getattr(content, "status", "") != "draft":
        return url
    kind = "ARTICLE" if isinstance(content, Article) else "PAGE"
    try:
        return settings[f"{kind}_URL"].format(**content.url_format)
    except (KeyError, IndexError, ValueError):
        return url


def _put_it(target, kind, settings):
    """Where to put a missing file, and how to link it."""
    folder = os.path.basename(os.path.abspath(settings["PATH"]))
    static_paths = [p.strip("/") for p in settings.get("STATIC_PATHS") or () if p.strip("/")]
    name = posixpath.basename(target)
    home = next((p for p in static_paths if target.startswith(p + "/")), None)
    if home is None:
        home = "images" if kind == "image" and "images" in static_paths else (
            static_paths[0] if static_paths else "")
        target = f"{home}/{name}" if home else name
    noun = "image" if kind == "image" else "file"
    return (f"put the {noun} in {folder}/{posixpath.dirname(target) or '.'}/ "
            f"and link it as {{static}}/{target}.")
