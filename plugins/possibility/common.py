"""What every part of the package shares: its root error, safe file writes, settings checks,
the rule for an absolute SITEURL, and how many worker processes to use.

Imports nothing of the package (see `possibility`), so any part may import it.
"""

import multiprocessing
import os
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit


class PossibilityError(Exception):
    """The root of every error this package raises on purpose: the message is for the author,
    names what is wrong and how to fix it. `tasks.py` catches it once."""


class SettingsError(PossibilityError, ValueError):
    """A setting's value is wrong; the message names the setting and what to write."""


class ProblemsError(PossibilityError):
    """Several problems found together, one line each naming its file and the fix, so the
    author mends them all at once. A subclass says what did not happen in `headline`."""

    headline = "{count} problem(s)"

    def __init__(self, problems, headline=None):
        self.problems = list(problems)
        headline = (headline or self.headline).format(count=len(self.problems))
        super().__init__(f"{headline}:\n" + "\n".join(self.problems))


# Files


def file_mode():
    """The mode a plain `open()` would give a new file (0644 with the usual umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomically(path, data, durable=True):
    """Write `data` (bytes) to `path` so that readers, and a crash at any moment, see the old
    or the new file: temp file, fsync, rename, fsync of the folder.

    The ledger, the outbox and the audience file depend on it: a half-written ledger would
    forget a send, a half-written .eml would be a delivery nobody can read. `durable=False`
    leaves out the fsyncs, for a cache the build can make again: readers still never see
    half a file, and what a power cut loses is only redrawn.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, file_mode())  # mkstemp's 0600 would follow the file into git
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    if not durable:
        return
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


ABANDONED_AFTER = 3600  # seconds: no write takes this long; an older temp file is left over


def remove_abandoned(folder, pattern=".*.tmp"):
    """Remove the temp files (`write_atomically`'s, by default) that a process killed while
    writing left in `folder`: those older than ABANDONED_AFTER, which no live write owns."""
    cutoff = time.time() - ABANDONED_AFTER
    for path in Path(folder).glob(pattern):
        try:
            if path.lstat().st_mtime < cutoff:
                path.unlink()
        except OSError:  # gone meanwhile, or not ours to remove: leave it
            continue


def same_bytes(path, data):
    """True when the file at `path` holds exactly `data`."""
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as handle:
            return handle.read() == data
    except OSError:  # missing, a directory, unreadable: write it
        return False


def write_if_changed(path, data, touch=False):
    """Write `data` (bytes) to `path` unless it already holds exactly that; True if written.

    A file left alone keeps its mtime (so rsync skips it), unless `touch`: then its mtime
    becomes now, for a file the build owns and prunes by age.
    """
    if same_bytes(path, data):
        if touch:
            os.utime(path)
        return False
    Path(path).write_bytes(data)
    return True


def shown_path(path, content_path):
    """A file's path as the author knows it: relative to the project (the folder that holds
    the content folder `content_path`), such as content/posts/x.md."""
    project = os.path.dirname(os.path.abspath(content_path or "."))
    return os.path.relpath(os.path.abspath(path), project).replace(os.sep, "/")


# Settings


def is_absolute_url(url):
    """An http(s) address with a host: what feeds, sitemaps and emails can link to."""
    parts = urlsplit(str(url or ""))
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def absolute_siteurl(settings):
    """The site's absolute address without a trailing slash, or None for a relative build."""
    siteurl = str(settings.get("SITEURL") or "").rstrip("/")
    if settings.get("RELATIVE_URLS") or not is_absolute_url(siteurl):
        return None
    return siteurl


def number(name, value, minimum, whole=False, text=False, error=SettingsError):
    """`value` checked to be a number (a whole one if `whole`) of at least `minimum`.

    With `text`, a string (from the environment) is read as a number.
    """
    parsed = value
    if text and isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            parsed = None
    if (isinstance(parsed, bool) or not isinstance(parsed, (int, float))
            or parsed < minimum or (whole and parsed != int(parsed))):
        if whole and minimum == 1:
            raise error(f"{name} is {value!r}: write a positive whole number.")
        kind = "whole number" if whole else "number"
        raise error(f"{name} is {value!r}: write a {kind} of at least {minimum}.")
    return int(parsed) if whole else parsed


def switch(name, value, error=SettingsError):
    """`value` checked to be True or False (a setting that turns something on or off)."""
    if not isinstance(value, bool):
        raise error(f"{name} is {value!r}: write True or False.")
    return value


def choice(name, value, choices, error=SettingsError):
    """`value` checked to be one of `choices`."""
    if value not in choices:
        shown = ", ".join(repr(c) for c in choices if c)
        raise error(f"{name} is {value!r}: write one of {shown}.")
    return value


def names(name, value, example, what="names", error=SettingsError):
    """`value` checked to be a list of non-empty names; returned stripped, as a tuple."""
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, str) and v.strip() for v in value
    ):
        raise error(f"{name} is {value!r}: write a list of {what}, e.g. {example!r}.")
    return tuple(v.strip() for v in value)


# Processes


def worker_count(items, parallel_from, chunk):
    """How many processes to use for `items` jobs: 1 means none but this one.

    Forked workers pay off from `parallel_from` jobs, each with at least `chunk` jobs.
    """
    if items < parallel_from or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, items // chunk))
