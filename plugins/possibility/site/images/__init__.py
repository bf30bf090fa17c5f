"""Content images at the right size: `width`/`height`, lazy loading, WebP and smaller files.

Every `<img>` of a post, page or event whose `src` is a JPEG or PNG under `content/images/`
(IMAGES_PATHS) becomes, in the page, the feeds and the newsletter's HTML alike:

    <picture><source type="image/webp" srcset="…/pier.480w.webp 480w, …/pier.800w.webp 800w"
      sizes="…"><img src="…/pier.800w.jpg" srcset="…/pier.480w.jpg 480w, …/pier.800w.jpg 800w"
      sizes="…" width="800" height="533" alt="…" loading="lazy" decoding="async"
      data-src-width="1000" data-src-height="667"></picture>

- `width` and `height` are those of the largest variant (the author's own `width` wins),
  so the browser keeps the image's room before it arrives;
- the first image of a page, likely in the first screen, gets `fetchpriority="high"`
  instead of `loading="lazy"`;
- the variants (`possibility.core.images`: widths IMAGES_WIDTHS up to the original's, named
  `<name>.<width>w.<webp|jpg|png>` beside the original) are made with Pillow at build time,
  without metadata, the same bytes for the same image, and kept under CACHE_PATH
  (`images/<hash of the image, the widths and the code>/`): a warm build makes none. They
  are written to the output only when changed (touched otherwise, for `output_sync`).

How: each content's `get_content` (what templates, feeds and the newsletter read) is
wrapped once its generator has read it (`article_generator_finalized`,
`page_generator_finalized`; events at `all_generators_finalized`), so the order of PLUGINS
does not matter; nothing changes in Pelican's content cache. `data-src-width` and
`data-src-height` give the newsletter the original's size for
`possibility.core.images.email_image` (see there for what email needs).

Settings: `possibility.site.images.settings`.
"""

from pelican import signals

from .generator import ImagesGenerator, use_variants

CONTENT_LISTS = (  # the lists of ArticlesGenerator and PagesGenerator
    "articles", "translations", "hidden_articles", "hidden_translations", "drafts",
    "drafts_translations", "pages", "hidden_pages", "draft_pages", "draft_translations",
)
BUILD_KEY = "_possibility_images"  # the build's ImagesGenerator, in the shared context


class _Generator(ImagesGenerator):
    def __init__(self, context, *args, **kwargs):
        super().__init__(context, *args, **kwargs)
        context[BUILD_KEY] = self


def get_generators(pelican):
    return _Generator


def _rewrite(contents, build):
    if build is None or not build.config.enabled:
        return
    for content in contents:
        use_variants(content, build.catalogue, build.config.sizes)


def rewrite_generator(generator):
    """Signal handler (article_generator_finalized, page_generator_finalized)."""
    _rewrite([c for name in CONTENT_LISTS for c in getattr(generator, name, None) or ()],
             generator.context.get(BUILD_KEY))


def rewrite_events(generators):
    """Signal handler (all_generators_finalized): the events (possibility.site.events)."""
    if generators:
        context = generators[0].context
        _rewrite(context.get("events", ()), context.get(BUILD_KEY))


def register():
    signals.get_generators.connect(get_generators)
    signals.article_generator_finalized.connect(rewrite_generator)
    signals.page_generator_finalized.connect(rewrite_generator)
    signals.all_generators_finalized.connect(rewrite_events)
