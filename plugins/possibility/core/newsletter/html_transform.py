"""Post HTML made fit for email: absolute links, bounded images, a plain-text twin, and
UTM tags on the links to the site (`with_utm`, `without_utm`).

They work on a parser's events, never on regexes over markup (the text part's URLs are
found in text). `absolutize` leaves what
it does not need to change as the author wrote it: libxml2 (`html_tree`) finds whether
anything needs changing, which on a production build (where Pelican has made every
`{filename}` link absolute) is rare; only then does Python's html.parser, slower but
true to the source text, rewrite the tags that need it.
"""

import re
import textwrap
from html import escape
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree

from .html_tree import parse, replay

URL_ATTRIBUTES = {"href", "src", "poster", "cite", "background", "action", "data"}
BLOCKS = {
    "p", "div", "section", "article", "header", "footer", "main", "aside", "nav",
    "figure", "figcaption", "table", "tr", "dl", "dt", "dd", "address", "form", "details",
    "summary", "center",
}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
SKIPPED = {"script", "style", "head", "title", "template", "noscript"}
# The elements `absolutize` may change, and the ids a #fragment can point to.
WITH_URLS = etree.XPath("//*[" + " or ".join(
    [f"@{name}" for name in sorted(URL_ATTRIBUTES)] + ["@srcset", "(self::img and @width)"]
) + "]")
ANCHORS = etree.XPath("//@id | //a/@name")
LINKS = etree.XPath("//a[@href] | //area[@href]")
# A URL in running text, up to white space or what closes it; trailing punctuation is
# the sentence's ("at https://example.com/.").
TEXT_URL = re.compile(r"https?://[^\s<>\"'()\[\]]+", re.IGNORECASE)
TRAILING = ".,;:!?"


def is_merge_tag(url):
    url = url.strip()
    return url.startswith("*|") and url.endswith("|*")


def is_absolute(url):
    """True for a URL an email client can open as it is (or a Mailchimp merge tag)."""
    url = url.strip()
    if is_merge_tag(url):
        return True
    try:
        parts = urlsplit(url)
    except ValueError:  # malformed ("http://[::1"): broken as on the site, but not relative
        scheme, colon, _ = url.partition(":")
        return bool(colon) and scheme.isalpha()
    return bool(parts.scheme) and (parts.scheme not in ("http", "https") or bool(parts.netloc))


def resolve(url, base_url, ids=None):
    """`url` as a browser on the post's page follows it. A #fragment stays in the email
    when its target is there (`ids`), else it points into the page on the site."""
    stripped = url.strip()
    if not stripped or is_absolute(stripped):
        return url
    if stripped.startswith("#") and (ids is None or stripped[1:] in ids):
        return url
    return urljoin(base_url, stripped)


def absolutize(html, base_url, *, max_image_width=None):
    """Resolve every relative URL against `base_url`; scale down images wider than allowed.

    A post's relative link (`[contact](/contact/)`) works on the site because the browser
    resolves it against the page; an email has no page, so it is resolved here the same
    way. Images with a `width` over `max_image_width` get that width (and lose their
    `height`, which CSS `height: auto` then keeps in proportion).
    """
    root = parse(html)
    if root is None or not _needs_rewrite(root, base_url, max_image_width):
        return html
    rewriter = _Rewriter(base_url, max_image_width)
    rewriter.feed(html)
    rewriter.close()
    return rewriter.result()


def _needs_rewrite(root, base_url, max_image_width):
    ids = {value for value in ANCHORS(root) if value}
    for element in WITH_URLS(root):
        attrs = [list(a) for a in element.items()]
        if _rewritten(element.tag, attrs, base_url, ids, max_image_width) != attrs:
            return True
    return False


def _rewritten(tag, attrs, base_url, ids, max_image_width):
    """A tag's attributes, as [name, value] pairs, with its URLs resolved (a #fragment
    against `ids`, the document's element ids) and its width bounded if it is an image."""
    new = []
    for name, value in attrs:
        if value is not None and name in URL_ATTRIBUTES:
            value = resolve(value, base_url, ids)
        elif value is not None and name == "srcset":
            value = _resolve_srcset(value, base_url)
        new.append([name, value])
    width = dict(attrs).get("width") or ""
    if tag == "img" and max_image_width and width.isdigit() and int(width) > max_image_width:
        new = [a for a in new if a[0] != "height"]
        for attribute in new:
            if attribute[0] == "width":
                attribute[1] = str(max_image_width)
    return new


def _resolve_srcset(value, base_url):
    candidates = []
    for candidate in value.split(","):
        words = candidate.split()
        if words:
            candidates.append(" ".join([resolve(words[0], base_url), *words[1:]]))
    return ", ".join(candidates)


def _element_ids(tag, attrs):
    """The ids a #fragment can point to: `id`, and an anchor's old-style `name`."""
    names = ("id", "name") if tag == "a" else ("id",)
    return [value for name, value in attrs if name in names and value]


