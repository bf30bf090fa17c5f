"""Make every URL in a post's HTML absolute, for readers that show it away from the site.

Pelican resolves `{static}` and `{filename}` links against SITEURL but leaves links the
author wrote as plain relative paths (`../images/x.png`, `other-post/`) as they are: fine
on the post's own page, broken in a feed reader. They are resolved here against the
post's own URL, exactly as a browser on that page would. A URL that cannot be parsed
is left as it is, so one bad link never breaks a feed.
"""

import re
from urllib.parse import urljoin

import lxml.html
from lxml import etree

URL_ATTRIBUTES = (
    "href", "src", "poster", "cite", "action", "formaction", "data", "background",
    "longdesc", "xlink:href",
)
SRCSET_ATTRIBUTES = ("srcset", "imagesrcset")
# Characters XML 1.0 does not allow, even escaped: lxml refuses to write them.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text):
    """`text` without the control characters that would make a feed ill-formed."""
    return NOT_XML.sub("", text)


def absolute_url(url, base_url):
    """`url` resolved against `base_url`; unchanged when it cannot be parsed."""
    try:
        return urljoin(base_url, url.strip())
    except ValueError:
        return url


def absolute_srcset(srcset, base_url):
    """Each image candidate's URL in a srcset resolved, its descriptor kept."""
    return ", ".join(
        f"{absolute_url(url, base_url)} {descriptor}".rstrip()
        for url, descriptor in _srcset_candidates(srcset)
    )


def _srcset_candidates(srcset):
    """(url, descriptor) pairs, split as the HTML spec does: a URL may contain commas."""
    position, end = 0, len(srcset)
    while True:
        while position < end and srcset[position] in ", \t\n\r\f":
            position += 1
        start = position
        while position < end and srcset[position] not in " \t\n\r\f":
            position += 1
        url = srcset[start:position]
        if not url:
            return
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            comma = srcset.find(",", position)
            comma = end if comma == -1 else comma
            descriptor = " ".join(srcset[position:comma].split())
            position = comma
        yield url, descriptor


def absolute_html(html, base_url):
    """`html` (a fragment) with every link, image and media URL absolute."""
    if not html or not html.strip():
        return html
    wrapper = _fragment(html)
    for element in wrapper.iter(etree.Element):
        for name in URL_ATTRIBUTES:
            value = element.get(name)
            if value is not None:
                element.set(name, absolute_url(value, base_url))
        for name in SRCSET_ATTRIBUTES:
            value = element.get(name)
            if value is not None:
                element.set(name, absolute_srcset(value, base_url))
    serialized = lxml.html.tostring(wrapper, encoding="unicode")
    return serialized[len("<div>"):-len("</div>")]


def _fragment(html):
    return lxml.html.fragment_fromstring(html, create_parent="div")
