"""Pelican glue: know the content images, rewrite each page's `<img>`, write the variants."""

import hashlib
import json
import logging
import os
from pathlib import Path

import PIL
from PIL import Image

from possibility.common import shown_path, write_atomically, write_if_changed
from possibility.core import images as core_images
from possibility.core.images import (
    fallback_format,
    image_size,
    render_variant,
    variant_path,
    variant_widths,
)

from .html import Known, rewrite_images
from .settings import read_settings

logger = logging.getLogger(__name__)

LAST_BUILD = {"rendered": 0, "cached": 0, "written": 0}
"""What the last build did with its variants (the tests count renders with it)."""
_SOURCE_HASH = hashlib.sha256(Path(core_images.__file__).read_bytes()).hexdigest()
CODE_VERSION = f"{PIL.__version__}:{_SOURCE_HASH}"
"""The variants' version: Pillow's and the source of `possibility.core.images`."""


class Catalogue:
    """The build's content images, by their URL path in the site: read from Pelican's
    static files (known once the static generator has read them). The first time a page
    shows one, its variants are taken from the cache or made; an image Pillow cannot read
    or resize is left as it is, with a warning."""

    def __init__(self, config, context):
        self.config = config
        self.context = context
        self._by_url = None
        self._known = {}  # URL path -> Known or None
        self.folders = {}  # URL path -> the cache folder holding its variants

    def statics(self):
        """{URL path: Pelican Static} of the JPEG and PNG files under IMAGES_PATHS."""
        if self._by_url is None:
            by_url = {}
            for source, static in sorted(self.context.get("static_content", {}).items()):
                folder = source.replace(os.sep, "/").split("/", 1)[0]
                if folder in self.config.paths and fallback_format(source):
                    by_url[static.url] = static
            self._by_url = by_url
        return self._by_url

    def lookup(self, url):
        """The Known image at `url` (`images/pier.jpg`), its variants ready; or None."""
        if url not in self._known:
            static = self.statics().get(url)
            self._known[url] = None if static is None else self._prepare(url, static)
        return self._known[url]

    def _prepare(self, url, static):
        try:
            data = Path(static.source_path).read_bytes()
            width, height = image_size(data)
            widths = tuple(variant_widths(width, self.config.widths))
            if not widths:
                return None
            known = Known(url, width, height, widths, fallback_format(static.source_path))
            self.folders[url] = self._variants(data, known)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            logger.warning("%s: not resized (%s): the page shows it as it is",
                           shown_path(static.source_path, self.context.get("PATH", "")), exc)
            return None
        return known

    def _variants(self, data, known):
        """The cache folder holding the image's variants (`<width>.<format>`): made now
        for those it lacks."""
        key = hashlib.sha256(data + json.dumps(
            [known.widths, CODE_VERSION]).encode("utf-8")).hexdigest()
        folder = self.config.cache / key
        wanted = [(w, fmt) for w in known.widths for fmt in ("webp", known.fmt)]
        made = {(w, fmt): render_variant(data, w, fmt) for w, fmt in wanted
                if not (folder / f"{w}.{fmt}").is_file()}
        for (width, fmt), variant in made.items():  # cached only once all could be made
            write_atomically(folder / f"{width}.{fmt}", variant)
        LAST_BUILD["rendered"] += len(made)
        LAST_BUILD["cached"] += len(wanted) - len(made)
        return folder


def use_variants(content, catalogue, sizes):
    """Make `content`'s HTML (Pelican's `get_content`, which the page, the feeds and the
    newsletter all read) show its images through their variants."""
    if getattr(content, "_images_rewritten", False):
        return
    original = content.get_content
    done = {}

    def get_content(siteurl):
        if siteurl not in done:
            done[siteurl] = rewrite_images(
                original(siteurl), siteurl, getattr(content, "url", ""), catalogue.lookup,
                sizes)
        return done[siteurl]

    content.get_content = get_content
    content._images_rewritten = True


class ImagesGenerator:
    """Writes every content image's variants, from the cache when it has them."""

    def __init__(self, context, settings, path, theme, output_path, *args, **kwargs):
        self.context = context
        self.settings = settings
        self.output_path = output_path
        self.config = read_settings(settings)
        self.catalogue = Catalogue(self.config, context)
        LAST_BUILD.update(rendered=0, cached=0, written=0)

    def generate_output(self, writer):
        if not self.config.enabled:
            return
        for url, static in self.catalogue.statics().items():
            if self.catalogue.lookup(url) is None:  # images no page shows get variants too
                continue
            known, folder = self.catalogue.lookup(url), self.catalogue.folders[url]
            for width in known.widths:
                for fmt in ("webp", known.fmt):
                    data = (folder / f"{width}.{fmt}").read_bytes()
                    target = os.path.join(self.output_path,
                                          variant_path(static.save_as, width, fmt))
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    LAST_BUILD["written"] += write_if_changed(target, data, touch=True)
        if any(LAST_BUILD.values()):
            logger.info("Images: %d variants made, %d from the cache, %d written",
                        LAST_BUILD["rendered"], LAST_BUILD["cached"], LAST_BUILD["written"])
