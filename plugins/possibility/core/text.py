"""Titles and summaries are text: the one rule for showing them, as HTML or as plain text.

A post's `Title` is plain text, exactly as written: `"Café" & <Leadership>` is shown
with its quotes, ampersand and angle brackets, escaped once wherever HTML or XML holds it.

A `Summary` is plain text too, with Markdown's inline formatting and nothing else:
*emphasis*, **strong**, `code` and [links](url) (`{filename}` links included). Anything
else is text, shown as written: `<real>` is not a tag, `&amp;` is not an entity (it shows
as `&amp;`), `# x` is not a heading, `![x](y)` is no image. So a summary reads the same on
the home page (`summary_html`), in the meta description, the feeds' plain-text fields,
JSON-LD and the email's preview text (`html_to_text` of that HTML).

Pure: used by the site's reader (`possibility.site.front_matter`, which makes every
Summary's HTML with `summary_html`), the theme (the `plain_text` Jinja filter), the feeds
and the newsletter.
"""

import lxml.html
from lxml import etree
from markdown import Markdown
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString
from markupsafe import Markup

# What Python-Markdown would otherwise read as markup in a summary: raw HTML and entities
# ("html", "entity", "html_block"), autolinks (they look like tags), images, hard line
# breaks, and every block (headings, lists, quotes, code blocks, rules, link definitions).
NOT_MARKUP = {
    "inline": ("html", "entity", "autolink", "automail", "image_link", "image_reference",
               "short_image_ref", "linebreak"),
    "block": ("indent", "code", "hashheader", "setextheader", "hr", "olist", "ulist", "quote",
              "reference"),
    "pre": ("html_block",),
}


class _LiteralAmpersands(Treeprocessor):
    """Every `&` of the text is a character: serialized as `&amp;`, even before `amp;`
    (Python-Markdown's serializer would leave what looks like an entity alone)."""

    def run(self, root):
        for element in root.iter():
            if element.text and not isinstance(element.text, AtomicString):
                element.text = element.text.replace("&", "&amp;")
            if element.tail and not isinstance(element.tail, AtomicString):
                element.tail = element.tail.replace("&", "&amp;")


def _summary_markdown():
    md = Markdown(output_format="html")
    for name in NOT_MARKUP["inline"]:
        md.inlinePatterns.deregister(name)
    for name in NOT_MARKUP["block"]:
        md.parser.blockprocessors.deregister(name)
    for name in NOT_MARKUP["pre"]:
        md.preprocessors.deregister(name)
    md.treeprocessors.register(_LiteralAmpersands(md), "literal_ampersands", -10)
    return md


_MARKDOWN = None  # made on first use, reset before each conversion: one thread at a time


def summary_html(text):
    """The HTML of a Summary as written (a string, its lines joined by newlines): inline,
    without a wrapping paragraph; Markup, so Jinja and the email templates keep it as is."""
    global _MARKDOWN
    text = str(text or "").strip()
    if not text:
        return Markup("")
    if _MARKDOWN is None:
        _MARKDOWN = _summary_markdown()
    html = _MARKDOWN.reset().convert(text).strip()
    if html.startswith("<p>") and html.endswith("</p>"):
        html = html[len("<p>"):-len("</p>")]
    return Markup(html)


def html_to_text(html):
    """The text a reader sees in an HTML fragment: tags dropped, entities decoded (once),
    whitespace collapsed to single spaces. `A &lt;real&gt; <em>x</em> &amp;amp;` gives
    `A <real> x &amp;`."""
    html = str(html or "")
    if not html.strip():
        return ""
    try:
        fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    except etree.ParserError:  # nothing but a comment or a processing instruction
        return ""
    etree.strip_elements(fragment, etree.Comment, "script", "style", with_tail=False)
    return " ".join(fragment.text_content().split())


def summary_text(text):
    """A Summary as written, as plain text: `summary_html` then `html_to_text`."""
    return html_to_text(summary_html(text))


def one_line(text):
    """Plain text on one line (a subject, a title in a list): whitespace collapsed."""
    return " ".join(str(text or "").split())
