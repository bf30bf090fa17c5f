"""Pelican glue: decide each content's card once every URL is known, draw (or take from the
cache) and write the cards with the rest of the site.

Drawing a thousand cards takes seconds of CPU, and while Pelican writes the pages it keeps
one core busy and leaves the others idle. So the cards the cache lacks start being drawn as
soon as Pelican begins to write (its `get_writer` signal: every check has passed), by
background processes (one fewer than the cores), and the build's own process joins in when
it gets to the cards; each process takes the next card to draw from a shared counter, and
keeps and writes what it draws (SHARE_CARDS_BACKGROUND; `python -m bench.build_bench`
measures what it saves).
"""

import gc
import hashlib
import json
import logging
import multiprocessing
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import PIL
from pelican.generators import ArticlesGenerator, PagesGenerator

from possibility.common import remove_abandoned, worker_count, write_atomically, write_if_changed

from . import render
from .render import COLOURS, render_card
from .settings import read_settings

logger = logging.getLogger(__name__)

PARALLEL_FROM = 32  # fewer cards than this: starting processes costs more than it saves
CHUNK = 8  # no process is started for fewer cards than this each

LAST_BUILD = {"rendered": 0, "cached": 0, "written": 0}
"""What the last build did with its cards (the tests count renders with it)."""

_planned = None  # (settings, ShareCardsGenerator): cards planned, to draw once output begins


