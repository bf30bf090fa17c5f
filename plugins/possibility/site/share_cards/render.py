"""Draw one share card (1200×630 PNG) with Pillow: pure, deterministic, no files read.

The font is the one Pillow ships (`ImageFont.load_default(size)`: Aileron Regular, basic
layout), so no system font and no download is needed and every machine draws the same
pixels. That font has ASCII and a little punctuation only, so text is drawn cluster by
cluster: a letter with accents (é, ü, ñ, ç, å, č...) is its base letter with the marks drawn
above or below it (from the font's own ´ ` ~ ° . , glyphs, or as strokes), and a character
the font lacks altogether (ß, ø, –, emoji) is spelled in ASCII (Unidecode). The PNG holds
no timestamp or other metadata: the same text gives the same bytes.

A build draws a card for every post, so drawing is made cheap (`python -m
bench.share_cards`): what every card shares (the name, the tagline, the bars) is drawn once
(`_background`), each glyph is rendered once per size and stamped after that (`glyph`), and
the card is a palette PNG (one byte a pixel: 256 colours, a ramp of shades from the
background to each of the card's colours, `RAMPS`) rather than RGB (three bytes): the same
look, a third of the bytes to compress.
"""

import struct
import unicodedata
import zlib
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont
from unidecode import unidecode

WIDTH, HEIGHT = 1200, 630
MARGIN = 80
# The site's light colours (theme/static/css/site.css, :root).
COLOURS = {
    "bg": "#fdfcf9",  # --bg
    "fg": "#1f2427",  # --fg
    "muted": "#52595e",  # --muted
    "accent": "#1d5f5a",  # --accent
    "rule": "#d9d6cc",  # --rule
}
TITLE_BOX = (MARGIN, 150, WIDTH - MARGIN, 505)  # left, top, right, bottom
# Where the title's ink may go (marks above its first line included): the card's background
# alone, between the accent bar, the name above and the rule below.
TITLE_AREA = (24, 112, WIDTH, 530)
TITLE_SIZES = tuple(range(80, 39, -4))
LINE_HEIGHT = 1.2
ELLIPSIS = "…"

# Combining marks drawn with one of the font's own glyphs, above the letter.
GLYPH_ABOVE = {"\u0301": "´", "\u0300": "`", "\u0303": "~", "\u030a": "°"}
DOTS_ABOVE = {"\u0308": 2, "\u0307": 1}  # diaeresis, dot above
STROKES_ABOVE = {"\u0302", "\u030c", "\u0304", "\u0306", "\u030b"}  # ^ caron macron breve ˝
BELOW = {"\u0327", "\u0328"}  # cedilla, ogonek


@dataclass(frozen=True)
class Cluster:
    base: str
    marks: tuple = ()


@lru_cache(maxsize=64)
def font(size):
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=1024)
def has_glyph(char):
    """True when Pillow's font draws `char` (not its 'missing' box)."""
    if char.isspace():
        return True
    reference = font(40)

    def mask(c):
        drawn = reference.getmask(c)
        return drawn.size, bytes(drawn)

    return mask(char) != mask("\ue000")


def clusters(text):
    """`text` as Clusters the font can draw: letters with their marks, or ASCII spellings."""
    result = []
    for char in unicodedata.normalize("NFD", " ".join(str(text).split())):
        if unicodedata.combining(char):
            if result and result[-1].base.isalpha():
                last = result[-1]
                result[-1] = Cluster(last.base, last.marks + (char,))
            continue
        if has_glyph(char):
            result.append(Cluster(char))
            continue
        spelled = "-" if unicodedata.category(char) == "Pd" else unidecode(char)
        result.extend(Cluster(c) for c in spelled if has_glyph(c))
    return result


@lru_cache(maxsize=4096)
def char_width(size, char):
    return font(size).getlength(char)


def text_width(string, size):
    """The width of `string` at `size`: the sum of its characters' (basic layout has no
    kerning), each measured once."""
    return sum(char_width(size, char) for char in string)


def advance(items, size):
    """The width of `items` (Clusters) drawn at `size`."""
    return text_width("".join(c.base for c in items), size)


def _words(items):
    word = []
    for item in items:
        if item.base == " ":
            if word:
                yield word
            word = []
        else:
            word.append(item)
    if word:
        yield word


