"""Write `sitemap.xml` and `robots.txt` for search engines.

Settings (defaults in brackets):
- SITEMAP_SAVE_AS ["sitemap.xml"]; ROBOTS_SAVE_AS ["robots.txt"]; empty to disable.
Both need an absolute SITEURL (sitemaps only allow absolute URLs), so a local
build with relative URLs writes neither.
"""

import os

from pelican import signals

from possibility.common import absolute_siteurl, write_if_changed

from .sitemap import robots_txt, sitemap_entries, sitemap_xml


class SitemapGenerator:
    def __init__(self, context, settings, path, theme, output_path, *args, **kwargs):
        self.context = context
        self.settings = settings
        self.output_path = output_path

    def generate_output(self, writer):
        siteurl = absolute_siteurl(self.settings)
        if siteurl is None:
            return
        sitemap_as = self.settings.get("SITEMAP_SAVE_AS", "sitemap.xml")
        robots_as = self.settings.get("ROBOTS_SAVE_AS", "robots.txt")
        if sitemap_as:
            entries = sitemap_entries(self.context, siteurl)
            self._write(sitemap_as, sitemap_xml(entries))
        if robots_as:
            sitemap_url = f"{siteurl}/{sitemap_as}" if sitemap_as else None
            self._write(robots_as, robots_txt(sitemap_url))

    def _write(self, save_as, text):
        # Touched when unchanged: the build owns the file (output_sync prunes by age).
        target = os.path.join(self.output_path, save_as)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        write_if_changed(target, text.encode("utf-8"), touch=True)


def get_generators(pelican):
    return SitemapGenerator


def register():
    signals.get_generators.connect(get_generators)
