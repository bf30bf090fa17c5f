"""Share cards: a 1200×630 PNG for every post, page and event, deterministic and cached."""

import io
import os
import shutil
import time

import pytest
from bs4 import BeautifulSoup
from conftest import PRODUCTION_URL, ROOT, Site
from PIL import Image

from possibility.commands.publish.build import BuildError
from possibility.site.share_cards import generator as cards
from possibility.site.share_cards.render import (
    ELLIPSIS,
    HEIGHT,
    TITLE_BOX,
    WIDTH,
    advance,
    clusters,
    fit_title,
    render_card,
)

SHARED = "{% set shared = article or page or event %}"
META = ('<meta property="og:image" content="{{ shared.share_card }}">'
        '<meta name="x-card-path" content="{{ shared.share_card_path }}">')


@pytest.fixture
def theme(tmp_path):
    """The site's theme with base.html wired as README "Share cards and images" says."""
    copy = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", copy)
    base = copy / "templates" / "base.html"
    text = base.read_text()
    base.write_text(text.replace("</head>", SHARED + "{% if shared %}" + META
                                 + "{% endif %}\n</head>", 1))
    return copy


def card_meta(html):
    soup = BeautifulSoup(html, "html.parser")
    image = soup.find("meta", property="og:image")
    path = soup.find("meta", attrs={"name": "x-card-path"})
    return image and image["content"], path and path["content"]


def png_size(path):
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.size


def test_every_post_page_and_event_has_a_card_linked_by_its_absolute_url(site, theme):
    site.build(THEME=str(theme))
    pages = {
        "should-your-work-speak-for-itself/index.html":
            "should-your-work-speak-for-itself/card.png",
        "about/index.html": "about/card.png",
        "executive-coaching-group/index.html": "executive-coaching-group/card.png",
        "events/executive-coaching-group-2019-04/index.html":
            "events/executive-coaching-group-2019-04/card.png",
        "404.html": "cards/404.png",
    }
    for page, card in pages.items():
        url, path = card_meta(site.html(page))
        assert (url, path) == (f"{PRODUCTION_URL}/{card}", card), page
        assert png_size(site.output / card) == (WIDTH, HEIGHT) == (1200, 630)
    assert card_meta(site.html("index.html")) == (None, None)  # not a post, page or event


def test_a_local_build_has_card_files_but_no_absolute_urls(site, theme):
    site.build("pelicanconf.py", THEME=str(theme))
    url, path = card_meta(site.html("about/index.html"))
    assert url == "None" and path == "about/card.png"
    assert png_size(site.output / "about/card.png") == (1200, 630)


def test_cards_are_the_same_bytes_on_every_machine_and_build(tmp_path):
    first, second = Site(tmp_path / "one"), Site(tmp_path / "two")  # separate caches
    first.build()
    second.build()
    ones = sorted(p.relative_to(first.output) for p in first.output.rglob("card.png"))
    assert len(ones) >= 8
    for relative in ones:
        assert (first.output / relative).read_bytes() == (second.output / relative).read_bytes()
    data = (first.output / ones[0]).read_bytes()
    assert b"tIME" not in data and b"tEXt" not in data and b"eXIf" not in data


def test_a_warm_build_draws_no_card_and_a_new_title_draws_one(site):
    site.build()
    total = cards.LAST_BUILD["rendered"]
    assert total >= 8 and cards.LAST_BUILD["cached"] == 0
    before = (site.output / "about/card.png").stat().st_mtime_ns
    site.build()
    assert cards.LAST_BUILD == {"rendered": 0, "cached": total, "written": 0}
    assert (site.output / "about/card.png").stat().st_mtime_ns >= before  # touched, kept
    about = site.content / "pages" / "about.md"
    about.write_text(about.read_text().replace("Title: ", "Title: All "), encoding="utf-8")
    site.build()
    assert cards.LAST_BUILD["rendered"] == 1 and cards.LAST_BUILD["written"] == 1


def test_a_title_with_accents_is_drawn_with_its_marks():
    accented = render_card("The Possibility Practice", "Café naïveté, Ångström: Señor Šimek",
                           "Cultivate curiosity. Create possibility.")
    plain = render_card("The Possibility Practice", "Cafe naivete, Angstrom: Senor Simek",
                        "Cultivate curiosity. Create possibility.")
    assert accented != plain  # the marks are drawn, not dropped
    image = Image.open(io.BytesIO(accented))
    assert image.size == (1200, 630)
    marks = [c.marks for c in clusters("Café naïveté Ångström Šimek") if c.marks]
    assert marks == [("\u0301",), ("\u0308",), ("\u0301",), ("\u030a",), ("\u0308",),
                     ("\u030c",)]
    # Characters Pillow's font lacks are spelled in ASCII, never drawn as empty boxes.
    assert "".join(c.base for c in clusters("Straße – ø 😀")) == "Strasse - o "


def test_a_very_long_title_is_shrunk_wrapped_and_cut_to_fit():
    left, top, right, bottom = TITLE_BOX
    size, lines = fit_title("Short")
    assert size == 80 and len(lines) == 1
    size, lines = fit_title("Should Your Work Speak For Itself? " * 3)
    assert size < 80 and len(lines) > 1
    size, lines = fit_title("An Extraordinarily Long Title That Keeps Going " * 20)
    assert size == 40
    assert len(lines) * size * 1.2 <= bottom - top
    assert all(advance(line, size) <= right - left for line in lines)
    assert lines[-1][-1].base == ELLIPSIS
    size, lines = fit_title("Supercalifragilisticexpialidocious" * 4)  # one unbreakable word
    assert all(advance(line, size) <= right - left for line in lines)
    data = render_card("The Possibility Practice", "Long " * 400, "Tagline")
    assert Image.open(io.BytesIO(data)).size == (1200, 630)