class _Rewriter(HTMLParser):
    """One pass over the HTML. A tag with a #fragment link waits for the end of the
    document, where every element id (the fragment's possible target) is known."""

    def __init__(self, base_url, max_image_width):
        super().__init__(convert_charrefs=False)
        self.base_url = base_url
        self.max_image_width = max_image_width
        self.ids = set()
        self.out = []
        self.waiting = []  # (index in out, tag, attrs, source text)

    def result(self):
        for index, tag, attrs, source in self.waiting:
            self.out[index] = self._tag(tag, attrs, source)
        return "".join(self.out)

    def _tag(self, tag, attrs, source):
        new = _rewritten(tag, attrs, self.base_url, self.ids, self.max_image_width)
        if new == [list(a) for a in attrs]:
            return source
        rendered = "".join(
            f" {name}" if value is None else f' {name}="{escape(value, quote=True)}"'
            for name, value in new
        )
        return f"<{tag}{rendered}>"

    def handle_starttag(self, tag, attrs):
        self.ids.update(_element_ids(tag, attrs))
        source = self.get_starttag_text()
        if any(
            value is not None and name in URL_ATTRIBUTES and value.strip().startswith("#")
            for name, value in attrs
        ):
            self.waiting.append((len(self.out), tag, attrs, source))
            self.out.append("")
        else:
            self.out.append(self._tag(tag, attrs, source))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        self.out.append(data)

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def unknown_decl(self, data):
        self.out.append(f"<![{data}]>")

    def handle_pi(self, data):
        self.out.append(f"<?{data}>")


def html_to_text(html, width=76):
    """A readable plain-text version of `html`: paragraphs, headings, lists, quotes,
    links as `text (url)`, images as `[alt]`, wrapped at `width` (URLs never broken)."""
    maker = _TextMaker()
    replay(html, maker)
    maker.flush()
    out = []
    for block, tight in maker.blocks:
        if out:
            out.append("\n" if tight else "\n\n")
        out.append(_wrap(block, width))
    return "".join(out).strip("\n") + "\n"


def _wrap(block, width):
    first, rest, body, preformatted = block
    lines = []
    for line in body.split("\n"):
        if preformatted:
            lines.append((rest if lines else first) + line)
            continue
        for part in _fill(line, max(width - len(first), 20)):
            lines.append((rest if lines else first) + part)
    return "\n".join(line.rstrip() for line in lines)


def _fill(line, width):
    """The lines `textwrap.wrap(line, width, break_long_words=False,
    break_on_hyphens=False) or [""]` gives, found with string searches when the words
    are joined by single spaces, as `_TextMaker` leaves them (textwrap's general
    machinery was most of the cost of a build's emails); textwrap itself otherwise."""
    if " ".join(line.split()) != line:
        return textwrap.wrap(
            line, width=width, break_long_words=False, break_on_hyphens=False
        ) or [""]
    lines, start = [], 0
    while len(line) - start > width:
        cut = line.rfind(" ", start, start + width + 1)
        if cut == -1:  # a word longer than the line goes on a line of its own
            cut = line.find(" ", start)
            if cut == -1:
                break
        lines.append(line[start:cut])
        start = cut + 1
    lines.append(line[start:])
    return lines


class _TextMaker:
    """`html_tree` handler: the text in blocks, with their prefixes."""

    def __init__(self):
        self.blocks = []  # ((first-line prefix, next-line prefix, text, preformatted), tight)
        self.buffer = []
        self.lists = []  # [kind, counter] per open list
        self.quote = 0
        self.pre = 0
        self.skip = 0
        self.links = []  # [href, buffer length when the link opened]
        self.heading = None
        self.item_prefix = None
        self.last_was_item = False

    def flush(self):
        raw = "".join(self.buffer)
        self.buffer = []
        if self.pre:
            text = raw.strip("\n")
        else:
            text = "\n".join(" ".join(line.split()) for line in raw.split("\n")).strip()
        if not text:
            return
        first = rest = "> " * self.quote + "   " * max(len(self.lists) - 1, 0)
        is_item = self.item_prefix is not None
        if is_item:
            first, rest = first + self.item_prefix, rest + " " * len(self.item_prefix)
            self.item_prefix = None
        if self.heading in ("h1", "h2"):
            underline = "=" if self.heading == "h1" else "-"
            text = f"{text}\n{underline * min(len(text), 72)}"
        self.blocks.append(((first, rest, text, bool(self.pre)), is_item and self.last_was_item))
        self.last_was_item = is_item

    def start(self, tag, attrs):
        if tag in SKIPPED:
            self.skip += 1
            return
        attributes = dict(attrs)
        if tag in BLOCKS or tag in HEADINGS or tag in ("ul", "ol", "li", "blockquote", "pre"):
            self.flush()
        if tag in HEADINGS:
            self.heading = tag
        elif tag in ("ul", "ol"):
            self.lists.append([tag, 0])
            self.last_was_item = False
        elif tag == "li":
            if self.lists:
                self.lists[-1][1] += 1
            kind, number = self.lists[-1] if self.lists else ("ul", 0)
            self.item_prefix = f"{number}. " if kind == "ol" else "- "
        elif tag == "blockquote":
            self.quote += 1
        elif tag == "pre":
            self.pre += 1
        elif tag == "hr":
            self.flush()
            self.blocks.append((("", "", "-" * 20, False), False))
            self.last_was_item = False
        elif tag == "br":
            self.buffer.append("\n")
        elif tag == "a":
            self.links.append([attributes.get("href") or "", len("".join(self.buffer))])
        elif tag == "img":
            alt = (attributes.get("alt") or "").strip()
            if alt:
                self.buffer.append(f"[{alt}]")
        elif tag in ("td", "th"):
            self.buffer.append(" ")

    def end(self, tag):
        if tag in SKIPPED:
            self.skip = max(self.skip - 1, 0)
            return
        if tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.buffer)[start:].strip()
            shown = href.removeprefix("mailto:")
            if href and not href.startswith("#") and shown != label:
                self.buffer.append(f" ({shown})" if label else shown)
        elif tag in HEADINGS:
            self.flush()
            self.heading = None
        elif tag in ("ul", "ol"):
            self.flush()
            if self.lists:
                self.lists.pop()
        elif tag == "blockquote":
            self.flush()
            self.quote = max(self.quote - 1, 0)
        elif tag == "pre":
            self.flush()
            self.pre = max(self.pre - 1, 0)
        elif tag in BLOCKS or tag == "li":
            self.flush()

    def data(self, text):
        if not self.skip:
            self.buffer.append(text)


