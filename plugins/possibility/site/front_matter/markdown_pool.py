"""Convert a generator's Markdown files on every core, ahead of Pelican asking for them.

A cold build reads every post, one after the other, and python-markdown is most of
that. When a generator is about to read its first file, `MarkdownPool.start` lists
the files it will read (its own `get_files`, less what the content cache holds) and
has processes started by fork (everything already loaded) convert them, in the order
Pelican will ask; the reader takes each result when Pelican asks for that file.
Workers return plain values only: the HTML and each front-matter field as written
(`FieldsAsWritten`: formatted fields as HTML, the Summary by the rule for text). Pelican's
processing of the fields (dates, tags, authors) and the checks happen in the build's own
process, which reads with the same `FieldsAsWritten` when no worker does, and a worker's
log records are logged there too. A file a worker could not convert is read again in
the build's process, which reports its error as usual; if a worker dies, the rest are
read there too, never a hang.

Without fork, on one core, for a few files, or with MARKDOWN_POOL = False (its one
setting, default True, read here), nothing changes: files are read serially.
"""

import gc
import logging
import multiprocessing
import warnings
from concurrent.futures import ProcessPoolExecutor

from markdown import Markdown
from markdown.preprocessors import Preprocessor
from pelican.readers import MarkdownReader
from pelican.utils import pelican_open

from possibility.common import switch, worker_count

from .summary import fields_with_ruled_summary

PARALLEL_FROM = 32  # fewer files than this: starting processes costs more than it saves
CHUNK = 8  # files a worker takes at a time

_reader = None  # in a worker: the FieldsAsWritten reader it converts with

logger = logging.getLogger(__name__)


class MarkdownPool:
    """The files of one generator, being converted by worker processes."""

    def __init__(self, executor, results):
        self._executor = executor
        self._results = results  # iterator of (path, converted or None, log records)
        self._arrived = {}

    @classmethod
    def start(cls, settings, paths):
        """A MarkdownPool converting `paths` (absolute, in the order Pelican will ask
        for them), or None when serial is better."""
        workers = _workers(len(paths)) if switched_on(settings) else 1
        if workers < 2:
            return None
        Markdown(**settings["MARKDOWN"])  # its extensions imported before the fork
        executor = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker, initargs=(settings,),
        )
        gc.freeze()  # a worker's garbage collector would otherwise copy every page it scans
        try:
            results = executor.map(_convert, paths, chunksize=CHUNK)  # the workers fork here
        finally:
            gc.unfreeze()
        return cls(executor, results)

    def take(self, path):
        """(content, fields as written) of `path`, or None: read it here."""
        while path not in self._arrived and self._results is not None:
            try:
                done, converted, records = next(self._results)
            except StopIteration:
                self.close()
                break
            except Exception as exc:  # a worker died (BrokenProcessPool): read serially
                logger.warning("Reading posts on every core stopped (%s); reading the rest "
                               "one by one.", exc)
                self.close()
                break
            for name, level, message in records:
                logging.getLogger(name).log(level, "%s", message)
            self._arrived[done] = converted
        return self._arrived.pop(path, None)

    def close(self):
        """Stop the workers (at once if results are left untaken)."""
        if self._results is not None:
            self._results = None
            self._executor.shutdown(wait=True, cancel_futures=True)


class FieldsAsWritten(MarkdownReader):
    """Pelican's Markdown reader, leaving each field's value as written (but the Summary's
    HTML, made by the rule), and converting every file with the same two Markdown instances
    (reset between files) where Pelican makes a new one per file: that costs a tenth of the
    conversion.

    It overrides Pelican's private `MarkdownReader._parse_metadata` and sets its `_md`, as
    in Pelican 4.12.0 (tests/test_pelican_private_api.py fails when they change).
    """

    def __init__(self, settings):
        super().__init__(settings)
        self._body = Markdown(**self.settings["MARKDOWN"])
        self._fields = Markdown(**self.settings["MARKDOWN"])
        self._fields.preprocessors.deregister("meta")

    def process_metadata(self, name, value):
        return value

    def read(self, source_path):
        self._source_path = source_path
        body = self._body.reset()
        with pelican_open(source_path) as text:
            content = body.convert(text)
        return content, self._parse_metadata(body.Meta) if hasattr(body, "Meta") else {}

    def _parse_metadata(self, meta):
        # Pelican's converts formatted fields (Summary) with `self._md`, first removing
        # its "meta" preprocessor so that a field is never read as front matter: the
        # fields' instance has none, and gets a stand-in for Pelican to remove.
        self._md = self._fields.reset()
        self._md.preprocessors.register(_Unchanged(), "meta", 0)
        return fields_with_ruled_summary(super()._parse_metadata, meta)


class _Unchanged(Preprocessor):
    def run(self, lines):
        return lines


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append((record.name, record.levelno, record.getMessage()))


def _start_worker(settings):
    global _reader
    _reader = FieldsAsWritten(settings)
    warnings.simplefilter("ignore")


def _convert(path):
    records = _Records()
    root = logging.getLogger()
    root.handlers[:] = [records]  # this worker's own: the build's handlers stay in it
    try:
        converted = _reader.read(path)
    except Exception:  # read again by the build, which reports the error
        converted = None
    return path, converted, records.records


def switched_on(settings):
    """MARKDOWN_POOL, checked: False reads every file in the build's own process."""
    return switch("MARKDOWN_POOL", settings.get("MARKDOWN_POOL", True))


def _workers(count):
    """How many processes to use for `count` jobs: 1 means none but this one."""
    return worker_count(count, PARALLEL_FROM, CHUNK)
