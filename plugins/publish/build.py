"""Run a Pelican build in-process and say what it wrote."""

import logging
from dataclasses import dataclass
from pathlib import Path

from pelican import Pelican
from pelican.settings import read_settings


class BuildError(Exception):
    """The site could not be built; the message says what to fix."""


@dataclass(frozen=True)
class BuildResult:
    output_path: Path
    files: tuple

    @property
    def pages(self):
        return tuple(f for f in self.files if f.suffix == ".html")


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
        Pelican(settings).run()
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
    return BuildResult(output, files)


class _ErrorCounter(logging.Handler):
    """Collect errors Pelican logs and goes on from (it skips such content silently)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage().splitlines()[0])
