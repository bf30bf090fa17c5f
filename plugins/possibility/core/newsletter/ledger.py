"""The ledger: a committed JSON file saying, per post identity, what the newsletter did, and
where each email went (its destination: the backend and, for Mailchimp, the list).

    {
      "schema": 2,
      "started": "2026-11-24T14:00:00Z",          # first send run or baseline
      "posts": {                                  # what subscribers got (and the baseline)
        "urn:uuid:0b9e...": {
          "backend": "mailchimp",                 # which backend owns the campaign
          "campaign_id": "5d1c0a9e7b",
          "content_hash": "sha256:...",           # what went out (for "changed since sent")
          "destination": "mailchimp:7c9e1a4b2d",  # the backend and the list
          "email": "urn:uuid:0b9e...",            # the email (campaign) key; shared in a digest
          "groups": ["Articles"],
          "kind": "post",                         # or "digest"
          "slug": "is-your-career-off-track",
          "state": "sent",
          "subject": "Is Your Career Off Track?",
          "times": {"creating": "...", "created": "...", ..., "sent": "..."},
          "title": "Is Your Career Off Track?"
        },
        "urn:uuid:6f1d...": {"state": "baseline", "slug": ..., "title": ...,
                             "content_hash": ..., "times": {"baseline": "..."}}
      },
      "rehearsals": {}                            # kept in their own file, below
    }

and beside it, never committed, `newsletter-ledger.json.rehearsals` (`rehearsals_path`):

    {"outbox": {"urn:uuid:0b9e...": {... the same fields, "destination": "outbox"}}}

Destinations. `posts` holds the emails sent to subscribers (a Mailchimp list:
`mailchimp:<list_id>`; "mailchimp" alone for sends recorded before lists were, schema 1)
and the baseline. A post goes to subscribers once, whichever list: a post sent to one
list is not sent to another. `rehearsals` holds, per rehearsal destination (`outbox`, the
local outbox that stands in when no Mailchimp key is set), what went there: a rehearsal
never marks a post as sent to subscribers, so a post rehearsed in the outbox is still due
on the list. A baseline entry ("published before the newsletter, never to be sent")
counts for every destination. The outbox's view (`view`) is its own entries over what
went out for real: a post sent to the list is not rehearsed again.

Schema 1 (before destinations) is migrated on read (`migrate`) and written as schema 2:
its baseline entries and Mailchimp sends stay in `posts` with their meaning (the list of a
Mailchimp send was not recorded: "mailchimp", any list), and its outbox sends, which never
reached a subscriber, become rehearsals.

Optional fields: `tested_to` (test addresses), `test_unconfirmed` (the test's answer was
lost: it may not have arrived, and was not sent again), `location`, `scheduled_for`,
`reconciled` (when a run learned from the backend that the post had gone out in a
campaign this checkout did not record: another machine's, or a commit that was lost).

States, in order (a run may only move a post forward):

    baseline                      published before the newsletter started: never sent
    creating -> created -> content_set -> checked [-> testing -> tested] -> sending
        -> sent | scheduled
    scheduled -> sent             the backend reports the scheduled campaign went out
    cancelled                     from any state before sent (newsletter-cancel, issue 6)

`creating`, `testing` and `sending` are written *before* the call they name (create,
test email, send) and the next state right after it, so a run killed anywhere can be
resumed: from `creating` the backend is asked for a campaign with the email's key before
creating one; from `testing` the test is not sent again (it may have gone); from
`sending` it is asked whether the campaign went out before sending.

Nothing before `sending` is irreversible for the list, so a run may take an email back
(`rewind`): to `created` when its draft must be brought up to date, to `creating` when
the draft was deleted in the backend, or out of the ledger altogether when another
campaign carries its posts (`release`); `record_found` then records a post the backend
shows as sent in a campaign this ledger did not know. These functions work on one
destination's view (`{"posts": {...}}`); `LedgerFile` writes a view back where it
belongs. Every write replaces the file atomically (temp file, fsync, rename, fsync of the
folder): the file on disk is always one whole state or the next. A lock file beside it
keeps two runs of one checkout apart; runs on different machines are kept apart by the
backend (see `mailchimp_backend`).

Reading (for reports and the archive of sent issues): `sent_to_subscribers(data)` lists
the emails that went to subscribers, `rehearsed(data)` the outbox's, both as
`LedgerEmail`s (date, subject, groups, campaign id, posts); `has_sent_to(data,
destination)` says whether a list ever received an email from this site.
"""

import copy
import fcntl
import json
import os
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from possibility.common import PossibilityError, write_atomically

SCHEMA = 2
SCHEMAS = (1, 2)  # what this version reads (1 is migrated)
STEPS = ("creating", "created", "content_set", "checked", "testing", "tested", "sending",
         "scheduled", "sent")
