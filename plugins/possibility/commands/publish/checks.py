"""The checks a built site passes before anything leaves the machine.

Every internal link and image resolves (`site_check`), every feed and data file
parses, and no draft or future-dated post is anywhere in the output: not its page,
not a link to it, not its identity in a feed or a newsletter record. Which posts are
unpublished is read again from the sources, independently of the build, so a wrong
setting (WITH_FUTURE_DATES, DRAFT_SAVE_AS) cannot hide a leak from the check that is
meant to catch it.

A broken link is reported once, naming the Markdown file it comes from (the build's map
of pages to sources, and each email's `meta.json`), however many pages show it: the
post's page, its email, the lists of summaries.
"""

import difflib
import json
import os
import posixpath
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from possibility.core.held_back import held_back_text
from possibility.core.newsletter.model import META_FILE
from possibility.core.newsletter.post_fields import source_sample_problems

from .report import count
from .site_check import OUTSIDE, check_links

ATOM = "{http://www.w3.org/2005/Atom}feed"
TEXT_FILES = {".html", ".htm", ".xml", ".json", ".txt"}


@dataclass(frozen=True)
class Unpublished:
    """A post that must not be in the output, and where it would be if it were."""

    source: str  # relative to the content folder
    title: str
    why: str
    url: str
    save_as: str
    post_id: str
    date: datetime | None = None  # set when it is held back by its date (not a draft)
    shown: str = ""  # its path as the author knows it (content/posts/x.md)
    timezone: str = "UTC"  # the site's TIMEZONE

    @property
    def held_back(self):
        return self.date is not None

    def describe(self):
        return f"{self.title!r} ({self.source}, {self.why})"

    def goes_out(self, now=None):
        """When a held-back post goes out, in the site's time and from `now`."""
        return held_back_text(self.shown or self.source, self.date,
                              now or datetime.now(UTC), self.timezone)


@dataclass(frozen=True)
class CheckReport:
    problems: tuple
    summary: str
    held_back: tuple = ()  # for each post held back by its date: when it goes out


def check_output(output, siteurl, unpublished, email_problems=(), sources=None,
                 content_folder="content", now=None):
    """All problems with the built site in `output`, and a one-line summary of what passed.

    `sources` ({page: source file as the author knows it}, from the build) lets a broken
    link name the Markdown file it comes from."""
    output = Path(output)
    pages = sum(1 for _ in output.rglob("*.html"))
    links = link_problems(output, check_links(output, siteurl), sources or {}, content_folder)
    feeds, parsed = feed_problems(output)
    leaked = leaks(output, unpublished)
    problems = tuple(links + feeds + leaked + list(email_problems))
    drafts = sum(1 for post in unpublished if not post.held_back)
    held = sorted((p for p in unpublished if p.held_back), key=lambda p: (p.date, p.source))
    summary = (
        f"checked the links of {pages} pages and {parsed} feeds and data files; kept out: "
        f"{count(drafts, 'draft')}, {count(len(held), 'future-dated post')}"
        + (" (held back, listed below)" if held else "")
    )
    return CheckReport(problems, summary, tuple(post.goes_out(now) for post in held))


def link_problems(output, broken, sources, content_folder="content"):
    """One line per broken link: the source file it comes from, the link as written there,
    the pages that show it, and a close page of the site if there is one.

    The same mistake shows on the post's page, in its email (made absolute) and in lists
    of summaries (index, category, tag pages): it is one problem, keyed by the source and
    where the link points; a list page's link is the source's when the source's own page
    has that very link. A link on the pages of several sources comes from the theme's
    templates, and is one problem too. `sources`: {page: source file}; without it every
    page stands for itself."""
    output = Path(output)
    site = _Site(output)
    known = bool(sources)
    sources, emails = dict(sources), set()
    for meta in output.rglob(META_FILE):  # each post's email names its source
        page = meta.with_name("index.html").relative_to(output).as_posix()
        try:
            source = json.loads(meta.read_text(encoding="utf-8")).get("source")
        except (ValueError, OSError):
            continue
        if source:
            sources.setdefault(page, f"{content_folder}/{source}")
            emails.add(page)
    seen = {}  # (link as written, where it points) -> pages
    for link in broken:
        seen.setdefault((link.target, link.resolved), []).append(link.page)
    problems, by_text, lines = {}, {}, []
    for (target, resolved), pages in sorted(seen.items()):
        if len({sources[page] for page in pages if page in sources}) > 1:
            lines.append(
                f"the theme's templates: the link {target} finds nothing in the site "
                f"(on {_pages(pages)})" + _close(site, resolved)
            )
            seen[(target, resolved)] = []
    ordered = sorted(
        ((page, target, resolved) for (target, resolved), pages in seen.items()
         for page in pages),
        key=lambda item: (item[0] not in sources, item[0] in emails, item),
    )
    for page, target, resolved in ordered:  # pages with a source first: lists join them
        if page in sources:
            key = (sources[page], resolved)
            by_text.setdefault(target, key)
        else:
            key = by_text.get(target, (page, resolved))
        found = problems.setdefault(key, {"target": target, "pages": []})
        found["pages"].append(page)
    for (where, resolved), found in sorted(problems.items()):
        text = f"{where}: the link {found['target']} finds nothing in the site"
        text += f" (on {_pages(found['pages'])})"
        if known and where in found["pages"]:  # a page with no source: the theme made it
            text += "; the theme's templates write this link"
        lines.append(text + _close(site, resolved))
    return lines


def _pages(pages, shown=5):
    pages = list(dict.fromkeys(pages))
    more = f" and {len(pages) - shown} more" if len(pages) > shown else ""
    return ", ".join(pages[:shown]) + more


