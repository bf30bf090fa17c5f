"""Content images: width and height, lazy loading, WebP and JPEG variants made at build time,
deterministic and cached; the rules the newsletter uses for email."""

import io
import json

import pytest
from bs4 import BeautifulSoup
from conftest import PRODUCTION_URL, Site
from PIL import Image
from test_html_valid import nu_errors

from possibility.core.images import (
    email_image,
    email_variant_width,
    fallback_format,
    image_size,
    render_variant,
    variant_path,
    variant_widths,
)
from possibility.site.images import generator as images
from possibility.site.images.html import local_url

POST = """Title: Pictures Of Possibility
Date: 2020-01-02 10:00
Slug: pictures
Summary: A post with pictures.

The first picture, in the first screen:

![A gradient from teal to sand]({static}/images/gradient.jpg)

A second one further down:

![A small transparent square](/images/square.png "A square")

And one from elsewhere, left alone:

![A remote picture](https://example.com/remote.jpg)
"""


def make_images(content):
    """A 1600×1000 JPEG (with EXIF and a comment) and a 600×400 PNG, drawn here."""
    folder = content / "images"
    folder.mkdir(exist_ok=True)
    gradient = Image.new("RGB", (1600, 1000))
    gradient.putdata([(x * 255 // 1600, 120, y * 255 // 1000)
                      for y in range(1000) for x in range(1600)])
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"
    gradient.save(folder / "gradient.jpg", quality=92, exif=exif, comment=b"secret")
    Image.new("RGBA", (600, 400), (29, 95, 90, 128)).save(folder / "square.png")


@pytest.fixture
def pictures(site):
    make_images(site.content)
    site.write_post("pictures.md", POST)
    return site


def test_a_post_image_becomes_a_picture_with_sizes_and_variants(pictures):
    pictures.build()
    soup = BeautifulSoup(pictures.html("pictures/index.html"), "html.parser")
    body = soup.select_one(".post-body")
    first, second = body.find_all("picture")
    img = first.find("img")
    assert img["src"] == f"{PRODUCTION_URL}/images/gradient.1200w.jpg"
    assert (img["width"], img["height"]) == ("1200", "750")
    assert img["alt"] == "A gradient from teal to sand"
    assert img["fetchpriority"] == "high" and not img.has_attr("loading")
    assert img["sizes"] and first.find("source")["sizes"] == img["sizes"]
    source = first.find("source")
    assert source["type"] == "image/webp"
    expected = {"webp": [], "jpg": []}
    for candidate in source["srcset"].split(", ") + img["srcset"].split(", "):
        url, descriptor = candidate.split()
        width = int(descriptor.rstrip("w"))
        assert url.startswith(f"{PRODUCTION_URL}/images/gradient.")
        path = pictures.output / url.removeprefix(f"{PRODUCTION_URL}/")
        with Image.open(path) as variant:
            assert variant.width == width
            assert variant.height == round(1000 * width / 1600)
            assert variant.format == ("WEBP" if url.endswith(".webp") else "JPEG")
            assert not variant.getexif() and "comment" not in variant.info
        expected[url.rsplit(".", 1)[1]].append(width)
    assert expected == {"webp": [480, 800, 1200], "jpg": [480, 800, 1200]}

    small = second.find("img")
    assert small["loading"] == "lazy" and not small.has_attr("fetchpriority")
    assert (small["width"], small["height"], small["title"]) == ("600", "400", "A square")
    assert small["src"] == "/images/square.600w.png"  # written as the author wrote it: /images
    assert second.find("source")["srcset"] == (
        "/images/square.480w.webp 480w, /images/square.600w.webp 600w")
    with Image.open(pictures.output / "images/square.600w.png") as variant:
        assert variant.mode == "RGBA" and variant.size == (600, 400)

    remote = body.find("img", alt="A remote picture")
    assert remote.parent.name == "p" and not remote.has_attr("width")
    assert nu_errors(pictures.output / "pictures") == []


def test_feeds_see_the_sites_images(pictures):
    pictures.build()
    feed = (pictures.output / "feeds/all.atom.xml").read_text()
    assert "images/gradient.480w.webp 480w" in feed


def test_in_email_each_image_has_its_width_and_a_jpeg_or_png_variant(pictures):
    """Outlook ignores max-width and shows no WebP: an explicit width of at most
    NEWSLETTER_IMAGE_MAX_WIDTH, and the smallest variant at least twice that wide."""
    pictures.build()
    meta = json.loads((pictures.output / "newsletter/pictures/meta.json").read_text())
    body = BeautifulSoup(meta["html"], "html.parser")
    assert not body.find("picture") and not body.find("source")
    gradient = body.find("img", alt="A gradient from teal to sand")
    assert (gradient["width"], gradient["height"]) == ("560", "350")  # 1600x1000 -> 560 wide
    assert gradient["src"] == f"{PRODUCTION_URL}/images/gradient.1200w.jpg"  # >= 2 x 560
    square = body.find("img", alt="A small transparent square")
    assert (square["width"], square["height"]) == ("560", "373")
    assert square["src"] == f"{PRODUCTION_URL}/images/square.600w.png"  # the largest it has
    for img in (gradient, square):
        assert not {"srcset", "sizes", "loading", "fetchpriority", "data-src-width"} & set(
            img.attrs)
        assert (pictures.output / img["src"].removeprefix(f"{PRODUCTION_URL}/")).is_file()
    remote = body.find("img", alt="A remote picture")
    assert remote["src"] == "https://example.com/remote.jpg"


def test_a_local_build_links_variants_relative_to_the_page(pictures):
    pictures.build("pelicanconf.py")
    html = pictures.html("pictures/index.html")
    assert 'src="../images/gradient.1200w.jpg"' in html
    assert "../images/gradient.480w.webp 480w" in html
    assert (pictures.output / "images/gradient.480w.webp").is_file()


def test_variants_are_deterministic_and_a_warm_build_makes_none(tmp_path):
    one, two = Site(tmp_path / "one"), Site(tmp_path / "two")
    for site in (one, two):
        make_images(site.content)
        site.write_post("pictures.md", POST)
    one.build()
    assert images.LAST_BUILD["rendered"] == 10  # 3 + 2 widths, WebP and JPEG/PNG each
    two.build()
    for name in ("gradient.480w.webp", "gradient.1200w.webp", "gradient.800w.jpg",
                 "square.600w.png"):
        assert (one.output / "images" / name).read_bytes() == \
            (two.output / "images" / name).read_bytes(), name
    one.build()
    assert images.LAST_BUILD == {"rendered": 0, "cached": 10, "written": 0}
    data = (one.content / "images" / "gradient.jpg").read_bytes()
    assert render_variant(data, 480, "webp") == render_variant(data, 480, "webp")


def test_the_variant_rules():
    assert variant_widths(1600) == [480, 800, 1200]
    assert variant_widths(1000) == [480, 800, 1000]
    assert variant_widths(300) == [300]
    assert variant_widths(800, (480, 800, 1200)) == [480, 800]
    assert variant_path("images/a/pier.jpeg", 480, "webp") == "images/a/pier.480w.webp"
    assert fallback_format("x.JPEG") == "jpg" and fallback_format("x.gif") is None
    assert email_image(1600, 1000, 600) == (600, 375)
    assert email_image(400, 300, 600) == (400, 300)
    assert email_variant_width(1600, 600) == 1200
    assert email_variant_width(1000, 400) == 800
    assert email_variant_width(500, 500) == 500


def test_which_src_is_a_local_image():
    assert local_url("https://x.com/images/a.jpg", "https://x.com", "p/") == "images/a.jpg"
    assert local_url("../images/a.jpg", "..", "p/") == "images/a.jpg"
    assert local_url("/images/a%20b.jpg", "", "p/") == "images/a b.jpg"
    assert local_url("../images/a.jpg", "", "posts/p/") == "posts/images/a.jpg"
    assert local_url("https://other.com/images/a.jpg", "https://x.com", "p/") is None
    assert local_url("data:image/png;base64,xx", "", "p/") is None


def test_an_image_pillow_cannot_read_is_left_alone(site, caplog):
    (site.content / "images").mkdir(exist_ok=True)
    (site.content / "images" / "broken.jpg").write_bytes(b"not a jpeg")
    site.write_post("broken.md", POST.replace("gradient.jpg", "broken.jpg")
                    .replace("/images/square.png", "https://example.com/s.png"))
    site.build()
    img = BeautifulSoup(site.html("pictures/index.html"), "html.parser").find(
        "img", alt="A gradient from teal to sand")
    assert img["src"] == f"{PRODUCTION_URL}/images/broken.jpg"
    assert img.parent.name == "p"
    assert any("broken.jpg: not resized" in r.getMessage() for r in caplog.records)


def test_render_variant_applies_the_exif_orientation():
    image = Image.new("RGB", (200, 100), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90°: shown 100 wide, 200 high
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    assert image_size(out.getvalue()) == (100, 200)
    variant = Image.open(io.BytesIO(render_variant(out.getvalue(), 50, "jpg")))
    assert variant.size == (50, 100)
