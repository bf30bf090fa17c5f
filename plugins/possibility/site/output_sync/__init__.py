"""Keep the output folder in step with the site without emptying it first.

Pelican's DELETE_OUTPUT_DIRECTORY gives a clean output by deleting everything, so every
build creates every file anew; creating files is most of what a warm rebuild costs.
This plugin instead writes only the pages whose bytes changed (`writer`) and, once the
build is over, removes the files it no longer makes and the folders they leave empty
(`stale`): the same clean output, and unchanged files keep their mtime. A build into an
empty folder (a fresh clone's) has nothing to remove and does not look.

Settings:
- OUTPUT_SYNC_PRUNE [True]: remove files the build no longer makes. Left alone: the
  top-level names in OUTPUT_RETENTION (Pelican's, e.g. [".git"]), and everything when
  the output folder holds the content folder (Pelican's own rule for deleting it).

After a build, the Pelican object's `output_sync_summary` says what it wrote, left alone
and removed (the publish report shows it).

Switched off by leaving it out of PLUGINS, with DELETE_OUTPUT_DIRECTORY = True for a clean
output: the same site, and a warm rebuild of 1,000 posts takes 1.6 to 3 times as long
(bench/README.md).
"""

import logging
import os
from dataclasses import dataclass

from pelican import signals

from .stale import file_system_now, remove_stale
from .writer import ChangedOnlyWriter

logger = logging.getLogger(__name__)

_build = None  # the OutputSync of the build in progress (Pelican runs one at a time)


@dataclass(frozen=True)
class OutputSummary:
    """What a finished build did in its output folder: paths relative to it."""

    output_path: str
    written: tuple  # pages and feeds Pelican's writer wrote
    unchanged: tuple  # those it found already right and left alone
    removed: tuple  # files the site no longer has


class OutputSync:
    """Pelican generator, made first thing in every build: notes when it started."""

    def __init__(self, context, settings, path, theme, output_path, *args, **kwargs):
        global _build
        self.context = context
        self.settings = settings
        self.output_path = output_path
        self.started_ns = file_system_now(output_path)
        # An output folder empty at the start (a fresh clone's) holds nothing stale after.
        with os.scandir(output_path) as entries:
            self.started_empty = not any(True for _ in entries)
        self.writer = None
        _build = self

    def current_files(self):
        """Relative paths this build keeps without writing them again."""
        static = {s.save_as.replace(os.sep, "/") for s in self.context.get("staticfiles", ())}
        return set(_relative(self.writer.unchanged, self.output_path)) | static


class _BuildWriter(ChangedOnlyWriter):
    """The build's writer, known to its OutputSync."""

    def __init__(self, output_path, settings=None):
        super().__init__(output_path, settings=settings)
        if _build is not None:
            _build.writer = self


def get_generators(pelican):
    return OutputSync


def get_writer(pelican):
    return _BuildWriter


def prune(pelican):
    """Signal handler (finalized): remove what this build no longer makes."""
    global _build
    build, _build = _build, None
    if build is None or build.writer is None:
        return
    removed = ()
    output, content = os.path.realpath(build.output_path), os.path.realpath(pelican.path)
    pruning = pelican.settings.get("OUTPUT_SYNC_PRUNE", True)
    if pruning and os.path.commonpath([output, content]) == output:
        logger.warning("output_sync: %s holds the content folder: nothing removed.", output)
    elif pruning and not build.started_empty:
        removed = tuple(remove_stale(
            build.output_path,
            started_ns=build.started_ns,
            current=build.current_files(),
            retained=set(pelican.settings.get("OUTPUT_RETENTION", ())),
        ))
    if removed:
        logger.info("Removed %d file(s) the site no longer has from %s", len(removed), output)
    pelican.output_sync_summary = OutputSummary(
        build.output_path, _relative(build.writer.written, build.output_path),
        _relative(build.writer.unchanged, build.output_path), removed,
    )


def _relative(paths, folder):
    return tuple(sorted(os.path.relpath(p, folder).replace(os.sep, "/") for p in paths))


def register():
    signals.get_generators.connect(get_generators)
    signals.get_writer.connect(get_writer)
    signals.finalized.connect(prune)
