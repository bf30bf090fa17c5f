"""From published posts to feed entries: the decisions every feed format shares.

Works on Pelican's Article objects by their attributes only (`post_id` comes from the
post_identity plugin), so it is tested without building a site.
"""

import mimetypes
import os
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from possibility.common import ProblemsError

from .absolute_urls import absolute_html, xml_safe

EXAMPLE_DATE = "2026-04-02 09:00"


class PostProblems(ProblemsError):
    """Posts the feeds cannot describe, every one listed with its file and the fix."""

    headline = "the feeds were not written: fix {count} problem(s)"


@dataclass(frozen=True)
class Enclosure:
    url: str
    length: int
    type: str


@dataclass(frozen=True)
class Entry:
    """One post as every feed format shows it: absolute URLs, aware dates, safe text."""

    id: str
    title: str
    url: str
    authors: tuple
    published: datetime
    updated: datetime
    categories: tuple
    summary_html: str
    content_html: str
    image: Enclosure | None = None


def post_problems(articles, timezone):
    """What stops a feed from describing `articles` faithfully, one line per problem.

    Feed readers order and deduplicate by date and id, so a post without a timezone-aware
    date or without its own stable id would be shown at the wrong time or merged with
    another post.
    """
    problems = []
    seen_ids = {}
    for article in articles:
        where = os.path.relpath(article.source_path)
        for field in ("date", "modified"):
            value = getattr(article, field, None)
            if value is None:
                if field == "date":
                    problems.append(
                        f"{where}: field 'Date' is missing, so feeds cannot say when the post "
                        f"was published. Add a line such as 'Date: {EXAMPLE_DATE}'."
                    )
            elif not _is_aware(value):
                label = field.capitalize()
                problems.append(
                    f"{where}: field '{label}' ({value}) has no timezone, so feed readers "
                    f"cannot place it in time. Write '{label}: {EXAMPLE_DATE}' (read in the "
                    f"site's TIMEZONE, {timezone}) or with its offset, "
                    f"'{label}: {_with_offset(EXAMPLE_DATE, timezone)}'."
                )
        post_id = getattr(article, "post_id", None)
        if not post_id:
            problems.append(
                f"{where}: has no post identity for its feed entry id; list "
                f"'possibility.site.post_identity' before 'possibility.site.feeds' in PLUGINS."
            )
        elif post_id in seen_ids:
            problems.append(
                f"{where}: has the same Post-Id as {seen_ids[post_id]}, so feed readers would "
                f"show only one of them. Give the newer post a new one (invoke new-post "
                f"writes one)."
            )
        else:
            seen_ids[post_id] = where
    return problems


def _with_offset(local, timezone):
    moment = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(timezone))
    return moment.isoformat(sep=" ", timespec="minutes")


def _is_aware(value):
    return isinstance(value, datetime) and value.utcoffset() is not None


def newest_first(articles, limit=None):
    """The newest `limit` articles (all when None), newest first; ties broken by id."""
    ordered = sorted(articles, key=lambda article: (article.date, article.post_id), reverse=True)
    return ordered if limit is None else ordered[:limit]


def entry_from_article(article, siteurl, image=None):
    """The feed entry for `article`, with every URL absolute for a site at `siteurl`.

    Pelican already resolved `{static}` and `{filename}` links against `siteurl`; links
    the author wrote as relative paths are resolved against the post's own URL.
    """
    url = f"{siteurl}/{article.url}"
    return Entry(
        id=article.post_id,
        title=xml_safe(article.title),
        url=url,
        authors=tuple(xml_safe(author.name) for author in getattr(article, "authors", ())),
        published=article.date,
        updated=getattr(article, "modified", None) or article.date,
        categories=categories(article),
        summary_html=absolute_html(xml_safe(article.get_summary(siteurl) or ""), url),
        content_html=absolute_html(xml_safe(article.get_content(siteurl) or ""), url),
        image=image,
    )


def categories(article):
    """The post's category then its tags, each once (ignoring case)."""
    names = [article.category.name] if getattr(article, "category", None) else []
    names += [tag.name for tag in getattr(article, "tags", None) or ()]
    unique = {}
    for name in names:
        unique.setdefault(name.casefold(), xml_safe(name))
    return tuple(unique.values())


def image_path(value):
    """The content-relative path of a post's `Image:`.

    `images/x.jpg`, `/images/x.jpg` and `{static}/images/x.jpg` all name the same file.
    """
    path = str(value or "").strip()
    for prefix in ("{static}", "|static|"):
        path = path.removeprefix(prefix)
    return path.lstrip("/") or None


def image_enclosure(url, length):
    """The enclosure for an image file of `length` bytes served at `url`."""
    media_type = mimetypes.guess_type(url, strict=False)[0] or "application/octet-stream"
    return Enclosure(url=url, length=length, type=media_type)
