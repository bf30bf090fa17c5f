"""Start a new post: a Markdown file with complete front matter, as a draft."""

import re
import unicodedata
from datetime import datetime
from pathlib import Path


def slugify(title):
    """The URL slug Pelican would make of a title: ASCII, lowercase, hyphens."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s_]+", "-", text).strip("-")


def front_matter(title, *, author, category, post_id, now):
    """The front matter and a placeholder body for a new draft post."""
    slug = slugify(title)
    if not slug:
        raise ValueError(f"the title {title!r} gives an empty slug; use some letters or digits")
    return slug, (
        f"Title: {title}\n"
        f"Date: {now:%Y-%m-%d %H:%M}\n"
        f"Author: {author}\n"
        f"Category: {category}\n"
        "Tags:\n"
        f"Slug: {slug}\n"
        f"Post-Id: {post_id}\n"
        "Status: draft\n"
        "Summary: One or two sentences that say what this post gives the reader.\n"
        "\n"
        "Write the post here. Remove 'Status: draft' when it is ready to publish.\n"
    )


def write_new_post(folder, title, *, author, category, post_id, now=None):
    """Write the draft into `folder`; never overwrite an existing file."""
    now = now or datetime.now()
    slug, text = front_matter(title, author=author, category=category, post_id=post_id, now=now)
    path = Path(folder) / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(text)
    return path
