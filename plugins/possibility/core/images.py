"""Resized variants of the content images, and their sizes: pure rules plus Pillow.

Used by the site build (`possibility.site.images`, which writes the variants and rewrites
each page's `<img>`) and meant for the newsletter, which sends the same variants.

**The variant naming rule** (`variant_path`): a content image `images/pier.jpg` of
width W has variants `images/pier.<w>w.webp` and `images/pier.<w>w.jpg` (`.png` for a PNG)
beside it in the output, for each `w` of `variant_widths(W, widths)`: the configured widths
smaller than W, and W itself capped at the largest configured width. The largest variant
is the image's fallback `src`; no variant is ever wider than the original.

**In email** every image must carry an explicit `width` (Windows Outlook ignores CSS
`max-width`) and point at a JPEG/PNG variant (Outlook shows no WebP):
`possibility.core.newsletter.email_images` makes each `<picture>` one `<img>` sized with
`email_image` (at most NEWSLETTER_IMAGE_MAX_WIDTH), from the original's size the site build
writes in `data-src-width`/`data-src-height`.

Encoding is deterministic: metadata (EXIF, ICC, XMP, comments) is dropped, the
EXIF orientation applied first, and the same bytes and widths always give the same bytes.
"""

import io
import posixpath

DEFAULT_WIDTHS = (480, 800, 1200)
WEBP_QUALITY = 80
JPEG_QUALITY = 82
FORMATS = {".jpg": "jpg", ".jpeg": "jpg", ".png": "png"}  # originals that get variants
ROTATED = {5, 6, 7, 8}  # EXIF orientations that swap width and height
EXIF_ORIENTATION = 0x0112


def variant_widths(src_width, widths=DEFAULT_WIDTHS):
    """The widths of an image's variants, ascending: each configured width below the
    original's, and the original's capped at the largest configured width."""
    widths = sorted({int(w) for w in widths if int(w) > 0})
    if not widths or src_width < 1:
        return []
    largest = min(int(src_width), widths[-1])
    return sorted({w for w in widths if w < largest} | {largest})


def scaled_height(src_width, src_height, width):
    """The height of the image scaled to `width`, rounded, at least 1."""
    return max(1, round(src_height * width / src_width))


def fallback_format(path):
    """"jpg" or "png": the format of the non-WebP variants of the image at `path`; None for
    an image that gets no variants (GIF, SVG, WebP...)."""
    return FORMATS.get(posixpath.splitext(str(path).lower())[1])


def variant_path(path, width, fmt):
    """`images/pier.jpg`, 480, "webp" -> `images/pier.480w.webp` (a path or URL path)."""
    stem, _ = posixpath.splitext(str(path))
    return f"{stem}.{int(width)}w.{fmt}"


def email_image(src_width, src_height, max_width):
    """(width, height) an email shows an image at: its own size, or scaled down to
    `max_width` (NEWSLETTER_IMAGE_MAX_WIDTH) keeping its proportions."""
    if src_width <= max_width:
        return int(src_width), int(src_height)
    return int(max_width), scaled_height(src_width, src_height, max_width)


def email_variant_width(src_width, shown_width, widths=DEFAULT_WIDTHS):
    """The variant an email links to for an image shown `shown_width` wide: the smallest
    at least twice that (sharp on high-density screens), else the largest."""
    available = variant_widths(src_width, widths)
    if not available:
        return None
    return next((w for w in available if w >= 2 * shown_width), available[-1])


def image_size(source):
    """(width, height) of an image (a path, or its bytes) as shown: EXIF rotation applied.
    Reads the file's header only."""
    from PIL import Image

    with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
        width, height = image.size
        if _orientation(image) in ROTATED:
            return height, width
        return width, height


def _orientation(image):
    try:
        return image.getexif().get(EXIF_ORIENTATION, 1)
    except Exception:  # a broken EXIF block: show the image as stored
        return 1


def render_variant(data, width, fmt):
    """The bytes of the image in `data` resized to `width` and encoded as `fmt` ("webp",
    "jpg" or "png"), without metadata: deterministic."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        image = ImageOps.exif_transpose(image)
        has_alpha = image.mode in ("RGBA", "LA", "PA") or (
            image.mode == "P" and "transparency" in image.info)
        image = image.convert("RGBA" if has_alpha and fmt != "jpg" else "RGB")
        if image.width != width:
            image = image.resize(
                (width, scaled_height(image.width, image.height, width)), Image.LANCZOS)
        image.info.clear()
        out = io.BytesIO()
        if fmt == "webp":
            image.save(out, "WEBP", quality=WEBP_QUALITY, method=4, exact=False)
        elif fmt == "jpg":
            image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        elif fmt == "png":
            image.save(out, "PNG", optimize=True)
        else:
            raise ValueError(f"no variant format {fmt!r}")
        return out.getvalue()
