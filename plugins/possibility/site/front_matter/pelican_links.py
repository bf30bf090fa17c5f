"""Which `{filename}`, `{static}` and `{attach}` links Pelican can resolve: the one module
that knows how Pelican does it.

Pelican offers no public way to ask whether a link reaches something: it replaces what it
can while writing each page and logs "Unable to find ..." for the rest, without naming the
file. So this module mirrors Pelican 4.12's `Content._link_replacer` (its inner
`_get_linked_content` and `_find_path`), reading only public things: the settings'
INTRASITE_LINK_REGEX, the build's `generated_content` and `static_content` (source path ->
content), and a content's `relative_dir` and `get_relative_source_path`.
tests/test_broken_links.py (`test_the_mirror_agrees_with_pelican`) builds a site with links
of every form and fails when Pelican resolves any of them differently from this module.
"""

import html
import os
import re
from urllib.parse import unquote, urlparse

# Pelican's attributes whose quoted value it reads a link from (`_get_intrasite_link_regex`).
URL_ATTRIBUTES = ("href", "src", "poster", "data", "cite", "formaction", "action", "content")
# Indicators Pelican replaces; only the first three name a file.
BY_PATH = {"filename": "generated_content", "static": "static_content",
           "attach": "static_content"}
ALWAYS = ("category", "tag", "index", "author")


def intrasite_pattern(settings):
    """A regex matching a link that starts with an indicator: groups `what` and `value`."""
    return re.compile(settings["INTRASITE_LINK_REGEX"] + r"(?P<value>.*)", re.DOTALL)


def source_key(content, path):
    """The `generated_content`/`static_content` key Pelican looks `path` up by: relative to
    the content folder when it starts with '/', else to the folder of `content`'s file."""
    if path.startswith("/"):
        return path[1:]
    return content.get_relative_source_path(os.path.join(content.relative_dir, path))


def linked(content, what, value, context):
    """What a `{what}value` link in `content` reaches (a content or a static file), or None.
    `what` is one of BY_PATH; `context` the build's shared context."""

    def find(key):
        url = urlparse(value)
        for path in (url.path, unquote(url.path), urlparse(html.unescape(url.geturl())).path):
            found = context.get(key, {}).get(source_key(content, path))
            if found is not None:
                return found
        return None

    found = find(BY_PATH[what])
    if found is None and what == "filename":  # Pelican accepts {filename} for a static file
        found = find("static_content")
    return found
