"""Pelican glue: decide each content's card once every URL is known, draw (or take from the
cache) and write the cards with the rest of the site."""

import hashlib
import json
import logging
import multiprocessing
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import PIL
from pelican.generators import ArticlesGenerator, PagesGenerator

from possibility.common import worker_count, write_atomically, write_if_changed

from . import render
from .render import COLOURS, render_card
from .settings import read_settings

logger = logging.getLogger(__name__)

PARALLEL_FROM = 32  # fewer cards than this: starting processes costs more than it saves
CHUNK = 8  # cards a worker takes at a time

LAST_BUILD = {"rendered": 0, "cached": 0, "written": 0}
"""What the last build did with its cards (the tests count renders with it)."""


@dataclass(frozen=True)
class Card:
    path: str  # relative to the output folder
    sitename: str
    title: str
    tagline: str

    @property
    def key(self):
        text = json.dumps([self.sitename, self.title, self.tagline, COLOURS, CODE_VERSION],
                          ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    """Draw `card`, keep it in the cache and write it: True if the output changed. Run by
    the workers, so that no card's bytes travel back or wait in memory."""
    png = render_card(card.sitename, card.title, card.tagline)
    write_atomically(cache / f"{card.key}.png", png, durable=False)
    return write_card(output_path, card, png)


class ShareCardsGenerator:
    """Writes the cards `plan_cards` decided, drawing only those the cache lacks."""

    def __init__(self, context, settings, path, theme, output_path, *args, **kwargs):
        self.context = context
        self.settings = settings
        self.output_path = output_path
        self.config = read_settings(settings)
        self.cache = self.config.cache
        self.cards = []

    def generate_output(self, writer):
        LAST_BUILD.update(rendered=0, cached=0, written=0)
        missing = []
        for card in self.cards:
            png = cached_card(self.cache / f"{card.key}.png")
            if png is None:
                missing.append(card)
            else:
                LAST_BUILD["cached"] += 1
                LAST_BUILD["written"] += write_card(self.output_path, card, png)
        LAST_BUILD["rendered"] = len(missing)
        LAST_BUILD["written"] += sum(self._draw(missing))
        logger.info("Share cards: %d drawn, %d from the cache, %d written", LAST_BUILD["rendered"],
                    LAST_BUILD["cached"], LAST_BUILD["written"])

    def _draw(self, cards):
        """Draw, keep and write `cards`, on every core when there are many; whether each
        changed the output."""
        draw = partial(draw_card, cache=self.cache, output_path=self.output_path)
        workers = worker_count(len(cards), parallel_from=PARALLEL_FROM, chunk=CHUNK)
        if workers == 1:
            return [draw(card) for card in cards]
        self.cache.mkdir(parents=True, exist_ok=True)
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(draw, cards, chunksize=CHUNK)
