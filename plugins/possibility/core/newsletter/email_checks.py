"""What makes an email unsendable, as pure functions returning the problems in words.

The build fails on any of them (so no broken email is ever deployed next to its post),
and the sender runs the same checks on a digest it composes.
"""

import re

from lxml import etree

from .html_transform import ANCHORS, URL_ATTRIBUTES, is_absolute
from .html_tree import parse

# Mailchimp refuses to send a campaign without these; each part needs its own.
REQUIRED_HTML_TAGS = ("*|UNSUB|*", "*|UPDATE_PROFILE|*", "*|HTML:LIST_ADDRESS_HTML|*")
REQUIRED_TEXT_TAGS = ("*|UNSUB|*", "*|UPDATE_PROFILE|*", "*|LIST:ADDRESS|*")
GMAIL_CLIPS_AT_KB = 102
CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE)
# Every attribute that holds URLs, in document order; every element id (and old-style
# anchor name); images with no alt text; the text of style elements.
URL_VALUES = etree.XPath(" | ".join(f"//@{name}" for name in sorted(URL_ATTRIBUTES)
                                    + ["srcset", "style"]))
IMAGES_WITHOUT_ALT = etree.XPath("//img[not(normalize-space(@alt))]")
STYLE_TEXT = etree.XPath("//style/text()")


def check_email(html, text, subject, *, max_html_bytes=90 * 1024, max_subject=150):
    """Every problem of one email (HTML part, text part, subject), in the author's words."""
    problems = []
    size = len(html.encode("utf-8"))
    if size > max_html_bytes:
        problems.append(
            f"the email's HTML is {size / 1024:.0f} KB, over the {max_html_bytes // 1024} KB "
            f"limit (Gmail clips messages over {GMAIL_CLIPS_AT_KB} KB and hides the unsubscribe "
            "link): shorten the post, or set NEWSLETTER_CONTENT = 'summary'."
        )
    inventory = _Inventory(html)
    for tag, attribute, url in inventory.urls:
        if url.startswith("#"):
            if url[1:] and url[1:] not in inventory.ids:
                problems.append(
                    f"<{tag} {attribute}=\"{url}\"> points to an anchor that is not in the email: "
                    "link to the post's page instead."
                )
        elif not is_absolute(url):
            problems.append(
                f"<{tag} {attribute}=\"{url}\"> is a relative URL, which no email client can "
                "open: use an absolute https:// URL or a {filename}/{static} link."
            )
    for source in inventory.images_without_alt:
        problems.append(
            f"the image {source} has no alt text: describe it, as in "
            "![What the image shows](...), for readers whose mail hides images."
        )
    for tag in REQUIRED_HTML_TAGS:
        if tag not in html:
            problems.append(f"the HTML part lacks Mailchimp's {tag} merge tag (required).")
    for tag in REQUIRED_TEXT_TAGS:
        if tag not in text:
            problems.append(f"the plain-text part lacks Mailchimp's {tag} merge tag (required).")
    if not subject.strip():
        problems.append("the subject is empty: give the post a Title or a 'Subject:' line.")
    elif len(subject) > max_subject:
        problems.append(
            f"the subject is {len(subject)} characters, over the {max_subject} allowed: "
            "add a shorter 'Subject:' line to the front matter."
        )
    return problems


def check_groups(named, known, source="NEWSLETTER_GROUPS"):
    """Problems for interest groups named in front matter that the list does not have."""
    return [
        f"field 'Newsletter-Groups' names {group!r}, which is not an interest group of the "
        f"list. Write one of: {', '.join(known)} (from {source})."
        for group in named if group not in known
    ]


class _Inventory:
    """Every URL (attributes, srcset, CSS url()), element id and image without alt."""

    def __init__(self, html):
        self.urls, self.ids, self.images_without_alt = [], set(), []
        root = parse(html)
        if root is None:
            return
        self.ids = {value for value in ANCHORS(root) if value}
        for value in URL_VALUES(root):
            tag, name = value.getparent().tag, value.attrname
            if name == "srcset":
                self.urls += [(tag, name, c.split()[0]) for c in value.split(",") if c.split()]
            elif name == "style":
                if "url(" in value.lower():  # most inlined styles hold none
                    self.urls += [(tag, "style", m.group(2)) for m in CSS_URL.finditer(value)]
            elif tag != "meta" and value.strip():
                self.urls.append((tag, name, value.strip()))
        for text in STYLE_TEXT(root):
            self.urls += [("style", "url", m.group(2)) for m in CSS_URL.finditer(text)]
        self.images_without_alt = [img.get("src") or "without src" for img in
                                   IMAGES_WITHOUT_ALT(root)]
