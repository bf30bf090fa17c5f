"""Full-text RSS 2.0, Atom 1.0 and JSON Feed 1.1 feeds, written with feedgen.

For the whole site and for each category: the newest posts first, full HTML content
with every URL absolute, the featured image as an enclosure, and entry ids taken from
the post's stable identity (possibility.site.post_identity), so fixing a slug or a date never
shows a post twice in a reader. Dates come from the posts, never from the clock, so an
unchanged site rebuilds to byte-identical feeds. Settings: see `possibility.site.feeds.settings`.
Pelican's own feeds must stay off (all FEED_* paths None).
"""

from pelican import signals

from .generator import FeedsGenerator


def get_generators(pelican):
    return FeedsGenerator


def register():
    signals.get_generators.connect(get_generators)
