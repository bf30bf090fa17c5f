"""Fail the build, naming file, field and fix, when a post's front matter is wrong.

Pelican on its own logs such posts as errors and silently leaves them out of the
site; an author then publishes a site that lacks a post without noticing.
"""

import os

from pelican import signals
from pelican.readers import MarkdownReader

from .checks import (
    FrontMatterError,
    FrontMatterErrors,
    check_images,
    check_metadata,
    fix_for_unparsable,
)

PROBLEMS_KEY = "_FRONT_MATTER_PROBLEMS"


class CheckedMarkdownReader(MarkdownReader):
    """Pelican's Markdown reader, with every problem reported in the author's words."""

    def process_metadata(self, name, value):
        try:
            return super().process_metadata(name, value)
        except (ValueError, OverflowError) as exc:
            self._fail([fix_for_unparsable(name, value)], exc)

    def read(self, source_path):
        content, metadata = super().read(source_path)
        is_article = _is_article(source_path, self.settings)
        problems = check_metadata(metadata, is_article=is_article) + check_images(content)
        if problems:
            self._fail(problems)
        return content, metadata

    def _fail(self, problems, cause=None):
        error = FrontMatterError(self._source_path, problems)
        # Kept as text: Pelican pickles its settings into the content cache.
        self.settings.setdefault(PROBLEMS_KEY, []).append(str(error))
        raise error from cause


def _is_article(source_path, settings):
    relative = os.path.relpath(source_path, settings["PATH"])
    first = relative.split(os.sep, 1)[0] if os.sep in relative else ""
    return first in settings["ARTICLE_PATHS"] or "" in settings["ARTICLE_PATHS"]


def use_checked_reader(readers):
    for extension in MarkdownReader.file_extensions:
        readers.reader_classes[extension] = CheckedMarkdownReader


def fail_on_problems(generators):
    """Stop before anything is written, so no half-built site can be deployed."""
    settings = generators[0].settings
    errors = settings.pop(PROBLEMS_KEY, [])
    if errors:
        raise FrontMatterErrors(errors)


def register():
    signals.readers_init.connect(use_checked_reader)
    signals.all_generators_finalized.connect(fail_on_problems)
