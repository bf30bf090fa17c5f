"""Check a built site before it leaves the machine: every internal link and image resolves.

Reads the output folder only; knows nothing of Pelican, so it checks exactly what
readers will get. Each broken link says where it points in the output (`resolved`), so
one mistake seen on several pages (the post, its email, a list of summaries) is one
problem for `checks.link_problems`, which names the source file.
"""

import posixpath
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LINK_ATTRIBUTES = {"a": "href", "link": "href", "img": "src", "script": "src", "source": "src"}


OUTSIDE = "\0outside"  # what a link that climbs out of the output folder resolves to


@dataclass(frozen=True)
class BrokenLink:
    page: str
    target: str  # the link as written on the page
    resolved: str = ""  # the output path it points at (OUTSIDE: above the output folder)

    def __str__(self):
        return f"{self.page}: link to {self.target} finds nothing in the site"


class _LinkParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        name = LINK_ATTRIBUTES.get(tag)
        if name and attributes.get(name):
            self.links.append(attributes[name])
        if tag == "img" and attributes.get("srcset"):
            self.links.extend(part.split()[0] for part in attributes["srcset"].split(","))


def _resolve(output, page, link, siteurl):
    """The file a link points to inside `output`, or None when it leaves the site."""
    parts = urlsplit(link)
    if parts.scheme in ("mailto", "tel", "data", "javascript"):
        return None
    if parts.scheme or parts.netloc:
        base = urlsplit(siteurl) if siteurl else None
        if not base or (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            return None
        path = posixpath.relpath(parts.path or "/", base.path or "/")
        path = "" if path == "." else path
    elif parts.path.startswith("/"):
        path = parts.path.lstrip("/")
    else:
        path = posixpath.normpath(posixpath.join(posixpath.dirname(page), parts.path))
    path = unquote(path)
    if path.startswith(".."):
        return output / OUTSIDE
    target = output / path
    if path in ("", ".") or parts.path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target


def check_links(output_path, siteurl=""):
    """Every broken internal link or image in the built site, sorted by page."""
    output = Path(output_path)
    broken = []
    for html_file in sorted(output.rglob("*.html")):
        page = html_file.relative_to(output).as_posix()
        parser = _LinkParser()
        parser.feed(html_file.read_text(encoding="utf-8"))
        for link in parser.links:
            if link.startswith("#"):
                if link[1:] and link[1:] not in parser.ids:
                    broken.append(BrokenLink(page, link, f"{page}{link}"))
                continue
            target = _resolve(output, page, link, siteurl)
            if target is not None and not target.is_file():
                resolved = target.relative_to(output).as_posix()
                broken.append(BrokenLink(page, link, resolved))
    return broken