def many_cards(count):
    return [cards.Card(f"post-{n}/card.png", "The Possibility Practice", f"Post number {n}",
                       "Cultivate curiosity. Create possibility.") for n in range(count)]


def drawn_as_rendered(output, planned):
    for card in planned:
        expected = render_card(card.sitename, card.title, card.tagline)
        assert (output / card.path).read_bytes() == expected, card.path


def test_many_cards_are_drawn_in_the_background_while_the_build_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})  # two cores, as in CI
    planned = many_cards(40)
    drawing = cards.Drawing(planned, tmp_path / "cache", tmp_path / "out")
    assert len(drawing.processes) == 1  # one background process; the build's is the other
    assert drawing.finish() == 40
    assert not any(p.is_alive() for p in drawing.processes)
    drawn_as_rendered(tmp_path / "out", planned)
    assert len(list((tmp_path / "cache").glob("*.png"))) == 40


def test_a_card_a_dead_background_process_took_is_drawn_by_the_build(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    build, draw_in_turn = os.getpid(), cards.draw_in_turn

    def dies_after_taking_one(planned, cache, output, turn, written):
        if os.getpid() != build:
            with turn.get_lock():
                turn.value += 1
            os._exit(1)
        draw_in_turn(planned, cache, output, turn, written)

    monkeypatch.setattr(cards, "draw_in_turn", dies_after_taking_one)
    planned = many_cards(40)
    drawing = cards.Drawing(planned, tmp_path / "cache", tmp_path / "out")
    assert drawing.finish() == 40
    assert [p.exitcode for p in drawing.processes] == [1]
    drawn_as_rendered(tmp_path / "out", planned)


def test_a_site_of_many_posts_gets_every_card_drawn_in_the_background(site, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    for n in range(40):
        site.write_post(f"many-{n}.md", f"Title: Many {n}\nDate: 2021-01-01 10:{n:02d}\n"
                        f"Category: Careers\n\nText {n}.\n")
    started, drawing = [], cards.Drawing
    monkeypatch.setattr(cards, "Drawing", lambda *args: started.append(drawing(*args))
                        or started[-1])
    site.build()
    assert len(started[0].processes) == 1
    assert cards.LAST_BUILD["rendered"] == len(started[0].cards) >= 48
    assert (site.output / "many-39/card.png").read_bytes() == render_card(
        "The Possibility Practice", "Many 39", "Cultivate curiosity. Create possibility.")


def test_a_card_is_a_whole_png_by_the_letter_of_the_format():
    """The card's PNG is put together by hand: every chunk's CRC, the one zlib stream (its
    Adler-32 included) and the rows are checked here as a strict decoder would."""
    import struct
    import zlib

    data = render_card("The Possibility Practice", "Curiosity Before Strategy",
                       "Cultivate curiosity. Create possibility.")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append((kind, body))
        at += 12 + length
    assert [kind for kind, _ in chunks] == [b"IHDR", b"PLTE", b"IDAT", b"IEND"]
    assert struct.unpack(">IIBBBBB", chunks[0][1]) == (1200, 630, 8, 3, 0, 0, 0)
    assert len(chunks[1][1]) == 3 * 256
    rows = zlib.decompress(chunks[2][1])  # checks the stream's Adler-32
    assert len(rows) == 630 * (1 + 1200) and all(rows[i * 1201] == 0 for i in range(630))
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.tobytes() == b"".join(rows[i * 1201 + 1:(i + 1) * 1201] for i in range(630))


def test_cards_drawn_when_pelican_gets_to_them_are_the_same(site):
    site.build(SHARE_CARDS_BACKGROUND=False)
    first = {p.relative_to(site.output): p.read_bytes() for p in site.output.rglob("card.png")}
    shutil.rmtree(site.output)
    shutil.rmtree(site.folder / "cache")
    site.build()
    assert {p.relative_to(site.output): p.read_bytes()
            for p in site.output.rglob("card.png")} == first


def test_share_cards_background_must_be_true_or_false(site):
    with pytest.raises(BuildError, match="SHARE_CARDS_BACKGROUND is 'no': write True or False"):
        site.build(SHARE_CARDS_BACKGROUND="no")


def test_temp_files_a_killed_build_left_in_the_caches_are_removed(site):
    """A build killed while writing leaves a temp file beside its caches; the next build
    removes those older than an hour (no live write is that old) and no other file."""
    site.build()
    cache = site.folder / "cache"
    old = [cache / "share-cards" / ".abc.png.x1y2.tmp", cache / ".NewsletterEmails.z9.tmp"]
    young = cache / "share-cards" / ".def.png.k3.tmp"
    kept = cache / "share-cards" / "notes.txt"
    for path in [*old, young, kept]:
        path.write_bytes(b"half")
    two_hours_ago = time.time() - 7200
    for path in [*old, kept]:
        os.utime(path, (two_hours_ago, two_hours_ago))
    post = site.content / "posts" / "is-your-career-off-track.md"
    post.write_text(post.read_text().replace("Title: ", "Title: New "), encoding="utf-8")
    site.build()  # draws a card and stores a new email cache
    assert [p.exists() for p in old] == [False, False]
    assert young.exists() and kept.exists()


def test_adler32_combine_is_zlibs():
    import random
    import zlib

    from possibility.site.share_cards.render import adler32_combine

    rng = random.Random(7)
    for _ in range(300):
        first = rng.randbytes(rng.randrange(0, 70000))
        second = rng.choice([b"", bytes(rng.randrange(1, 70000)),
                             rng.randbytes(rng.randrange(1, 70000))])
        assert adler32_combine(zlib.adler32(first), zlib.adler32(second), len(second)) == (
            zlib.adler32(first + second))
