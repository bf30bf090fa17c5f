"""Resolve the main navigation once per build instead of once per page written.

Setting: MENU_PAGES [[]], the slugs of the pages to list, in order. Templates get
MENU_ITEMS, a list of (slug, title, url).
"""

from pelican import signals


def menu_items(pages, slugs):
    by_slug = {page.slug: page for page in pages}
    return [(slug, by_slug[slug].title, by_slug[slug].url) for slug in slugs if slug in by_slug]


def add_menu(generator):
    generator.context["MENU_ITEMS"] = menu_items(
        generator.pages, generator.settings.get("MENU_PAGES", [])
    )


def register():
    signals.page_generator_finalized.connect(add_menu)
