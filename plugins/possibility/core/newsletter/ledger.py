"""The ledger: a committed JSON file saying, per post identity, what the newsletter did.

    {
      "schema": 1,
      "started": "2026-11-24T14:00:00Z",          # first send run or baseline
      "posts": {
        "urn:uuid:0b9e...": {
          "backend": "outbox",                    # which backend owns the campaign
          "campaign_id": "outbox-5d1c0a9e7b42",
          "content_hash": "sha256:...",           # what went out (for "changed since sent")
          "email": "urn:uuid:0b9e...",            # the email (campaign) key; shared in a digest
          "groups": ["Articles"],
          "kind": "post",                         # or "digest"
          "slug": "is-your-career-off-track",
          "state": "sent",
          "subject": "Is Your Career Off Track?",
          "times": {"creating": "...", "created": "...", ..., "sent": "..."},
          "title": "Is Your Career Off Track?"
        }
      }
    }

States, in order (a run may only move a post forward):

    baseline                      published before the newsletter started: never sent
    creating -> created -> content_set -> checked [-> tested] -> sending -> sent | scheduled
    scheduled -> sent             the backend reports the scheduled campaign went out
    cancelled                     from any state before sent (newsletter-cancel, issue 6)

`creating` and `sending` are written *before* the irreversible call (create, send) and
the next state right after it, so a run killed anywhere can be resumed: from `creating`
the backend is asked for a campaign with the email's key before creating one; from
`sending` it is asked whether the campaign went out before sending. Every write replaces
the file atomically (temp file, fsync, rename, fsync of the folder): the file on disk is
always one whole state or the next. A lock file beside it keeps two runs apart.
"""

import copy
import fcntl
import json
import os
import socket
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from possibility.common import PossibilityError, write_atomically

SCHEMA = 1
STEPS = ("creating", "created", "content_set", "checked", "tested", "sending", "scheduled",
         "sent")
IN_PROGRESS = ("creating", "created", "content_set", "checked", "tested", "sending")
STATES = ("baseline", "cancelled", *STEPS)


class LedgerError(PossibilityError):
    """The ledger cannot be read or changed as asked; the message says how to repair it."""


class LedgerLocked(LedgerError):
    """Another run holds the ledger's lock."""


def timestamp(moment):
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_timestamp(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def new_ledger(now):
    return {"schema": SCHEMA, "started": timestamp(now), "posts": {}}


def read_ledger(path):
    """The ledger's data, or None when there is none yet (a first run)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LedgerError(f"cannot read the ledger {path}: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LedgerError(
            f"the ledger {path} is not valid JSON ({exc}); it is only ever replaced whole, "
            f"so restore the committed version: git checkout -- {path}"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("posts"), dict):
        raise LedgerError(f"the ledger {path} has no 'posts' object: restore it from git.")
    if data.get("schema") != SCHEMA:
        raise LedgerError(
            f"the ledger {path} has schema {data.get('schema')!r}; this version reads "
            f"schema {SCHEMA}. Update the project (git pull) before sending."
        )
    for post_id, entry in data["posts"].items():
        if entry.get("state") not in STATES:
            raise LedgerError(
                f"the ledger {path} gives {post_id} the unknown state {entry.get('state')!r}."
            )
    return data


def dumps(data):
    """Sorted, indented, one key per line: a send shows up in `git diff` as a few lines."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_ledger(path, data):
    """Replace the ledger atomically: readers and crashes see the old or the new file."""
    write_atomically(path, dumps(data).encode("utf-8"))


def record(data, *, key, state, now, posts=(), **fields):
    """A copy of `data` where the email `key` (and its posts) moved to `state`.

    `posts` (PostRecords) create or refresh the entries' descriptive fields; without
    them every entry already carrying `key` moves. `fields` (campaign_id, backend, ...)
    are set on every entry; `content_hash=True` records each post's own hash.
    """
    data = copy.deepcopy(data)
    entries = data["posts"]
    record_hashes = fields.pop("content_hash", False)
    if posts:
        targets = [p.post_id for p in posts]
    else:
        targets = [pid for pid, e in entries.items() if e.get("email") == key]
    if not targets:
        raise LedgerError(f"no post in the ledger belongs to the email {key}.")
    by_id = {p.post_id: p for p in posts}
    for post_id in targets:
        entry = entries.setdefault(post_id, {"times": {}})
        _check_move(post_id, entry.get("state"), state)
        entry["state"] = state
        entry["email"] = key
        entry.setdefault("times", {})[state] = timestamp(now)
        post = by_id.get(post_id)
        if post is not None:
            entry["slug"], entry["title"] = post.slug, post.title
            entry.setdefault("groups", list(post.groups))
            if record_hashes or "content_hash" not in entry:
                entry["content_hash"] = post.content_hash
        entry.update({k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()})
    return data


def with_baseline(data, posts, now):
    """A copy of `data` where each post is marked as published before the newsletter."""
    data = copy.deepcopy(data)
    for post in posts:
        _check_move(post.post_id, data["posts"].get(post.post_id, {}).get("state"), "baseline")
        data["posts"][post.post_id] = {
            "content_hash": post.content_hash,
            "slug": post.slug,
            "state": "baseline",
            "times": {"baseline": timestamp(now)},
            "title": post.title,
        }
    return data


def _check_move(post_id, old, new):
    """Only forward moves: a bug must never turn a sent post back into a sendable one."""
    allowed = (
        (old is None and new in ("baseline", "creating"))
        or (new == "cancelled" and old in (*IN_PROGRESS, "scheduled"))
        or (old in STEPS and new in STEPS and STEPS.index(new) > STEPS.index(old))
    )
    if not allowed:
        raise LedgerError(f"{post_id}: the ledger cannot move from {old!r} to {new!r}.")


class LedgerFile:
    """The ledger on disk and in memory; every `record` is written through at once."""

    def __init__(self, path, data):
        self.path = Path(path)
        self.data = data

    def save(self):
        write_ledger(self.path, self.data)

    def record(self, **kwargs):
        self.data = record(self.data, **kwargs)
        self.save()

    def email_entry(self, key):
        """One entry of the email `key` (they share state, campaign and backend)."""
        for entry in self.data["posts"].values():
            if entry.get("email") == key:
                return entry
        return None


@contextmanager
def ledger_lock(ledger_path):
    """Hold `<ledger>.lock` for the duration; LedgerLocked at once if another run has it.

    flock is released by the kernel when the holder dies (even by SIGKILL), so a
    crashed run never leaves a lock to clean up by hand. The file is removed on exit.
    """
    lock_path = Path(f"{ledger_path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            os.close(fd)
            raise LedgerLocked(
                f"another newsletter run is using the ledger ({holder}; lock file "
                f"{lock_path}). Wait for it to finish, then run again: nothing was sent "
                "by this run."
            ) from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock_path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # a finishing run removed that file meanwhile: lock the new one
    try:
        os.ftruncate(fd, 0)
        since = timestamp(datetime.now(UTC))
        holder = f"pid {os.getpid()} on {socket.gethostname()} since {since}"
        os.pwrite(fd, holder.encode("utf-8"), 0)
        yield lock_path
    finally:
        lock_path.unlink(missing_ok=True)
        os.close(fd)
