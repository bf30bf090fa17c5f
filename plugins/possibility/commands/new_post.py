"""Start a new post: a Markdown file with complete front matter, as a draft.

The `Date:` is written in the site's time zone (`TIMEZONE`), which is how Pelican reads a date
without one: a post started now is dated now, whatever the machine's clock zone. The slug (the
post's address and file name) is made from the title: ASCII, at most `MAX_SLUG_LENGTH`
characters, cut between words; `--slug` chooses it instead.
"""

import os
import re
import unicodedata
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from unidecode import unidecode  # Pelican's own transliteration (a dependency of Pelican)

from possibility.common import PossibilityError
from possibility.core.newsletter.post_fields import SAMPLE_BODY, SAMPLE_SUMMARY

MAX_SLUG_LENGTH = 80
SLUG_EXAMPLE = "my-new-post"


class NewPostError(PossibilityError, ValueError):
    """The post could not be started; the message says what to do instead."""


class PostExistsError(NewPostError, FileExistsError):
    """The post's file is already there (it is left untouched)."""


def slugify(text, max_length=MAX_SLUG_LENGTH):
    """The URL slug of a title: lowercase ASCII letters, digits and hyphens.

    Accents and other scripts are transliterated (Café -> cafe, Straße -> strasse), emoji
    dropped (they separate words), apostrophes and dots removed ("Don't" -> dont), any other
    run of punctuation or space becomes one hyphen. A slug longer than `max_length` is cut
    at the last hyphen that fits (a single longer word is cut at `max_length`). An empty
    result means nothing in `text` makes a slug.
    """
    ascii_text = "".join(_ascii(char) for char in unicodedata.normalize("NFC", text)).lower()
    ascii_text = re.sub(r"['`.]", "", ascii_text)
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > max_length:
        cut = slug.rfind("-", 0, max_length + 1)
        slug = slug[:cut] if cut > 0 else slug[:max_length]
    return slug.strip("-")


def _ascii(char):
    """One character in ASCII: its transliteration; a combining mark adds nothing, and what
    has none (an emoji, a joiner) separates words like a space."""
    if unicodedata.category(char).startswith("M"):
        return ""
    return unidecode(char, errors="ignore") or " "


def front_matter(title, *, author, category, post_id, now, slug=None):
    """The slug, and the front matter and a placeholder body for a new draft post.

    `now` is written as it is (the site's time); `slug` defaults to one made from the title.
    """
    slug = choose_slug(title, slug)
    return slug, (
        f"Title: {title}\n"
        f"Date: {now:%Y-%m-%d %H:%M}\n"
        f"Author: {author}\n"
        f"Category: {category}\n"
        "Tags:\n"
        f"Slug: {slug}\n"
        f"Post-Id: {post_id}\n"
        "Status: draft\n"
        f"Summary: {SAMPLE_SUMMARY}\n"  # sample texts: a post that keeps them is not sent
        "\n"
        f"{SAMPLE_BODY}\n"
    )


def site_now(timezone, now=None):
    """`now` (default: this moment) on the site's clock, `timezone` (the site's TIMEZONE).

    A naive `now` is taken as site time already; without a `timezone`, `now` is needed.
    """
    if timezone is None:
        if now is None:
            raise TypeError("the site's TIMEZONE is needed to date a post now")
        return now
    zone = ZoneInfo(timezone)
    if now is None:
        return datetime.now(zone)
    return now if now.tzinfo is None else now.astimezone(zone)


def choose_slug(title, slug=None):
    """The slug to use: `slug` made clean if given, else one made from the title."""
    if slug is not None:
        chosen = slugify(slug)
        if not chosen:
            raise NewPostError(
                f"--slug {slug!r} has no letters or digits: pass one such as --slug {SLUG_EXAMPLE}"
            )
        return chosen
    chosen = slugify(title)
    if not chosen:
        raise NewPostError(
            f"the title {title!r} gives an empty slug (it has no letters or digits to make the "
            f"post's address from): pass one with --slug, for example --slug {SLUG_EXAMPLE}"
        )
    return chosen


def write_new_post(folder, title, *, author, category, post_id, timezone=None, slug=None,
                   now=None, project=None):
    """Write the draft into `folder` and return its path; never overwrite an existing file.

    `timezone` is the site's `TIMEZONE` (the date is now on its clock, or `now` converted to
    it); `project` is the folder paths in messages are relative to (default: as they are).
    Raises NewPostError (PostExistsError for a file already there) with the message to show.
    """
    title = " ".join(str(title).split())  # one line: a newline would end the front matter
    if not title:
        raise NewPostError("the title is empty: write one, e.g. invoke new-post \"My New Post\"")
    slug, text = front_matter(title, author=author, category=category, post_id=post_id,
                              now=site_now(timezone, now), slug=slug)
    folder = Path(folder)
    path = folder / f"{slug}.md"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise PostExistsError(
            f"{shown(path, project)} already exists: choose another title or pass "
            f"--slug {free_slug(folder, slug)}"
        ) from None
    return path


def free_slug(folder, slug):
    """The first `slug-N` (N = 2, 3, ...) with no file in `folder`, at most MAX_SLUG_LENGTH."""
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = slugify(slug, MAX_SLUG_LENGTH - len(suffix)) + suffix
        if not (Path(folder) / f"{candidate}.md").exists():
            return candidate
        number += 1


def shown(path, project=None):
    """`path` as the author knows it: relative to the project when it is inside it."""
    if project is None:
        return str(path)
    relative = os.path.relpath(Path(path).resolve(), Path(project).resolve())
    return str(path) if relative.startswith("..") else Path(relative).as_posix()