def _close(site, resolved):
    """'; did you mean /about/?' when a page or file of the site (`site`: a _Site) is close
    to where a broken link points."""
    if not resolved or resolved.startswith(OUTSIDE) or "#" in resolved:
        return ""
    wanted = resolved.removesuffix("index.html")
    close = difflib.get_close_matches(wanted, site.paths(), n=1, cutoff=0.75)
    return f"; did you mean /{close[0]}?" if close else ""


class _Site:
    """The addresses of the output's pages and files, listed once when first asked."""

    def __init__(self, output):
        self.output, self._paths = output, None

    def paths(self):
        if self._paths is None:
            found = set()
            for path in self.output.rglob("*"):
                if path.is_file():
                    relative = path.relative_to(self.output).as_posix()
                    folder = posixpath.dirname(relative)
                    found.add((folder + "/" if folder else "") if path.name == "index.html"
                              else relative)
            self._paths = sorted(found)
        return self._paths


def feed_problems(output):
    """(problems, files parsed): XML and JSON that does not parse, feeds of the wrong kind."""
    output = Path(output)
    problems, parsed = [], 0
    for path in sorted(output.rglob("*")):
        relative = path.relative_to(output).as_posix()
        if path.suffix == ".xml":
            parsed += 1
            try:
                root = ET.parse(path).getroot().tag
            except ET.ParseError as exc:
                problems.append(f"{relative} is not well-formed XML: {exc}")
                continue
            if relative.endswith(".rss.xml") and root != "rss":
                problems.append(f"{relative} should be an RSS feed but its root is <{root}>")
            if relative.endswith(".atom.xml") and root != ATOM:
                problems.append(f"{relative} should be an Atom feed but its root is <{root}>")
        elif path.suffix == ".json":
            parsed += 1
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                problems.append(f"{relative} is not valid JSON: {exc}")
                continue
            version = data.get("version", "") if isinstance(data, dict) else ""
            if relative.startswith("feeds/") and not str(version).startswith(
                "https://jsonfeed.org/version/"
            ):
                problems.append(f"{relative} is not a JSON Feed (no jsonfeed.org version)")
    return problems, parsed


def leaks(output, unpublished):
    """Where in `output` an unpublished post shows: its page, a link, its identity."""
    output = Path(output)
    problems = []
    for post in unpublished:
        if post.save_as and (output / post.save_as).is_file():
            problems.append(f"{post.describe()} is in the output: {post.save_as}")
    markers = {}
    for post in unpublished:
        for marker in (post.post_id, "/" + post.url if post.url else ""):
            if marker and marker != "/":
                markers[marker] = post
    if not markers:
        return problems
    for path in sorted(output.rglob("*")):
        if path.suffix not in TEXT_FILES or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found = {post for marker, post in markers.items() if marker in text}
        for post in sorted(found, key=lambda p: p.source):
            problems.append(f"{post.describe()} is mentioned in {path.relative_to(output)}")
    return problems


def unpublished_posts(pelican_settings, now=None):
    """Drafts and future-dated posts among the sources, read as Pelican reads them; a
    post held back by its date (not a draft) carries its date."""
    from pelican.contents import Article
    from pelican.readers import Readers

    from possibility.core.identity import post_identity

    settings = dict(pelican_settings, WITH_FUTURE_DATES=True)
    readers = Readers(settings)
    base = settings["PATH"]
    found = []
    for relative in _article_sources(settings, readers):
        article = readers.read_file(
            base_path=base, path=relative, content_class=Article, context={}
        )
        why = _why_unpublished(article, now)
        if why is None:
            continue
        fields = article.url_format
        found.append(
            Unpublished(
                source=relative,
                title=article.title,
                why=why,
                url=settings["ARTICLE_URL"].format(**fields),
                save_as=settings["ARTICLE_SAVE_AS"].format(**fields),
                post_id=post_identity(article.metadata, article.relative_source_path),
                date=None if article.status == "draft" else article.date,
                shown=f"{Path(base).name}/{relative}",
                timezone=settings.get("TIMEZONE") or "UTC",
            )
        )
    return found


def sample_text_problems(pelican_settings):
    """'content/posts/x.md: field 'Summary' is still new-post's sample text: ...' for each
    post about to be published (any but a draft: a post held back by its date is published
    unattended, by a later build) that still has `invoke new-post`'s sample text. Read from
    the Markdown sources as they are, independently of the build."""
    from pelican.readers import Readers

    settings = dict(pelican_settings)
    base = Path(settings["PATH"])
    problems = []
    for relative in _article_sources(settings, Readers(settings)):
        if not relative.endswith((".md", ".markdown", ".mkd", ".mdown")):
            continue
        try:
            found, draft = source_sample_problems((base / relative).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue  # the build has said what is wrong with it
        problems += [] if draft else [f"{base.name}/{relative}: {p}" for p in found]
    return problems


def _why_unpublished(article, now):
    if article.status == "draft":
        return "a draft"
    date = getattr(article, "date", None)
    if date is not None:
        current = now or datetime.now(date.tzinfo)
        if date > current:
            return f"dated {date:%Y-%m-%d %H:%M}, in the future"
    return None


def _article_sources(settings, readers):
    extensions = {e for e in readers.extensions if e != "static"}
    excludes = set(settings.get("ARTICLE_EXCLUDES") or ())
    base = Path(settings["PATH"])
    for folder in settings.get("ARTICLE_PATHS") or [""]:
        for root, dirs, files in os.walk(base / folder):
            dirs[:] = sorted(
                d for d in dirs
                if Path(root, d).relative_to(base).as_posix() not in excludes and d not in excludes
            )
            for name in sorted(files):
                if name.rsplit(".", 1)[-1] in extensions and not name.startswith("."):
                    yield Path(root, name).relative_to(base).as_posix()