PRE_SEND = ("creating", "created", "content_set", "checked", "testing", "tested")
IN_PROGRESS = (*PRE_SEND, "sending")
STATES = ("baseline", "cancelled", *STEPS)
OUTBOX = "outbox"  # the rehearsal destination
MAILCHIMP = "mailchimp"  # a Mailchimp send of schema 1, whose list was not recorded
EARLIEST = datetime.min.replace(tzinfo=UTC)


class LedgerError(PossibilityError):
    """The ledger cannot be read or changed as asked; the message says how to repair it."""


class LedgerLocked(LedgerError):
    """Another run holds the ledger's lock."""


def timestamp(moment):
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_timestamp(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def new_ledger(now):
    return {"schema": SCHEMA, "started": timestamp(now), "posts": {}, "rehearsals": {}}


# Destinations ------------------------------------------------------------------------------


def is_rehearsal(destination):
    """Whether emails to `destination` reach no subscriber (the local outbox)."""
    return str(destination or "").split(":", 1)[0] == OUTBOX


def destination_of(entry):
    """Where an entry's email went: its `destination`, else (schema 1) its backend's name
    ("mailchimp": a list not recorded)."""
    return entry.get("destination") or entry.get("backend") or MAILCHIMP


def same_list(recorded, destination):
    """Whether an email recorded for `recorded` went to `destination`: the same, or a
    Mailchimp send of schema 1 (list not recorded) and any Mailchimp list."""
    return recorded == destination or (
        recorded == MAILCHIMP and str(destination).split(":", 1)[0] == MAILCHIMP)


def view(data, destination):
    """The ledger as a send to `destination` sees it: `{"posts": {...}}` with the entries
    that decide what is due there (a copy for a rehearsal; `data` itself otherwise).

    For subscribers' destinations that is `posts` (the baseline and every real send); for
    a rehearsal, its own entries over the posts settled for real (baseline, sent,
    scheduled, cancelled), which win. None when there is no ledger yet.
    """
    if data is None:
        return None
    if not is_rehearsal(destination):
        return data
    real = {pid: e for pid, e in data["posts"].items() if e.get("state") not in IN_PROGRESS}
    own = data.get("rehearsals", {}).get(destination, {})
    posts = {**{pid: e for pid, e in own.items() if pid not in real}, **real}
    return {"schema": data["schema"], "started": data["started"], "destination": destination,
            "posts": copy.deepcopy(posts)}


def merge(data, seen, destination):
    """A copy of the document `data` with the view `seen` of `destination` written back:
    for a rehearsal, its entries go to `rehearsals` (what it showed of the real sends
    must be unchanged); otherwise `seen` is the document."""
    if not is_rehearsal(destination):
        return seen
    data = copy.deepcopy(data)
    real = {pid: e for pid, e in data["posts"].items() if e.get("state") not in IN_PROGRESS}
    for post_id, entry in real.items():
        if seen["posts"].get(post_id) != entry:
            raise LedgerError(f"{post_id}: a rehearsal ({destination}) cannot change what was "
                              "sent to subscribers.")
    own = data.setdefault("rehearsals", {}).get(destination, {})
    kept = {pid: e for pid, e in own.items() if pid in real}  # hidden by a real send
    kept.update({pid: e for pid, e in seen["posts"].items() if pid not in real})
    data["rehearsals"][destination] = kept
    if not kept:
        del data["rehearsals"][destination]
    return data


# Reading and writing ------------------------------------------------------------------------


def rehearsals_path(path):
    """Where the rehearsals of the ledger at `path` are kept: beside it, and never committed
    (.gitignore), so that a rehearsal leaves the committed ledger, and the checkout, as they
    were (a modified ledger would stop the next `git pull --rebase`)."""
    return Path(f"{path}.rehearsals")


def read_ledger(path):
    """The ledger's data (schema 2, migrated if older) with its rehearsals, or None when
    there is none yet."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LedgerError(f"cannot read the ledger {path}: {exc}") from None
    data = parse_ledger(text, path)
    kept = rehearsals_path(path)
    try:
        rehearsals = json.loads(kept.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return data
    except (OSError, ValueError) as exc:
        raise LedgerError(f"cannot read the rehearsals {kept} ({exc}): they only record "
                          f"outbox rehearsals, so delete the file and rehearse again.") from None
    return parse_ledger(dumps({**data, "rehearsals": {**data["rehearsals"], **rehearsals}}),
                        kept)


def parse_ledger(text, where="the ledger"):
    """The data of a ledger's text, migrated to this schema; LedgerError says what is wrong."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LedgerError(
            f"the ledger {where} is not valid JSON ({exc}); it is only ever replaced whole, "
            f"so restore the committed version: git checkout -- {where}"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("posts"), dict):
        raise LedgerError(f"the ledger {where} has no 'posts' object: restore it from git.")
    if data.get("schema") not in SCHEMAS:
        raise LedgerError(
            f"the ledger {where} has schema {data.get('schema')!r}; this version reads "
            f"schema {SCHEMA} (and migrates 1). Update the project (git pull) before sending."
        )
    data = migrate(data)
    rehearsals = data["rehearsals"]
    if not isinstance(rehearsals, dict) or not all(
            isinstance(entries, dict) for entries in rehearsals.values()):
        raise LedgerError(f"the ledger {where} has a broken 'rehearsals' object: restore it "
                          "from git.")
    for section in (data["posts"], *rehearsals.values()):
        for post_id, entry in section.items():
            if not isinstance(entry, dict) or entry.get("state") not in STATES:
                state = entry.get("state") if isinstance(entry, dict) else entry
                raise LedgerError(
                    f"the ledger {where} gives {post_id} the unknown state {state!r}.")
    return data


