"""RSS 2.0 and Atom 1.0 documents, written with feedgen.

feedgen 1.0 has defaults that would make these feeds wrong, each avoided on purpose:
- `add_entry()` prepends: entries are added with `order="append"` to keep newest first;
- feed and entry `updated` default to the clock: both are always set from the posts,
  so an unchanged site rebuilds to byte-identical feeds;
- `content(type="CDATA")` writes invalid Atom, and `description()` after `content()`
  replaces the Atom content: content goes in as `type="html"` and the summary through
  `summary()`, which fills RSS `<description>` and Atom `<summary>` and leaves the full
  text in RSS `<content:encoded>` and Atom `<content type="html">`;
- the channel's RSS `<link>` is the last link given, so the self link comes first;
- RSS `<author>` must be an email address, so authors are `<dc:creator>` there;
- an entry's Atom `<link>` is written with its href only (lkiesow/python-feedgen#135),
  which would make the featured image a second "alternate" link: `_Entry` puts the
  rel, type and length back.

Titles are plain text (`possibility.core.text`): lxml escapes `&` and `<` in them once, in
RSS `<title>` (which the RSS profile and the W3C validator want as text) and in Atom
`<title type="text">` (said outright: a reader never takes a title for HTML).
Summaries and content are HTML: RSS `<description>`, `<content:encoded>`, Atom
`type="html"`.
"""

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator


def rss_xml(feed, entries):
    """The RSS 2.0 document (bytes, UTF-8) for `feed` with `entries`, in their order."""
    return _generator(feed, entries).rss_str(pretty=True)


def atom_xml(feed, entries):
    """The Atom 1.0 document (bytes, UTF-8) for `feed` with `entries`, in their order."""
    return _generator(feed, entries).atom_str(pretty=True)


def _generator(feed, entries):
    generator = FeedGenerator()
    generator.load_extension("dc", atom=False, rss=True)
    generator.id(feed.url)
    generator.title(feed.title)
    generator.description(feed.description)
    generator.language(feed.language)
    if feed.author:
        generator.author(name=feed.author)
    generator.link(href=feed.url, rel="self", type=feed.media_type)
    generator.link(href=feed.home_url, rel="alternate", type="text/html")
    generator.updated(max(entry.updated for entry in entries))
    for entry in entries:
        _add_entry(generator, entry)
    return generator


class _Entry(FeedEntry):
    """A feedgen entry whose Atom links keep every attribute they were given."""

    def atom_entry(self, extensions=True):
        element = super().atom_entry(extensions)
        for link_element, link in zip(element.iterfind("link"), self.link() or (), strict=True):
            for name in ("rel", "type", "hreflang", "title", "length"):
                if link.get(name):
                    link_element.set(name, link[name])
        for title in element.iterfind("title"):
            title.set("type", "text")
        return element


def _add_entry(generator, entry):
    item = generator.add_entry(_Entry(), order="append")
    item.id(entry.id)
    item.title(entry.title)
    item.link(href=entry.url, rel="alternate", type="text/html")
    for name in entry.authors:
        item.author(name=name)
        item.dc.dc_creator(name)
    item.published(entry.published)
    item.updated(entry.updated)
    for name in entry.categories:
        item.category(term=name)
    item.content(entry.content_html, type="html")
    item.summary(entry.summary_html, type="html")
    if entry.image:
        item.enclosure(entry.image.url, entry.image.length, entry.image.type)
