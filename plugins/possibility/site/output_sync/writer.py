"""A Pelican writer that leaves a file alone when its bytes would not change.

Pelican rewrites every page on every build. On a warm rebuild nearly all of them come
out byte for byte as they were, and rewriting a file costs the file system far more
than reading it back (and gives it a new mtime, which makes rsync and other deploy
tools look at it again). Pelican's own rules for a file written twice in one build
(`override_output`) are kept as they are.

Private API: Pelican has no public hook between rendering a page and opening its file, so
this module (and only this one) overrides `Writer._open_w` and keeps its bookkeeping
(`_written_files`, `_overridden_files`), as checked against Pelican 4.12.0;
tests/test_pelican_private_api.py fails when Pelican changes them.
"""

import io
import os

from pelican.writers import FileOverwriteFailedError, Writer

from possibility.common import same_bytes


class ChangedOnlyWriter(Writer):
    """Pelican's Writer; `unchanged` holds the files it found already right, `written`
    those it wrote."""

    def __init__(self, output_path, settings=None):
        super().__init__(output_path, settings=settings)
        self.unchanged = set()
        self.written = set()

    def _open_w(self, filename, encoding, override=False):
        # Writer._open_w's bookkeeping, which ends by truncating the file: here the file
        # is only opened once its new content is known to differ.
        if filename in self._overridden_files:
            if override:
                raise FileOverwriteFailedError(
                    f'Failed to overwrite "{filename}" a second time (was previously '
                    "overwritten)"
                )
            return open(os.devnull, "w", encoding=encoding)
        if filename in self._written_files and not override:
            raise FileOverwriteFailedError(
                f'Failed to overwrite "{filename}" as Pelican has already written to it '
                "previously (set `override=True` if intended)"
            )
        if override:
            self._overridden_files.add(filename)
        self._written_files.add(filename)
        return ChangedOnlyFile(filename, encoding, self)


class ChangedOnlyFile(io.StringIO):
    """Collects what is written; on a clean close, writes it to `path` unless the file
    already holds exactly those bytes, and says which to the writer's `unchanged` or
    `written`."""

    def __init__(self, path, encoding, writer):
        super().__init__()
        self.path = path
        self.target_encoding = encoding
        self.writer = writer

    def __exit__(self, kind, value, traceback):
        try:
            if kind is None:
                self._save()
        finally:
            super().__exit__(kind, value, traceback)

    def _save(self):
        text = self.getvalue()
        data = text.encode(self.target_encoding)
        self.writer.unchanged.discard(self.path)
        self.writer.written.discard(self.path)
        if same_bytes(self.path, data):
            self.writer.unchanged.add(self.path)
            return
        with open(self.path, "w", encoding=self.target_encoding) as handle:
            handle.write(text)
        self.writer.written.add(self.path)
