"""Run a Pelican build in-process and say what it wrote.

What a build says adds up: the files in the output are the site's pages (each one
written this build or found already right and left alone, by Pelican's writer), the
email previews (written by the newsletter's own writer) and the other files (feeds,
images, styles); files the site no longer has are removed, and counted apart.
"""

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from pelican import Pelican
from pelican.settings import read_settings

from possibility.common import PossibilityError
from possibility.core.newsletter.model import META_FILE, PREVIEW_FILE

from .report import count


class BuildError(PossibilityError):
    """The site could not be built; the message says what to fix."""


@dataclass(frozen=True)
class BuildResult:
    output_path: Path
    files: tuple  # every file in the output folder, relative to it
    output: object = None  # the output_sync plugin's OutputSummary, when it ran
    sources: dict = field(default_factory=dict)  # {page: its source file (content/posts/x.md)}
    content_folder: str = "content"  # the content folder's name, as sources start

    @property
    def pages(self):
        """Every .html file in the output: the site's pages, email previews, static pages."""
        return tuple(f for f in self.files if f.suffix == ".html")

    def describe(self):
        """What is in the output and what this build did, in numbers that add up:
        '46 files in output: 24 pages (3 written, 21 already right), 3 email previews,
        19 other files; 1 old file removed'."""
        if self.output is None:
            return (f"{count(len(self.pages), 'page')} ({count(len(self.files), 'file')}) in "
                    f"{self.output_path}")
        site, emails = len(self.site_pages), len(self.email_previews)
        return (
            f"{count(len(self.files), 'file')} in {self.output_path}: "
            f"{count(site, 'page')} ({len(self.pages_written)} written, "
            f"{len(self.pages_unchanged)} already right), "
            f"{count(emails, 'email preview')}, "
            f"{count(len(self.files) - site - emails, 'other file')}; "
            f"{count(len(self.output.removed), 'old file')} removed"
        )

    @property
    def pages_written(self):
        """The pages Pelican's writer wrote this build (None: not known)."""
        return None if self.output is None else _html(self.output.written)

    @property
    def pages_unchanged(self):
        """The pages it found already right and left alone (None: not known)."""
        return None if self.output is None else _html(self.output.unchanged)

    @property
    def site_pages(self):
        """The site's pages: written or already right (None: not known)."""
        if self.output is None:
            return None
        return tuple(sorted(set(self.pages_written) | set(self.pages_unchanged)))

    @property
    def email_previews(self):
        """The .html files of the newsletter's folders (beside a meta.json), which the
        newsletter writes itself: not Pelican's pages."""
        files, site = {f.as_posix() for f in self.files}, set(self.site_pages or ())
        return tuple(
            f for f in self.pages
            if f.name == PREVIEW_FILE and (f.parent / META_FILE).as_posix() in files
            and f.as_posix() not in site
        )

    @property
    def removed(self):
        """The files this build removed, as the site no longer has them (None: not known)."""
        return None if self.output is None else tuple(self.output.removed)


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
    folder = os.path.basename(os.path.abspath(settings["PATH"]))
    return BuildResult(output, files, _output_summary(pelican), _sources(pelican, folder), folder)


def _html(paths):
    return tuple(p for p in paths if p.endswith(".html"))


def _output_summary(pelican):
    """What the output_sync plugin says the build wrote, left alone and removed, if it ran.

    The plugin leaves its summary on the Pelican object it ran in (`finalized` signal).
    """
    return getattr(pelican, "output_sync_summary", None)


def _sources(pelican, folder):
    """{page: source file as the author knows it}, from the map the front_matter plugin
    leaves on the Pelican object (`content_sources`: paths relative to the content folder)."""
    recorded = getattr(pelican, "content_sources", None) or {}
    return {page: f"{folder}/{source}" for page, source in recorded.items()}


class _ErrorCounter(logging.Handler):
    """Collect errors Pelican logs and goes on from (it skips such content silently)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage().splitlines()[0])
