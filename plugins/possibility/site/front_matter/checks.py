"""Front-matter rules, as pure functions over the metadata Pelican read."""

import os
import uuid

from lxml import etree

from possibility.common import PossibilityError, ProblemsError
from possibility.core.identity import is_uuid

STATUSES = ("published", "draft", "hidden")
EXAMPLE_DATE = "2026-04-02 09:00"


class FrontMatterError(PossibilityError):
    """A file whose front matter must be fixed before the site can build."""

    def __init__(self, source_path, problems):
        self.source_path = source_path
        self.problems = list(problems)
        where = os.path.relpath(source_path)
        super().__init__("\n".join(f"{where}: {problem}" for problem in self.problems))


class FrontMatterErrors(ProblemsError):
    """Every file with bad front matter in one build, reported together."""

    headline = "the site was not built: fix the front matter of {count} file(s)"


def fix_for_unparsable(field, value):
    """What to tell the author when Pelican cannot parse a field's value."""
    label = field.capitalize()
    if field in ("date", "modified"):
        return (
            f"field '{label}' is {value!r}, which is not a date. "
            f"Write it as '{label}: {EXAMPLE_DATE}' (YYYY-MM-DD HH:MM, in the site's TIMEZONE)."
        )
    return f"field '{label}' has a value Pelican cannot read: {value!r}."


def check_metadata(metadata, *, is_article):
    """Return a list of problems, each naming the field and what to write instead."""
    problems = []
    if not str(metadata.get("title", "")).strip():
        problems.append(
            "field 'Title' is missing. Add a first line such as 'Title: Should Your Work "
            "Speak For Itself?'."
        )
    if is_article and "date" not in metadata:
        problems.append(
            f"field 'Date' is missing. Add a line such as 'Date: {EXAMPLE_DATE}'."
        )
    status = metadata.get("status")
    if status is not None and status not in STATUSES:
        problems.append(
            f"field 'Status' is {status!r}, which Pelican does not know. "
            f"Write one of: {', '.join(STATUSES)} (or leave it out to publish)."
        )
    post_id = metadata.get("post-id")
    if post_id is not None and not is_uuid(post_id):
        problems.append(
            f"field 'Post-Id' is {post_id!r}, which is not a UUID. Do not edit it by hand; "
            f"write a new one such as 'Post-Id: {uuid.uuid4()}' (invoke new-post does this)."
        )
    return problems


def parse_html(html):
    """The element tree of an HTML fragment, as browsers read it (None when empty)."""
    # libxml2 parses as browsers do; bytes, as lxml refuses a str with an encoding declaration.
    if not html or not html.strip():
        return None
    return etree.fromstring(html.encode("utf-8"), etree.HTMLParser(encoding="utf-8"))


def check_images(root):
    """Images need alt text: readers of screen readers and of text-only email see nothing else.
    `root`: the content's tree (`parse_html`)."""
    images = root.iter("img") if root is not None else ()
    return [
        f"the image {src!r} has no alt text. Describe it: '![What the image shows]({src})'."
        for src in (img.get("src", "?") for img in images if not (img.get("alt") or "").strip())
    ]
