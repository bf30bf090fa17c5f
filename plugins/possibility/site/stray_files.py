"""Name every Markdown file under the content folder that the build does not read.

Pelican reads posts from ARTICLE_PATHS and pages from PAGE_PATHS (minus ARTICLE_EXCLUDES,
PAGE_EXCLUDES and IGNORE_FILES), the events plugin events from EVENTS_PATHS, and Pelican says
nothing of a Markdown file anywhere else: a post saved
at `content/my-post.md` or `content/drafts/x.md` just never appears. Every build now warns,
once per file, with the file's path relative to the project and where to move it:

    content/my-post.md is not read: posts go in content/posts/, pages in content/pages/

The files are found with the articles generator's own `get_files`, with the same settings
Pelican's generators use, so the rules are Pelican's. A warning, not an error: the build goes on.
"""

import logging
import os

from pelican import signals
from pelican.generators import ArticlesGenerator, Generator
from pelican.readers import MarkdownReader

EVENTS_PLUGIN = "possibility.site.events"  # reads EVENTS_PATHS (default ["events"])

logger = logging.getLogger(__name__)
# Pelican's logger drops a message it has already shown in this process (LimitFilter): this
# one must be said again at every build (`invoke regenerate`, `livereload`).
if hasattr(logger, "disable_filter"):
    logger.disable_filter()


def stray_files(generator, settings):
    """The Markdown files under PATH that neither posts nor pages read, relative to PATH."""

    def files(paths, exclude):
        found = generator.get_files(paths, exclude=exclude, extensions=extensions)
        return {os.path.normpath(path) for path in found}  # "./x.md" (PATH itself) -> "x.md"

    extensions = MarkdownReader.file_extensions
    posts = files(settings["ARTICLE_PATHS"], settings["ARTICLE_EXCLUDES"])
    pages = files(settings["PAGE_PATHS"], settings["PAGE_EXCLUDES"])
    return sorted(files([""], []) - posts - pages - files(_event_paths(settings), []))


def _event_paths(settings):
    return settings.get("EVENTS_PATHS", ["events"]) if EVENTS_PLUGIN in settings["PLUGINS"] else []


def warning(path, settings):
    """The message for one stray file (`path` relative to PATH)."""
    content = settings["PATH"]
    project = os.path.dirname(os.path.normpath(content))

    def shown(relative):
        return os.path.relpath(os.path.join(content, relative), project).replace(os.sep, "/")

    def folders(paths):
        return " or ".join(f"{shown(p)}/" for p in paths)

    events = _event_paths(settings)
    return (f"{shown(path)} is not read: posts go in {folders(settings['ARTICLE_PATHS'])}, "
            f"pages in {folders(settings['PAGE_PATHS'])}"
            + (f", events in {folders(events)}" if events else ""))


def report_stray_files(generators):
    """Signal handler (all_generators_finalized): one warning per stray Markdown file."""
    generator = next((g for g in generators if isinstance(g, ArticlesGenerator)), None)
    generator = generator or next((g for g in generators if isinstance(g, Generator)), None)
    if generator is None:
        return
    for path in stray_files(generator, generator.settings):
        logger.warning("%s", warning(path, generator.settings))


def register():
    signals.all_generators_finalized.connect(report_stray_files)
