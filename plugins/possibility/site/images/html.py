"""Rewrite a page's content images: pure text in, text out.

Only the `<img>` start tags whose `src` is a known image change; everything else in the
HTML stays exactly as written (the tags are found with Python's HTML parser, then replaced
by position). An image already inside a `<picture>` is left alone.
"""

import posixpath
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from possibility.core.images import scaled_height, variant_path

REPLACED = {"src", "srcset", "sizes", "loading", "fetchpriority", "decoding"}


@dataclass(frozen=True)
class Known:
    """A content image: its URL path in the site (`images/pier.jpg`), shown size, variants."""

    url: str
    width: int
    height: int
    widths: tuple  # variant widths, ascending
    fmt: str  # "jpg" or "png": the non-WebP variants


class _Images(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []  # ((line, column), start tag text, attrs)
        self.pictures = 0

    def handle_starttag(self, tag, attrs):
        if tag == "picture":
            self.pictures += 1
        elif tag == "img" and not self.pictures:
            self.found.append((self.getpos(), self.get_starttag_text(), attrs))

    def handle_startendtag(self, tag, attrs):
        if tag == "img" and not self.pictures:
            self.found.append((self.getpos(), self.get_starttag_text(), attrs))

    def handle_endtag(self, tag):
        if tag == "picture" and self.pictures:
            self.pictures -= 1


def image_tags(html):
    """(start offset, tag text, attrs) of every `<img>` not inside a `<picture>`."""
    parser = _Images()
    parser.feed(html)
    parser.close()
    starts, offset = [0], 0
    for line in html.splitlines(keepends=True):
        offset += len(line)
        starts.append(offset)
    return [(starts[line - 1] + column, text, attrs)
            for (line, column), text, attrs in parser.found]


def local_url(src, siteurl, page_url):
    """The site path (`images/pier.jpg`) an image's `src` points at, or None when it is
    not on this site. `siteurl`: the SITEURL the content was rendered with (absolute,
    relative such as '..', or empty); `page_url`: the page's own URL, for plain relative
    paths."""
    parts = urlsplit(src)
    base = (siteurl or "").rstrip("/")
    path = unquote(parts.path)
    if base and src.startswith(base + "/"):
        return unquote(urlsplit(src[len(base) + 1:]).path)
    if parts.scheme or parts.netloc or not path:
        return None
    if path.startswith("/"):
        return path.lstrip("/")
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(page_url or ""), path))
    return None if joined.startswith("..") else joined


def _attribute(name, value):
    return name if value is None else f'{name}="{escape(value, quote=True)}"'


def rewrite_images(html, siteurl, page_url, lookup, sizes):
    """`html` with each content image as a `<picture>`: a WebP `<source>` and the JPEG/PNG
    `<img>`, both with `srcset` and `sizes`, the `<img>` with `width`/`height`, and
    `loading="lazy"` except on the first, which gets `fetchpriority="high"`.
    `lookup(site path)` is a Known, or None for any other image."""
    if "<img" not in html:
        return html
    pieces, end, first = [], 0, True
    for start, text, attrs in image_tags(html):
        values = dict(attrs)
        src = values.get("src") or ""
        path = local_url(src, siteurl, page_url)
        known = lookup(path) if path else None
        if known is None or not src.endswith(known.url):
            continue
        prefix = src[: len(src) - len(known.url)]
        pieces += [html[end:start], _picture(attrs, known, prefix, sizes, first)]
        end, first = start + len(text), False
    if not pieces:
        return html
    return "".join(pieces) + html[end:]


def _picture(attrs, known, prefix, sizes, first):
    def srcset(fmt):
        return ", ".join(f"{prefix}{variant_path(known.url, w, fmt)} {w}w" for w in known.widths)

    largest = known.widths[-1]
    values = dict(attrs)
    width, height = largest, scaled_height(known.width, known.height, largest)
    given = values.get("width")
    if given and given.isdigit():  # the author's own width wins; the height follows it
        width = int(given)
        height = int(values["height"]) if (values.get("height") or "").isdigit() else \
            scaled_height(known.width, known.height, width)
    kept = [(n, v) for n, v in attrs if n not in REPLACED | {"width", "height"}]
    img = [("src", f"{prefix}{variant_path(known.url, largest, known.fmt)}"),
           ("srcset", srcset(known.fmt)), ("sizes", sizes),
           ("width", str(width)), ("height", str(height)), *kept]
    img += [("fetchpriority", "high")] if first else [("loading", "lazy")]
    img += [("decoding", "async"), ("data-src-width", str(known.width)),
            ("data-src-height", str(known.height))]
    source = f'<source type="image/webp" srcset="{escape(srcset("webp"))}" sizes="{escape(sizes)}">'
    tag = "<img " + " ".join(_attribute(n, v) for n, v in img) + ">"
    return f"<picture>{source}{tag}</picture>"