def migrate(data):
    """Schema 1 as schema 2: baseline entries and Mailchimp sends stay in `posts` with
    their meaning; outbox sends (which reached no subscriber) become rehearsals."""
    data = dict(data)
    if data.get("schema") == 1:
        posts, outbox = {}, {}
        for post_id, entry in data["posts"].items():
            if isinstance(entry, dict) and entry.get("state") != "baseline" and \
                    entry.get("backend") == OUTBOX:
                outbox[post_id] = {**entry, "destination": OUTBOX}
            else:
                posts[post_id] = entry
        data.update(schema=SCHEMA, posts=posts, rehearsals={OUTBOX: outbox} if outbox else {})
    data.setdefault("rehearsals", {})
    data.setdefault("started", None)
    return data


def dumps(data):
    """Sorted, indented, one key per line: a send shows up in `git diff` as a few lines."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_ledger(path, data):
    """Replace the ledger atomically (readers and crashes see the old or the new file), its
    rehearsals in their own file beside it (`rehearsals_path`)."""
    data = migrate(data)
    write_atomically(path, dumps({**data, "rehearsals": {}}).encode("utf-8"))
    kept = rehearsals_path(path)
    if data["rehearsals"]:
        write_atomically(kept, dumps(data["rehearsals"]).encode("utf-8"))
    else:
        kept.unlink(missing_ok=True)


def subscriber_records(data):
    """What the ledger says subscribers got, and the baseline: what a commit is for (a
    ledger whose rehearsals alone changed need not be committed)."""
    return migrate(data)["posts"] if data else {}


# Changes (pure, on one destination's view) --------------------------------------------------


def record(data, *, key, state, now, posts=(), **fields):
    """A copy of `data` where the email `key` (and its posts) moved to `state`.

    `posts` (PostRecords) create or refresh the entries' descriptive fields; without
    them every entry already carrying `key` moves. `fields` (campaign_id, backend,
    destination, ...) are set on every entry; `content_hash=True` records each post's
    own hash.
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


def rewind(data, *, key, state, now, **fields):
    """A copy of `data` where the email `key` goes back to `state`, an earlier state
    before `sending` (nothing irreversible is undone), or out of the ledger (None).

    Going back to `creating` forgets the campaign (it is gone); `fields` are set as in
    `record`.
    """
    data = copy.deepcopy(data)
    entries = data["posts"]
    targets = [pid for pid, e in entries.items() if e.get("email") == key]
    if not targets:
        raise LedgerError(f"no post in the ledger belongs to the email {key}.")
    for post_id in targets:
        entry = entries[post_id]
        old = entry.get("state")
        if old not in PRE_SEND or (state is not None and (
                state not in PRE_SEND or PRE_SEND.index(state) > PRE_SEND.index(old))):
            raise LedgerError(f"{post_id}: the ledger cannot take {old!r} back to {state!r}.")
        if state is None:
            del entries[post_id]
            continue
        entry["state"] = state
        entry["times"][state] = timestamp(now)
        if state == "creating":
            entry.pop("campaign_id", None)
        entry.update({k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()})
    return data


def release(data, *, key, now):
    """A copy of `data` without the email `key`, which had not gone out: its posts are
    due again (another campaign carries some of them)."""
    return rewind(data, key=key, state=None, now=now)


def record_found(data, *, post, state, key, kind, campaign_id, backend, now, location=None,
                 destination=None):
    """A copy of `data` recording `post` as `state` (sent or scheduled) in a campaign the
    backend shows and this ledger did not know (made elsewhere, or its record lost)."""
    if state not in ("sent", "scheduled"):
        raise LedgerError(f"{post.post_id}: only a sent or scheduled post is recorded so.")
    data = copy.deepcopy(data)
    old = data["posts"].get(post.post_id, {}).get("state")
    if old is not None:
        raise LedgerError(f"{post.post_id}: already in the ledger as {old!r}.")
    entry = {
        "backend": backend, "campaign_id": campaign_id, "content_hash": post.content_hash,
        "email": key, "groups": list(post.groups), "kind": kind, "reconciled": timestamp(now),
        "slug": post.slug, "state": state, "times": {state: timestamp(now)},
        "title": post.title,
    }
    if destination:
        entry["destination"] = destination
    if location:
        entry["location"] = str(location)
    data["posts"][post.post_id] = entry
    return data


