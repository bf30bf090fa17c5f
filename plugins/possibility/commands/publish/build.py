"""Run a Pelican build in-process and say what it wrote."""

import logging
from dataclasses import dataclass
from pathlib import Path

from pelican import Pelican
from pelican.settings import read_settings

from possibility.common import PossibilityError

from .report import count


class BuildError(PossibilityError):
    """The site could not be built; the message says what to fix."""


@dataclass(frozen=True)
class BuildResult:
    output_path: Path
    files: tuple  # every file in the output folder, relative to it
    output: object = None  # the output_sync plugin's OutputSummary, when it ran

    @property
    def pages(self):
        return tuple(f for f in self.files if f.suffix == ".html")

    def describe(self):
        """'22 pages (37 files) in output', and what this build changed when known."""
        text = f"{count(len(self.pages), 'page')} ({count(len(self.files), 'file')}) in "
        text += str(self.output_path)
        if self.output is not None:
            text += (f"; {count(len(self.pages_written), 'page')} written, "
                     f"{len(self.pages_unchanged)} already right; "
                     f"{count(len(self.output.removed), 'old file')} removed")
        return text

    @property
    def pages_written(self):
        """The pages Pelican's writer wrote this build (None: not known)."""
        return None if self.output is None else _html(self.output.written)

    @property
    def pages_unchanged(self):
        """The pages it found already right and left alone (None: not known)."""
        return None if self.output is None else _html(self.output.unchanged)


def load_settings(settings_file, overrides=None):
    return read_settings(str(settings_file), override=dict(overrides or {}))


def build_site(settings_file, overrides=None):
    """Build the site described by `settings_file` (plus `overrides`).

    Raises BuildError with Pelican's or a plugin's own explanation; logs every
    warning so the author sees it.
    """
    settings = load_settings(settings_file, overrides)
    errors = _ErrorCounter()
    logging.getLogger("pelican").addHandler(errors)
    try:
        pelican = Pelican(settings)
        pelican.run()
    except Exception as exc:
        raise BuildError(str(exc)) from exc
    finally:
        logging.getLogger("pelican").removeHandler(errors)
    if errors.messages:
        raise BuildError(
            "the build reported errors:\n" + "\n".join(f"  {m}" for m in errors.messages)
        )
    output = Path(settings["OUTPUT_PATH"])
    files = tuple(sorted(p.relative_to(output) for p in output.rglob("*") if p.is_file()))
    return BuildResult(output, files, _output_summary(pelican))


def _html(paths):
    return tuple(p for p in paths if p.endswith(".html"))


def _output_summary(pelican):
    """What the output_sync plugin says the build wrote, left alone and removed, if it ran.

    The plugin leaves its summary on the Pelican object it ran in (`finalized` signal).
    """
    return getattr(pelican, "output_sync_summary", None)


class _ErrorCounter(logging.Handler):
    """Collect errors Pelican logs and goes on from (it skips such content silently)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage().splitlines()[0])
