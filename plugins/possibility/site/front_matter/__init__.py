"""The site's Markdown reader: Pelican's, on every core, stopping on bad front matter.

It fails the build, naming file, field and fix, when a post's front matter is wrong:
Pelican on its own logs such posts as errors and silently leaves them out of the
site; an author then publishes a site that lacks a post without noticing. And a
generator's files are converted on every core before it asks for them
(`markdown_pool`), the same result in less time.

It also applies the rule for text (`possibility.core.text`): every Summary's HTML is the
rule's (`summary`, made as each file is read: `markdown_pool.FieldsAsWritten`), and
templates get the rule's `plain_text` filter (HTML to the text a reader sees: meta
descriptions, JSON-LD). And once every file is read, a link or an image
that points at nothing stops the build, naming file, link and fix (`links`). What it keeps
in Pelican's content cache is forgotten when its code changes (`cache_stamp`). A post that
still has `invoke new-post`'s sample text gets a warning (`sample_text`).
"""

import os

from pelican import signals
from pelican.generators import ArticlesGenerator
from pelican.readers import MarkdownReader
from pelican.utils import file_suffix

from possibility.core.text import html_to_text

from .cache_stamp import forget_other_code, stamp_cache
from .checks import (
    FrontMatterError,
    FrontMatterErrors,
    check_images,
    check_metadata,
    fix_for_unparsable,
    parse_html,
)
from .links import LINKS_KEY, check_links, links_to_check, record_sources
from .markdown_pool import FieldsAsWritten, MarkdownPool
from .reading import word_count
from .sample_text import warn_sample_text

PROBLEMS_KEY = "_FRONT_MATTER_PROBLEMS"


class CheckedMarkdownReader(MarkdownReader):
    """Pelican's Markdown reader, with every problem reported in the author's words."""

    pool = None  # the MarkdownPool converting this generator's files, if any
    pool_started = False
    _here = None  # the FieldsAsWritten reading the files no worker converted

    def process_metadata(self, name, value):
        try:
            return super().process_metadata(name, value)
        except (ValueError, OverflowError) as exc:
            self._fail([fix_for_unparsable(name, value)], exc)

    def read(self, source_path):
        self._source_path = source_path
        converted = self.pool.take(source_path) if self.pool else None
        if converted is None:  # as a worker reads it
            if self._here is None:
                self._here = FieldsAsWritten(self.settings)
            converted = self._here.read(source_path)
        content, fields = converted
        metadata = {name: self.process_metadata(name, value) for name, value in fields.items()}
        is_article = _is_article(source_path, self.settings)
        root = parse_html(content)
        problems = check_metadata(metadata, is_article=is_article) + check_images(root)
        if problems:
            self._fail(problems)
        metadata["word_count"] = word_count(root)  # for the theme's "N min read"
        links = links_to_check(root, self.settings)
        summary = metadata.get("summary")
        if summary and "=" in summary:  # tags with attributes: links, images
            links += links_to_check(parse_html(summary), self.settings)
        metadata[LINKS_KEY] = tuple(dict.fromkeys(links))  # checked once all is read
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


def start_pool(generator):
    """Signal handler (article/page_generator_preread): before a generator reads its
    first file, have its Markdown files converted on every core."""
    readers = _our_readers(generator)
    if not readers or readers[0].pool_started:
        return
    pool = MarkdownPool.start(generator.settings, files_to_read(generator))
    for reader in readers:
        reader.pool, reader.pool_started = pool, True


def files_to_read(generator):
    """Absolute paths of the Markdown files `generator` is about to read: its files
    that no content cache holds, in the order it reads them (its own get_files')."""
    kind = "ARTICLE" if isinstance(generator, ArticlesGenerator) else "PAGE"
    settings, readers = generator.settings, generator.readers
    paths = []
    for name in generator.get_files(
        settings[f"{kind}_PATHS"], exclude=settings[f"{kind}_EXCLUDES"]
    ):
        if not isinstance(readers.readers.get(file_suffix(name)), CheckedMarkdownReader):
            continue
        if generator.get_cached_data(name, None) is not None:
            continue
        path = os.path.abspath(os.path.join(generator.path, name))
        if readers.get_cached_data(path, (None, None))[0] is None:
            paths.append(path)
    return paths


def stop_pool(generator, *args, **kwargs):
    """Signal handler (article/page_generator_finalized): the generator has read all."""
    for reader in _our_readers(generator):
        if reader.pool is not None:
            reader.pool.close()
        reader.pool, reader.pool_started = None, False


def _our_readers(generator):
    return [r for r in generator.readers.readers.values() if isinstance(r, CheckedMarkdownReader)]


def fail_on_problems(generators):
    """Stop before anything is written, so no half-built site can be deployed: on bad
    front matter first (those files are not in the site), then on broken links."""
    settings = generators[0].settings
    stamp_cache(settings)  # every generator has read, and saved its content cache
    errors = settings.pop(PROBLEMS_KEY, [])
    if errors:
        raise FrontMatterErrors(errors)
    check_links(generators)


TEXT_FILTERS = {"plain_text": html_to_text}


def add_text_filters(pelican):
    """Signal handler (initialized): the rule for text, as Jinja filters for the theme
    (JINJA_FILTERS, Pelican's setting for them; a filter the settings define wins)."""
    pelican.settings["JINJA_FILTERS"] = {
        **TEXT_FILTERS, **(pelican.settings.get("JINJA_FILTERS") or {})}


def register():
    signals.initialized.connect(add_text_filters)
    signals.initialized.connect(forget_other_code)
    signals.finalized.connect(record_sources)
    signals.readers_init.connect(use_checked_reader)
    signals.article_generator_preread.connect(start_pool)
    signals.page_generator_preread.connect(start_pool)
    signals.article_generator_finalized.connect(stop_pool)
    signals.article_generator_finalized.connect(warn_sample_text)
    signals.page_generator_finalized.connect(stop_pool)
    signals.all_generators_finalized.connect(fail_on_problems)