def with_baseline(data, posts, now):
    """A copy of `data` where each post is marked as published before the newsletter: on
    every destination (the baseline lives with what subscribers got)."""
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
    """The ledger on disk and in memory, as one destination sees it (`data`, a view);
    every change is written through at once, into that destination's part."""

    def __init__(self, path, data, destination=None):
        self.path = Path(path)
        self.document = migrate(data)
        self.destination = destination
        self.data = view(self.document, destination) if destination else self.document

    def save(self):
        write_ledger(self.path, self.document)

    def _change(self, data):
        self.document = merge(self.document, data, self.destination)
        self.data = data
        self.save()

    def record(self, **kwargs):
        self._change(record(self.data, **kwargs))

    def rewind(self, **kwargs):
        self._change(rewind(self.data, **kwargs))

    def release(self, **kwargs):
        self._change(release(self.data, **kwargs))

    def record_found(self, **kwargs):
        self._change(record_found(self.data, **kwargs))

    def email_entry(self, key):
        """One entry of the email `key` (they share state, campaign and backend)."""
        for entry in self.data["posts"].values():
            if entry.get("email") == key:
                return entry
        return None


# Reading, for reports and the archive -------------------------------------------------------


@dataclass(frozen=True)
class LedgerEmail:
    """One email as the ledger records it: sent (or scheduled) to a destination."""

    key: str  # the email's key: a post's identity, or digest:...
    kind: str  # "post" or "digest"
    destination: str  # "mailchimp:<list_id>", "mailchimp" (schema 1), "outbox"
    state: str  # "sent" or "scheduled"
    sent_at: datetime  # when it went out (a scheduled one: when it goes), UTC
    subject: str
    groups: tuple  # interest group names; () = the whole list
    campaign_id: str
    posts: tuple  # ((post identity, slug, title), ...), in the ledger's order
    location: str = ""  # where a human sees it: the campaign's archive URL, the outbox file

    @property
    def rehearsal(self):
        return is_rehearsal(self.destination)


def sent_to_subscribers(data, *, scheduled=False):
    """Every email that went to subscribers (never the baseline, never a rehearsal),
    oldest first; with `scheduled`, those scheduled to go too. `data`: read_ledger's
    (None: no ledger, nothing sent)."""
    if not data:
        return ()
    return _emails(migrate(data)["posts"], ("sent", "scheduled") if scheduled else ("sent",))


def rehearsed(data, destination=OUTBOX):
    """Every email rehearsed in `destination` (the outbox), oldest first."""
    if not data:
        return ()
    entries = migrate(data)["rehearsals"].get(destination, {})
    return _emails(entries, ("sent", "scheduled"), destination)


def has_sent_to(data, destination):
    """Whether `destination` ever received (or is about to) an email from this site."""
    if not data:
        return False
    section = migrate(data)["rehearsals"].get(destination, {}) if is_rehearsal(destination) \
        else migrate(data)["posts"]
    return any(e.get("state") in ("sent", "scheduled", "sending")
               and same_list(destination_of(e), destination) for e in section.values())


def _emails(entries, states, destination=None):
    emails = {}
    for post_id, entry in sorted(entries.items()):
        if entry.get("state") in states:
            emails.setdefault(entry.get("email") or post_id, []).append((post_id, entry))
    found = [_email(key, pairs, destination) for key, pairs in emails.items()]
    return tuple(sorted(found, key=lambda e: (e.sent_at, e.key)))


def _email(key, pairs, destination):
    first = pairs[0][1]
    state = first["state"]
    times = first.get("times") or {}
    when = (first.get("scheduled_for") if state == "scheduled" else None) or times.get(state)
    try:
        sent_at = parse_timestamp(when) if when else EARLIEST
    except ValueError:
        sent_at = EARLIEST
    posts = tuple((pid, e.get("slug", ""), e.get("title", "")) for pid, e in pairs)
    kind = first.get("kind") or ("digest" if key.startswith("digest:") else "post")
    return LedgerEmail(
        key=key, kind=kind, destination=destination or destination_of(first), state=state,
        sent_at=sent_at, subject=first.get("subject") or posts[0][2],
        groups=tuple(first.get("groups") or ()), campaign_id=str(first.get("campaign_id", "")),
        posts=posts, location=str(first.get("location") or ""),
    )


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
