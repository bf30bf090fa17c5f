"""Compute each post's and page's URL and output path once per build instead of on every use.

Pelican derives `url` and `save_as` from their patterns each time a template, a feed, a
link or the writer asks (formatting the pattern with every field and resolving the source
path: 30 to 45 µs), and a build asks some 20,000 times for 1,000 posts. Once every
generator has read its content, neither changes any more, so each one is then fixed with
Pelican's own overrides (`override_url`, `override_save_as`, which `get_url_setting`
returns as they are). One already overridden (by EXTRA_PATH_METADATA or metadata) is left
as it is.

Switched off by leaving it out of PLUGINS: the same site, built more slowly
(bench/README.md).
"""

from pelican import signals

CONTENT_LISTS = (  # the lists of ArticlesGenerator and PagesGenerator
    "articles", "translations", "hidden_articles", "hidden_translations", "drafts",
    "drafts_translations", "pages", "hidden_pages", "draft_pages", "draft_translations",
)


def fix_urls(generators):
    """Signal handler (all_generators_finalized): every URL and output path is final now."""
    for generator in generators:
        for name in CONTENT_LISTS:
            for content in getattr(generator, name, None) or ():
                if not hasattr(content, "override_url"):
                    content.override_url = content.url
                if not hasattr(content, "override_save_as"):
                    content.override_save_as = content.save_as


def register():
    signals.all_generators_finalized.connect(fix_urls)