# UTM tags ---------------------------------------------------------------------------------


def utm_query(template, slug):
    """NEWSLETTER_UTM filled in for one email: 'utm_source=...&utm_campaign=<slug>'."""
    return template.format(slug=slug) if template else ""


def is_site_url(url, siteurl):
    """Whether `url` is a page of the site at `siteurl` (same host and port, either scheme,
    under its path)."""
    try:
        parts, site = urlsplit(url.strip()), urlsplit(siteurl)
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return False
    if (parts.hostname or "").lower() != (site.hostname or "").lower() or \
            _port(parts) != _port(site):
        return False
    base = site.path.rstrip("/")
    return not base or parts.path == base or parts.path.startswith(base + "/")


def _port(parts):
    try:
        return parts.port
    except ValueError:
        return None


def tagged(url, siteurl, query):
    """`url` with the UTM `query` added when it links to the site and carries none of its
    parameters and no utm_ parameter yet (so never twice); any other URL as it is."""
    if not query or not is_site_url(url, siteurl):
        return url
    parts = urlsplit(url.strip())
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    ours = {name for name, _ in parse_qsl(query, keep_blank_values=True)}
    if any(name.lower().startswith("utm_") or name in ours for name, _ in pairs):
        return url
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", joined, parts.fragment))


def untagged(url, siteurl):
    """`url` without its utm_ parameters when it links to the site."""
    if not is_site_url(url, siteurl):
        return url
    parts = urlsplit(url.strip())
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(name, value) for name, value in pairs if not name.lower().startswith("utm_")]
    if len(kept) == len(pairs):
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment))


def with_utm(html, text, siteurl, query):
    """(html, text) with the UTM `query` on every link to the site: each <a>/<area> href
    of the HTML part, each URL of the text part. Everything else stays as written."""
    if not query:
        return html, text
    return (_rewrite_links(html, lambda url: tagged(url, siteurl, query)),
            _rewrite_text_urls(text, lambda url: tagged(url, siteurl, query)))


def without_utm(html, siteurl):
    """`html` with the utm_ parameters taken off its links to the site."""
    return _rewrite_links(html, lambda url: untagged(url, siteurl))


def _rewrite_text_urls(text, change):
    def one(found):
        url = found.group(0)
        core = url.rstrip(TRAILING)
        return change(core) + url[len(core):]

    return TEXT_URL.sub(one, text)


def _rewrite_links(html, change):
    """`html` with `change(href)` on each link, written back only where it changed."""
    root = parse(html)
    if root is None or all(change(a.get("href")) == a.get("href") for a in LINKS(root)):
        return html
    rewriter = _LinkRewriter(change)
    rewriter.feed(html)
    rewriter.close()
    return "".join(rewriter.out)


class _LinkRewriter(_Rewriter):
    """`_Rewriter`'s faithful copy of the source, changing only links' href."""

    def __init__(self, change):
        super().__init__("", None)
        self.change = change

    def handle_starttag(self, tag, attrs):
        source = self.get_starttag_text()
        if tag not in ("a", "area"):
            self.out.append(source)
            return
        new = [[name, self.change(value) if name == "href" and value is not None else value]
               for name, value in attrs]
        if new == [list(a) for a in attrs]:
            self.out.append(source)
            return
        rendered = "".join(
            f" {name}" if value is None else f' {name}="{escape(value, quote=True)}"'
            for name, value in new
        )
        self.out.append(f"<{tag}{rendered}{' /' if source.endswith('/>') else ''}>")

