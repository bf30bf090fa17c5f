"""The checks a built site passes before anything leaves the machine.

Every internal link and image resolves (`site_check`), every feed and data file
parses, and no draft or future-dated post is anywhere in the output: not its page,
not a link to it, not its identity in a feed or a newsletter record. Which posts are
unpublished is read again from the sources, independently of the build, so a wrong
setting (WITH_FUTURE_DATES, DRAFT_SAVE_AS) cannot hide a leak from the check that is
meant to catch it.
"""

import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .site_check import check_links

ATOM = "{http://www.w3.org/2005/Atom}feed"
TEXT_FILES = {".html", ".htm", ".xml", ".json", ".txt"}


@dataclass(frozen=True)
class Unpublished:
    """A post that must not be in the output, and where it would be if it were."""

    source: str
    title: str
    why: str
    url: str
    save_as: str
    post_id: str

    def describe(self):
        return f"{self.title!r} ({self.source}, {self.why})"


@dataclass(frozen=True)
class CheckReport:
    problems: tuple
    summary: str


def check_output(output, siteurl, unpublished, email_problems=()):
    """All problems with the built site in `output`, and a one-line summary of what passed."""
    output = Path(output)
    pages = sum(1 for _ in output.rglob("*.html"))
    links = [str(b) for b in check_links(output, siteurl)]
    feeds, parsed = feed_problems(output)
    leaked = leaks(output, unpublished)
    problems = tuple(links + feeds + leaked + list(email_problems))
    summary = (
        f"checked the links of {pages} pages and {parsed} feeds and data files; "
        f"{len(unpublished)} unpublished posts kept out"
    )
    return CheckReport(problems, summary)


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
    """Drafts and future-dated posts among the sources, read as Pelican reads them."""
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
            )
        )
    return found


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
