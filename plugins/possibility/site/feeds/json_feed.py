"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) from the same entries.

`title` and `summary` are plain text there (the summary is the spec's "sentence or two",
the text a reader sees in the post's Summary: `possibility.core.text`), the full text is
`content_html`, and the featured image is the item's `image`.
"""

import json

from possibility.core.text import html_to_text

VERSION = "https://jsonfeed.org/version/1.1"


def json_feed(feed, entries):
    """The JSON Feed document (bytes, UTF-8) for `feed` with `entries`, in their order."""
    document = {
        "version": VERSION,
        "title": feed.title,
        "home_page_url": feed.home_url,
        "feed_url": feed.url,
        "description": feed.description,
        "language": feed.language,
    }
    if feed.author:
        document["authors"] = [{"name": feed.author}]
    document["items"] = [_item(entry) for entry in entries]
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _item(entry):
    item = {
        "id": entry.id,
        "url": entry.url,
        "title": entry.title,
        "content_html": entry.content_html,
        "summary": html_to_text(entry.summary_html),
        "date_published": entry.published.isoformat(),
        "date_modified": entry.updated.isoformat(),
        "tags": list(entry.categories),
    }
    if entry.authors:
        item["authors"] = [{"name": name} for name in entry.authors]
    if entry.image:
        item["image"] = entry.image.url
    return item
