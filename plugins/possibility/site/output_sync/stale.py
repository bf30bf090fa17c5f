"""Which files in the output folder a build no longer makes, and removing them.

Instead of emptying the output folder before a build (DELETE_OUTPUT_DIRECTORY), which
makes every page a new file, the build writes in place and then removes what it did not
make: a file is current when this build wrote it (its mtime is not older than the
build's start, read from the file system's own clock) or found it already right (the
writer's unchanged pages, static files Pelican did not need to copy again).
"""

import os
import tempfile
from pathlib import Path


def file_system_now(folder):
    """A time T of the file system's own clock, as it stamps files in `folder` (which it
    creates): files written before this call are stamped before T, files written after
    it at T or later.

    That clock moves in ticks (a few milliseconds): a file written in the tick this call
    starts in would look as new as the build's own, so it waits for the next tick."""
    os.makedirs(folder, exist_ok=True)
    handle, marker = tempfile.mkstemp(prefix=".build-started-", dir=folder)
    try:
        first = os.fstat(handle).st_mtime_ns
        while True:
            os.utime(handle)  # stamped now, by the same clock as a write
            now = os.fstat(handle).st_mtime_ns
            if now > first:
                return now
    finally:
        os.close(handle)
        os.unlink(marker)


def stale_files(files, *, started_ns, current, retained):
    """The relative paths in `files` ({relative posix path: mtime_ns}) a build that
    started at `started_ns` did not make: not written since, not in `current`, not under
    a top-level name in `retained` (OUTPUT_RETENTION, such as .git)."""
    return sorted(
        path for path, mtime_ns in files.items()
        if mtime_ns < started_ns
        and path not in current
        and path.split("/", 1)[0] not in retained
    )


def output_files(output, retained=()):
    """{relative posix path: mtime_ns} of every file (and symlink) under `output`,
    except in the top-level folders named in `retained`."""
    found = {}
    for folder, subfolders, names in os.walk(output):
        relative = Path(folder).relative_to(output).as_posix()
        if relative == ".":
            subfolders[:] = [name for name in subfolders if name not in retained]
        prefix = "" if relative == "." else relative + "/"
        for name in names:
            try:
                found[prefix + name] = os.lstat(os.path.join(folder, name)).st_mtime_ns
            except FileNotFoundError:  # removed meanwhile
                continue
    return found


def remove_stale(output, *, started_ns, current, retained):
    """Remove the stale files under `output`, then the folders they leave empty.
    Returns the removed files' relative paths."""
    output = Path(output)
    stale = stale_files(
        output_files(output, retained), started_ns=started_ns, current=current, retained=retained
    )
    emptied = set()
    for path in stale:
        (output / path).unlink(missing_ok=True)
        parent = Path(path).parent
        while parent != Path("."):
            emptied.add(parent)
            parent = parent.parent
    for folder in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
        try:
            (output / folder).rmdir()
        except OSError:  # not empty: it holds current files
            pass
    return stale