def wrap(items, size, width):
    """Lines (lists of Clusters) no wider than `width` at `size`; a word wider than a line
    is cut between letters."""
    space = [Cluster(" ")]
    lines, line = [], []
    for word in _words(items):
        while advance(word, size) > width:  # a word too long for any line
            if line:
                lines.append(line)
                line = []
            cut = len(word)
            while cut > 1 and advance(word[:cut], size) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        candidate = line + space + word if line else word
        if line and advance(candidate, size) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def fit_title(title, box=TITLE_BOX, sizes=TITLE_SIZES):
    """(size, lines) of the title in `box`: the largest size at which it fits, wrapped;
    at the smallest size a title still too long is cut, its last line ending in '…'."""
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    items = clusters(title) or [Cluster("?")]
    for size in sizes:
        lines = wrap(items, size, width)
        if len(lines) * size * LINE_HEIGHT <= height:
            return size, lines
    size = sizes[-1]
    lines = wrap(items, size, width)
    keep = max(1, int(height // (size * LINE_HEIGHT)))
    last = lines[keep - 1] + [Cluster(ELLIPSIS)]
    while len(last) > 1 and advance(last, size) > width:
        last = last[:-2] + [Cluster(ELLIPSIS)]
        while len(last) > 1 and last[-2].base == " ":
            last = last[:-2] + [Cluster(ELLIPSIS)]
    return size, lines[: keep - 1] + [last]


class _Pen:
    """Draws Clusters on the card, marks included."""

    def __init__(self, draw, size, fill, background, bold=False):
        self.draw, self.size, self.fill, self.background = draw, size, fill, background
        self.font = font(size)
        self.stroke = 1 if bold and size >= 40 else 0
        self.gap = max(2, round(size * 0.05))
        self.line = max(2, round(size * 0.075))

    def ink(self, string):
        """The bounding box of the ink of `string` drawn at (0, baseline 0)."""
        mask, (dx, dy) = self.font.getmask2(string, anchor="ls", stroke_width=self.stroke)
        box = mask.getbbox() or (0, 0, 0, 0)
        return dx + box[0], dy + box[1], dx + box[2], dy + box[3]

    def text(self, x, baseline, string):
        """Stamp `string`'s glyphs, each where the font's layout puts it (kerning kept)."""
        for char in string:
            drawn = glyph(self.size, self.stroke, char)
            if drawn is not None:
                mask, left, top = drawn
                at = round(x) + left
                self.draw.im.paste(self.fill, (at, baseline + top, at + mask.width,
                                               baseline + top + mask.height), mask.im)
            x += char_width(self.size, char)

    def line_of(self, x, baseline, items):
        run = ""
        for item in items:
            if not item.marks:
                run += item.base
                continue
            if run:
                self.text(x, baseline, run)
                x += text_width(run, self.size)
                run = ""
            self.cluster(x, baseline, item)
            x += char_width(self.size, item.base)
        if run:
            self.text(x, baseline, run)

    def cluster(self, x, baseline, item):
        left, top, right, bottom = self.ink(item.base)
        above = [m for m in item.marks if m not in BELOW]
        self.text(x, baseline, item.base)
        if item.base in "ij" and above:  # a dotless i or j under the marks
            x_height = self.ink("x")[1]
            self.draw.rectangle((x + left - 1, baseline + top - 1, x + right + 1,
                                 baseline + x_height - self.gap), fill=self.background)
            top = x_height
        centre = x + (left + right) / 2
        for mark in above:
            top = self._above(centre, baseline + top, mark) - baseline
        for mark in item.marks:
            if mark in BELOW:
                self._below(centre, right + x, baseline, mark)

    def _glyph(self, centre, bottom, glyph):
        """Draw `glyph` centred on `centre` with its ink ending at `bottom`; its top."""
        g_left, g_top, g_right, g_bottom = self.ink(glyph)
        x = centre - (g_left + g_right) / 2
        self.text(x, bottom - g_bottom, glyph)
        return bottom - (g_bottom - g_top)

    def _above(self, centre, top, mark):
        """Draw one mark above ink whose top is at `top`; the marks' new top."""
        bottom = top - self.gap
        size, stroke = self.size, self.line
        if mark in GLYPH_ABOVE:
            return self._glyph(centre, bottom, GLYPH_ABOVE[mark])
        if mark in DOTS_ABOVE:
            offsets = (-size * 0.12, size * 0.12) if DOTS_ABOVE[mark] == 2 else (0,)
            return min(self._glyph(centre + dx, bottom, ".") for dx in offsets)
        if mark == "\u030b":  # double acute
            return min(self._glyph(centre + dx, bottom, "´") for dx in (-size * .08, size * .08))
        half, height = size * 0.14, size * 0.13
        high, low = bottom - height, bottom
        if mark == "\u0302":  # circumflex
            points = [(centre - half, low), (centre, high), (centre + half, low)]
        elif mark == "\u030c":  # caron
            points = [(centre - half, high), (centre, low), (centre + half, high)]
        elif mark == "\u0304":  # macron
            points = [(centre - half, low - stroke / 2), (centre + half, low - stroke / 2)]
            high = low - stroke
        else:  # breve
            self.draw.arc((centre - half, high - height, centre + half, low), 20, 160,
                          fill=self.fill, width=stroke)
            return high
        self.draw.line(points, fill=self.fill, width=stroke, joint="curve")
        return high - stroke / 2

    def _below(self, centre, right, baseline, mark):
        comma = self.ink(",")
        x = (right - self.size * 0.12 if mark == "\u0328" else centre) - (comma[0] + comma[2]) / 2
        self.text(x, baseline + (comma[3] - comma[1]) * 0.55, ",")


def fit_line(text, size, width, smallest=20):
    """(size, clusters) of one line of text, shrunk until it fits `width`."""
    items = clusters(text)
    while size > smallest and advance(items, size) > width:
        size -= 2
    return size, items


@lru_cache(maxsize=4096)
def glyph(size, stroke, char):
    """(mask, left, top) of `char` drawn at `size`: its ink as an "L" image and where that
    starts from the pen's origin on the baseline; None for no ink (a space)."""
    pad = size * 2
    canvas = Image.new("L", (pad * 3, pad * 2), 0)
    ImageDraw.Draw(canvas).text((pad, pad), char, font=font(size), fill=255, anchor="ls",
                                stroke_width=stroke, stroke_fill=255)
    box = canvas.getbbox()
    if box is None:
        return None
    return canvas.crop(box), box[0] - pad, box[1] - pad


# The card's palette: index 0 is the background; then, for each colour, a ramp of shades
# from just above the background to the colour itself, for the anti-aliased edges.
RAMPS = (("fg", 127), ("accent", 64), ("muted", 63), ("rule", 1))


def _rgb(colour):
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def _palette(colours):
    """(palette bytes, {name: table from coverage 0-255 to palette index})."""
    background = _rgb(colours["bg"])
    palette, tables, start = [background], {}, 1
    for name, shades in RAMPS:
        ink = _rgb(colours[name])
        palette += [tuple(round(b + (i - b) * level / shades)
                          for b, i in zip(background, ink, strict=True))
                    for level in range(1, shades + 1)]
        levels = [round(coverage * shades / 255) for coverage in range(256)]
        tables[name] = [start + level - 1 if level else 0 for level in levels]
        start += shades
    return b"".join(bytes(rgb) for rgb in palette), tables


def _layer(size=(WIDTH, HEIGHT)):
    """An empty coverage layer (0: nothing drawn, 255: the colour itself) and its pen."""
    layer = Image.new("L", size, 0)
    return layer, ImageDraw.Draw(layer)


def _ink(card, layer, table):
    """Put `layer`'s drawing on `card` (a palette image, its first column kept for the rows'
    filter type) in the shades of `table`."""
    card.paste(layer.point(table), (1, 0), layer.point([0] + [255] * 255))


@dataclass(frozen=True, eq=False)
class _Background:
    """What every card with this name, tagline and colours shares, ready to be a PNG's rows
    (a zero first, for filter type None, then the row's palette indexes): the rows above
    the title's band and below it, compressed once, and the band without a title."""

    palette: bytes
    tables: dict  # colour name: coverage (0-255) -> palette index
    band: Image.Image  # TITLE_AREA's rows, the whole width, one column of zeros first
    top: bytes  # the rows above the band, deflated, ending on a full flush
    top_checksum: int  # their Adler-32
    bottom: bytes  # the rows below the band, deflated, ending the stream
    bottom_checksum: int
    bottom_length: int

    @property
    def blank_row(self):
        """A row of the band where the title has no ink (the band's rows are all alike)."""
        return self.band.crop((0, 0, self.band.width, 1)).tobytes()


@lru_cache(maxsize=8)
def _background(sitename, tagline, colours):
    colours = dict(colours)
    palette, tables = _palette(colours)
    card = Image.new("P", (1 + WIDTH, HEIGHT), 0)  # the first column: each row's filter type
    accent, pen = _layer()
    pen.rectangle((0, 0, 23, HEIGHT), fill=255)
    pen.ellipse((MARGIN, 62, MARGIN + 44, 106), fill=255)
    size, name = fit_line(sitename, 40, WIDTH - 2 * MARGIN - 64)
    _Pen(pen, size, 255, 0, bold=True).line_of(MARGIN + 64, 98, name)
    _ink(card, accent, tables["accent"])
    rule, pen = _layer()
    pen.rectangle((MARGIN, 532, WIDTH - MARGIN, 533), fill=255)
    _ink(card, rule, tables["rule"])
    muted, pen = _layer()
    size, words = fit_line(tagline, 32, WIDTH - 2 * MARGIN)
    _Pen(pen, size, 255, 0).line_of(MARGIN, 585, words)
    _ink(card, muted, tables["muted"])
    _, area_top, _, area_bottom = TITLE_AREA
    top = card.crop((0, 0, card.width, area_top)).tobytes()
    bottom = card.crop((0, area_bottom, card.width, HEIGHT)).tobytes()
    return _Background(palette, tables, card.crop((0, area_top, card.width, area_bottom)),
                       _deflate(top, level=9), zlib.adler32(top),
                       _deflate(bottom, level=9, last=True), zlib.adler32(bottom), len(bottom))


def render_card(sitename, title, tagline, colours=None):
    """The card's PNG bytes: the practice's name, the title (wrapped, shrunk to fit) and
    the tagline, in the site's colours."""
    colours = {**COLOURS, **(colours or {})}
    background = _background(sitename, tagline, tuple(sorted(colours.items())))
    area_left, area_top, area_right, area_bottom = TITLE_AREA
    layer, draw = _layer((area_right - area_left, area_bottom - area_top))
    size, lines = fit_title(title)
    step = size * LINE_HEIGHT
    left, top, _, bottom = TITLE_BOX
    block = len(lines) * step
    baseline = top + (bottom - top - block) / 2 + size * 0.95
    pen = _Pen(draw, size, 255, 0, bold=True)
    for line in lines:
        pen.line_of(left - area_left, round(baseline) - area_top, line)
        baseline += step
    _, first, _, last = layer.getbbox() or (0, 0, 0, 0)  # the rows with ink
    inked = background.band.crop((0, first, background.band.width, last))
    title_ink = layer.crop((0, first, layer.width, last)).point(background.tables["fg"])
    inked.paste(title_ink, (1 + area_left, 0))  # the background alone is there
    return _png(background, first, inked.tobytes(), background.band.height - last)


# The PNG is put together here rather than by Pillow, which would compress the whole card
# for every card: only the rows with the title's ink differ from one card to the next, so
# the rows above and below the title's band are compressed once (`_Background`), and so is
# a run of the band's blank rows of each length (`_blank_rows`); the inked rows alone are
# compressed for each card. Each part is raw deflate ending byte-aligned with no reference
# to another part, so the parts joined are one zlib stream (RFC 1950/1951), whose Adler-32
# is the parts' combined. The inked rows are compressed with Z_RLE: on a few flat colours
# it is faster than level 1 and smaller.

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ZLIB_HEADER = b"\x78\x01"  # deflate, 32 KiB window, no dictionary
ADLER_BASE = 65521


def _deflate(data, level, last=False, strategy=zlib.Z_DEFAULT_STRATEGY):
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if last
                                                        else zlib.Z_FULL_FLUSH)


def adler32_combine(first, second, second_length):
    """The Adler-32 of two byte strings joined, from each one's and the second's length
    (zlib's adler32_combine, which Python's zlib module lacks)."""
    rem = second_length % ADLER_BASE
    low = ((first & 0xFFFF) + (second & 0xFFFF) - 1) % ADLER_BASE
    high = (rem * (first & 0xFFFF) + (first >> 16) + (second >> 16) - rem) % ADLER_BASE
    return (high << 16) | low


@lru_cache(maxsize=512)
def _blank_rows(background, count):
    """(deflated, Adler-32, length) of `count` blank rows of the band."""
    rows = background.blank_row * count
    return _deflate(rows, level=9), zlib.adler32(rows), len(rows)


def _chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def _png(background, above, inked, below):
    """The card's PNG: 8-bit palette; the shared rows, `above` blank rows of the band, the
    `inked` rows (their bytes) and `below` blank rows."""
    blank_above, blank_below = _blank_rows(background, above), _blank_rows(background, below)
    checksum = adler32_combine(background.top_checksum, blank_above[1], blank_above[2])
    checksum = zlib.adler32(inked, checksum)
    checksum = adler32_combine(checksum, blank_below[1], blank_below[2])
    checksum = adler32_combine(checksum, background.bottom_checksum, background.bottom_length)
    stream = (ZLIB_HEADER + background.top + blank_above[0]
              + _deflate(inked, 1, strategy=zlib.Z_RLE) + blank_below[0] + background.bottom
              + struct.pack(">I", checksum))
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 3, 0, 0, 0)
    return (PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"PLTE", background.palette)
            + _chunk(b"IDAT", stream) + _chunk(b"IEND", b""))
