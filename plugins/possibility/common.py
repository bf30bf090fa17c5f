"""Replace a file so that readers, and a crash at any moment, see the old or the new file.

The ledger and the outbox both depend on it: a half-written ledger would forget a
send, a half-written .eml would be a delivery nobody can read.
"""

import os
import tempfile
from pathlib import Path


def file_mode():
    """The mode a plain `open()` would give a new file (0644 with the usual umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomically(path, data):
    """Write `data` (bytes) to `path`: temp file, fsync, rename, fsync of the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, file_mode())  # mkstemp's 0600 would follow the file into git
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
