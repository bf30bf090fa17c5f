"""One publish at a time: an exclusive lock on a file, held for the whole run.

Two publishes at once (cron and an author, two CI jobs) would race on the output
folder, the upload and the ledger. The operating system releases the lock when the
process ends, however it ends, so a crashed run never leaves a stale lock behind.
"""

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path

from possibility.common import PossibilityError


class PublishLocked(PossibilityError):
    """Another publish holds the lock; the message says which process and since when."""


@contextmanager
def publish_lock(path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise PublishLocked(
                f"another publish is running ({holder}); wait for it to finish and run "
                f"invoke publish again. The lock ({path}) is released when it exits."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        handle.flush()
        yield
    finally:
        handle.close()
