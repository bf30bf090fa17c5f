"""Pelican glue: decide each content's card once every URL is known, draw (or take from the
cache) and write the cards with the rest of the site."""

import hashlib
import json
import logging
import multiprocessing
import os
from dataclasses import dataclass
from pathlib import Path

import PIL
from pelican.generators import ArticlesGenerator, PagesGenerator

from possibility.common import worker_count, write_atomically, write_if_changed

from . import render
from .render import COLOURS, render_card
from .settings import read_settings

logger = logging.getLogger(__name__)

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


def _draw(card):
    return render_card(card.sitename, card.title, card.tagline)


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
        if not self.cards:
            return
        data, missing = {}, []
        for card in self.cards:
            cached = self.cache / f"{card.key}.png"
            try:
                data[card.path] = cached.read_bytes()
                LAST_BUILD["cached"] += 1
            except OSError:
                missing.append(card)
        for card, png in zip(missing, self._render(missing), strict=True):
            write_atomically(self.cache / f"{card.key}.png", png)
            data[card.path] = png
        LAST_BUILD["rendered"] = len(missing)
        for path, png in data.items():
            target = os.path.join(self.output_path, path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            LAST_BUILD["written"] += write_if_changed(target, png, touch=True)
        logger.info("Share cards: %d drawn, %d from the cache, %d written", LAST_BUILD["rendered"],
                    LAST_BUILD["cached"], LAST_BUILD["written"])

    def _render(self, cards):
        workers = worker_count(len(cards), parallel_from=16, chunk=4)
        if workers == 1:
            return [_draw(card) for card in cards]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(_draw, cards, chunksize=4)
