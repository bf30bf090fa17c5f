"""Images as an email shows them: one `<img>` with an explicit width, pointing at a JPEG or
PNG variant the site build made.

The site build (`possibility.site.images`) turns each content image into a `<picture>`: a
WebP `<source>`, and an `<img>` with `srcset`, `sizes`, `loading`, the largest variant as
`src` and the original's size in `data-src-width`/`data-src-height`. Windows Outlook ignores
CSS `max-width`, shows no WebP and knows no `<picture>`, so each such image becomes an
`<img>` with `width`/`height` of at most NEWSLETTER_IMAGE_MAX_WIDTH
(`possibility.core.images.email_image`) and, as `src`, the smallest of its own JPEG/PNG
variants at least twice that wide (sharp on high-density screens). Nothing else changes.
"""

import re

import lxml.html

from possibility.core.images import email_image

SITE_ONLY = ("srcset", "sizes", "loading", "fetchpriority", "decoding",
             "data-src-width", "data-src-height")


def email_images(html, max_width):
    """`html` with every `<picture>` made one `<img>` sized for email (see the module)."""
    if "data-src-width" not in html:
        return html
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for picture in list(root.iter("picture")):
        img = next(picture.iter("img"), None)  # libxml2 may nest it inside a <source>
        if img is not None:
            img.tail = picture.tail
            picture.getparent().replace(picture, img)
    for img in root.iter("img"):
        _size_for_email(img, max_width)
    text = (root.text or "") + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in root)
    return text


def _size_for_email(img, max_width):
    src_width, src_height = img.get("data-src-width", ""), img.get("data-src-height", "")
    variants = _variants(img.get("srcset", ""))
    for name in SITE_ONLY:
        img.attrib.pop(name, None)
    if not (src_width.isdigit() and src_height.isdigit()):
        return
    width, height = email_image(int(src_width), int(src_height), max_width)
    img.set("width", str(width))
    img.set("height", str(height))
    sharp = [url for shown, url in variants if shown >= 2 * width]
    if sharp or variants:
        img.set("src", sharp[0] if sharp else variants[-1][1])


def _variants(srcset):
    """[(width, url), ...] of a `srcset` with `w` descriptors, narrowest first."""
    found = []
    for candidate in srcset.split(","):
        words = candidate.split()
        if len(words) == 2 and re.fullmatch(r"\d+w", words[1]):
            found.append((int(words[1][:-1]), words[0]))
    return sorted(found)