@dataclass(frozen=True)
class Card:
    path: str  # relative to the output folder
    sitename: str
    title: str
    tagline: str

    @cached_property
    def key(self):
        text = json.dumps([self.sitename, self.title, self.tagline, COLOURS, CODE_VERSION],
                          ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def kept_in(self, cache):
        """Where the cache folder `cache` keeps this card."""
        return cache / f"{self.key}.png"


def _code_version():
    """The drawing's version: Pillow's and the source of `render` (any change draws anew)."""
    source = Path(render.__file__).read_bytes()
    return f"{PIL.__version__}:{hashlib.sha256(source).hexdigest()}"


CODE_VERSION = _code_version()


def card_path(content):
    """Where `content`'s card goes in the output: beside its page when its URL is a folder."""
    url = str(getattr(content, "url", "") or "")
    if url.endswith("/"):
        return f"{url}card.png"
    return f"cards/{content.slug}.png"


def _contents(generators, config):
    """Every post, page and event the build writes a page for."""
    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            yield from generator.articles
            yield from generator.translations
            yield from generator.hidden_articles
            if config.drafts:
                yield from generator.drafts
        elif isinstance(generator, PagesGenerator):
            yield from generator.pages
            yield from generator.translations
            yield from generator.hidden_pages
            if config.draft_pages:
                yield from generator.draft_pages
    if generators:
        yield from generators[0].context.get("events", ())


def plan_cards(generators):
    """Signal handler (all_generators_finalized): give every content its card's path and
    URL; the ShareCardsGenerator draws them."""
    global _planned
    mine = next((g for g in generators if isinstance(g, ShareCardsGenerator)), None)
    if mine is None or not mine.config.enabled:
        return
    config = mine.config
    cards = {}
    for content in _contents(generators, config):
        path = card_path(content)
        content.share_card_path = path
        content.share_card = f"{config.siteurl}/{path}" if config.siteurl else None
        title = str(getattr(content, "title", "") or "")
        cards[path] = Card(path, config.sitename, title, config.tagline)
    mine.cards = [cards[path] for path in sorted(cards)]
    _planned = (mine.settings, mine) if config.background else None


def start_drawing(pelican):
    """Signal handler (get_writer, which Pelican sends once every check has passed, just
    before it writes anything): the planned cards start being drawn in the background."""
    global _planned
    planned, _planned = _planned, None
    if planned is not None and planned[0] is pelican.settings:
        planned[1].start_drawing()


PNG_END = b"IEND\xaeB`\x82"  # the IEND chunk: a whole PNG ends with it


def cached_card(path):
    """The PNG kept at `path`, or None when there is none (or not a whole one)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if data.endswith(PNG_END) else None


def write_card(output_path, card, png):
    """Write `card`'s PNG into the output; True if its bytes changed."""
    target = os.path.join(output_path, card.path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    return write_if_changed(target, png, touch=True)


def draw_card(card, cache, output_path):
    """Draw `card`, keep it in the cache and write it: True if the output changed."""
    png = render_card(card.sitename, card.title, card.tagline)
    write_atomically(card.kept_in(cache), png, durable=False)
    return write_card(output_path, card, png)


def draw_in_turn(cards, cache, output_path, turn, written):
    """Draw the next card no other process has taken (`turn`, a shared counter) until none
    is left, counting the cards that changed the output in `written`."""
    while True:
        with turn.get_lock():
            index = turn.value
            turn.value += 1
        if index >= len(cards):
            return
        if draw_card(cards[index], cache, output_path):
            with written.get_lock():
                written.value += 1


class Drawing:
    """Cards being drawn by background processes, which the build's process joins."""

    def __init__(self, cards, cache, output_path):
        self.cards, self.cache, self.output_path = cards, cache, output_path
        self.processes = []
        context = multiprocessing.get_context("fork")
        self.turn, self.written = context.Value("i", 0), context.Value("i", 0)
        workers = worker_count(len(cards), parallel_from=PARALLEL_FROM, chunk=CHUNK)
        if cache.is_dir():
            remove_abandoned(cache)  # half-written cards of a build that was killed
        if workers == 1:
            return
        cache.mkdir(parents=True, exist_ok=True)
        args = (cards, cache, output_path, self.turn, self.written)
        gc.freeze()  # the children's garbage collectors would otherwise copy every page
        try:
            for _ in range(workers - 1):  # the build's process is the last one
                process = context.Process(target=draw_in_turn, args=args, daemon=True)
                process.start()
                self.processes.append(process)
        finally:
            gc.unfreeze()

    def finish(self):
        """Draw what is left, wait for the others; how many cards changed the output."""
        draw_in_turn(self.cards, self.cache, self.output_path, self.turn, self.written)
        failed = False
        for process in self.processes:
            process.join()
            failed |= process.exitcode != 0
        if failed:  # a card a failed process took may be missing: draw it here
            for card in self.cards:
                if cached_card(card.kept_in(self.cache)) is None:
                    self.written.value += draw_card(card, self.cache, self.output_path)
        return self.written.value


class ShareCardsGenerator:
    """Writes the cards `plan_cards` decided, drawing only those the cache lacks."""

    def __init__(self, context, settings, path, theme, output_path, *args, **kwargs):
        self.context = context
        self.settings = settings
        self.output_path = output_path
        self.config = read_settings(settings)
        self.cache = self.config.cache
        self.cards = []
        self.drawing = None

    def start_drawing(self):
        """Start drawing the cards the cache lacks, while Pelican writes the pages."""
        missing = [card for card in self.cards
                   if not card.kept_in(self.cache).is_file()]
        self.drawing = Drawing(missing, self.cache, self.output_path)

    def generate_output(self, writer):
        LAST_BUILD.update(rendered=0, cached=0, written=0)
        if not self.cards:
            return
        if self.drawing is None:  # not started in the background: every process starts now
            self.start_drawing()
        drawing, self.drawing = self.drawing, None
        drawn = {card.path for card in drawing.cards}
        redraw = []
        for card in self.cards:
            if card.path in drawn:
                continue
            png = cached_card(card.kept_in(self.cache))
            if png is None:  # not a whole PNG: draw it again
                redraw.append(card)
            else:
                LAST_BUILD["cached"] += 1
                LAST_BUILD["written"] += write_card(self.output_path, card, png)
        LAST_BUILD["written"] += sum(draw_card(card, self.cache, self.output_path)
                                     for card in redraw)
        LAST_BUILD["written"] += drawing.finish()
        LAST_BUILD["rendered"] = len(drawing.cards) + len(redraw)
        logger.info("Share cards: %d drawn, %d from the cache, %d written", LAST_BUILD["rendered"],
                    LAST_BUILD["cached"], LAST_BUILD["written"])
