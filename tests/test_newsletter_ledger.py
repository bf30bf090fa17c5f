"""The ledger file: format, atomic writes, schema, forward-only states (and the ways back
before anything irreversible), posts learned from the backend, the lock, and where each
email went: the destinations, the outbox's rehearsals apart, and schema 1 migrated."""

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from possibility.common import file_mode
from possibility.core.newsletter import ledger as ledger_module
from possibility.core.newsletter.due import decide
from possibility.core.newsletter.ledger import (
    LedgerError,
    LedgerFile,
    LedgerLocked,
    dumps,
    has_sent_to,
    ledger_lock,
    new_ledger,
    parse_ledger,
    read_ledger,
    record,
    record_found,
    rehearsed,
    release,
    rewind,
    sent_to_subscribers,
    subscriber_records,
    view,
    with_baseline,
    write_ledger,
)
from possibility.core.newsletter.model import PostRecord

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


def post(n):
    return PostRecord(
        post_id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}", slug=f"post-{n}",
        title=f"Post {n}", url=f"https://example.org/post-{n}/", date=NOW, status="published",
        newsletter=True, groups=("Articles",), content_hash=f"sha256:{n}", has_email=True,
    )


LIST = "mailchimp:7c9e1a4b2d"


def sent_ledger():
    data = new_ledger(NOW)
    key = post(1).post_id
    data = record(data, key=key, state="creating", now=NOW, posts=(post(1),),
                  backend="mailchimp", destination=LIST, kind="post", groups=("Articles",),
                  subject="Post 1")
    data = record(data, key=key, state="created", now=NOW, posts=(post(1),), campaign_id="c1")
    for state in ("content_set", "checked", "sending", "sent"):
        data = record(data, key=key, state=state, now=NOW, posts=(post(1),))
    return data


def test_the_file_is_sorted_indented_json_with_a_schema_version(tmp_path):
    path = tmp_path / "ledger.json"
    write_ledger(path, sent_ledger())
    text = path.read_text(encoding="utf-8")
    assert text == dumps(json.loads(text)) and text.endswith("}\n")
    assert path.stat().st_mode & 0o777 == file_mode()  # not mkstemp's 0600
    data = read_ledger(path)
    assert data["schema"] == 2 and data["started"] == "2026-11-24T12:00:00Z"
    assert data["rehearsals"] == {}
    entry = data["posts"][post(1).post_id]
    assert {k: entry[k] for k in ("slug", "title", "content_hash", "groups", "backend",
                                  "campaign_id", "state", "email", "kind", "destination")} == {
        "slug": "post-1", "title": "Post 1", "content_hash": "sha256:1",
        "groups": ["Articles"], "backend": "mailchimp", "campaign_id": "c1", "state": "sent",
        "email": post(1).post_id, "kind": "post", "destination": LIST}
    assert list(entry["times"]) == sorted(
        ["checked", "content_set", "created", "creating", "sending", "sent"])
    lines = text.splitlines()
    assert lines[1].startswith('  "posts"') and '    "urn:uuid:' in lines[2]


def test_no_ledger_reads_as_none(tmp_path):
    assert read_ledger(tmp_path / "missing.json") is None


def test_a_failed_write_leaves_the_previous_ledger_whole(tmp_path, monkeypatch):
    path = tmp_path / "ledger.json"
    write_ledger(path, new_ledger(NOW))
    before = path.read_bytes()

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(ledger_module.os, "replace", crash)
    with pytest.raises(OSError):
        write_ledger(path, sent_ledger())
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.json"]


def test_writes_are_flushed_to_disk_before_and_after_the_rename(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(ledger_module.os, "fsync", lambda fd: calls.append("fsync") or
                        real_fsync(fd))
    monkeypatch.setattr(ledger_module.os, "replace", lambda a, b: calls.append("rename") or
                        real_replace(a, b))
    write_ledger(tmp_path / "ledger.json", new_ledger(NOW))
    assert calls == ["fsync", "rename", "fsync"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "git checkout --"),
        ('{"schema": 3, "posts": {}}', "schema 3"),
        ('{"schema": 1}', "no 'posts'"),
        ('{"schema": 1, "posts": {"x": {"state": "mailed"}}}', "unknown state 'mailed'"),
        ('{"schema": 2, "posts": {}, "rehearsals": {"outbox": {"x": {"state": "mailed"}}}}',
         "unknown state 'mailed'"),
        ('{"schema": 2, "posts": {}, "rehearsals": {"outbox": []}}', "broken 'rehearsals'"),
    ],
)
def test_a_damaged_or_newer_ledger_is_refused_with_the_fix(tmp_path, text, message):
    path = tmp_path / "ledger.json"
    path.write_text(text)
    with pytest.raises(LedgerError, match=message):
        read_ledger(path)


def ledger_at(state):
    """A ledger where post 1 went through the steps up to `state` (None: not in it)."""
    data = new_ledger(NOW)
    if state == "baseline":
        return with_baseline(data, [post(1)], NOW)
    steps = ("creating", "created", "content_set", "checked", "testing", "tested",
             "sending", "sent")
    for step in steps[: steps.index(state) + 1] if state else ():
        data = record(data, key=post(1).post_id, state=step, now=NOW, posts=(post(1),))
    return data


@pytest.mark.parametrize(
    "old, new",
    [("sent", "creating"), ("sent", "sent"), ("checked", "created"), ("baseline", "creating"),
     ("sent", "cancelled"), (None, "sent"), (None, "created")],
)
def test_states_only_move_forward(old, new):
    with pytest.raises(LedgerError, match=f"cannot move from {old!r} to {new!r}"):
        record(ledger_at(old), key=post(1).post_id, state=new, now=NOW, posts=(post(1),))


def test_a_half_sent_or_scheduled_campaign_may_be_cancelled():
    data = record(new_ledger(NOW), key=post(1).post_id, state="creating", now=NOW,
                  posts=(post(1),))
    data = record(data, key=post(1).post_id, state="cancelled", now=NOW)
    assert data["posts"][post(1).post_id]["state"] == "cancelled"


def test_the_content_hash_recorded_is_the_one_that_was_sent():
    data = record(new_ledger(NOW), key="k", state="creating", now=NOW, posts=(post(1),))
    edited = PostRecord(**{**vars(post(1)), "content_hash": "sha256:edited"})
    data = record(data, key="k", state="created", now=NOW, posts=(edited,))
    assert data["posts"][post(1).post_id]["content_hash"] == "sha256:1"
    data = record(data, key="k", state="content_set", now=NOW, posts=(edited,),
                  content_hash=True)
    assert data["posts"][post(1).post_id]["content_hash"] == "sha256:edited"


@pytest.mark.parametrize("old, back", [
    ("created", "creating"), ("tested", "created"), ("testing", "checked"),
    ("checked", "checked"), ("content_set", None)])
def test_an_email_goes_back_only_before_it_is_sent(old, back):
    data = ledger_at(old)
    data["posts"][post(1).post_id]["campaign_id"] = "c1"
    moved = rewind(data, key=post(1).post_id, state=back, now=NOW, groups=("Events",))
    entry = moved["posts"].get(post(1).post_id)
    if back is None:
        assert entry is None
        return
    assert entry["state"] == back and entry["groups"] == ["Events"]
    assert ("campaign_id" in entry) == (back != "creating")


@pytest.mark.parametrize("old, back", [
    ("sending", "checked"), ("sent", None), ("scheduled", "created"), ("baseline", None),
    ("created", "checked"), ("checked", "sending")])
def test_nothing_irreversible_is_taken_back(old, back):
    data = ledger_at(old) if old not in ("scheduled",) else record(
        ledger_at("sending"), key=post(1).post_id, state="scheduled", now=NOW)
    if old == "baseline":
        data["posts"][post(1).post_id]["email"] = post(1).post_id
    with pytest.raises(LedgerError, match="cannot take"):
        rewind(data, key=post(1).post_id, state=back, now=NOW)


def test_releasing_a_digest_makes_its_posts_due_again():
    data = record(new_ledger(NOW), key="digest:x", state="creating", now=NOW,
                  posts=(post(1), post(2)), kind="digest")
    assert release(data, key="digest:x", now=NOW)["posts"] == {}
    with pytest.raises(LedgerError, match="no post in the ledger belongs to the email"):
        release(data, key="digest:y", now=NOW)


def test_a_post_sent_elsewhere_is_recorded_with_its_campaign():
    data = record_found(new_ledger(NOW), post=post(2), state="sent", key="digest:x",
                        kind="digest", campaign_id="c9", backend="mailchimp", now=NOW,
                        location="http://eepurl.com/c9")
    entry = data["posts"][post(2).post_id]
    assert (entry["state"], entry["email"], entry["campaign_id"], entry["kind"]) == (
        "sent", "digest:x", "c9", "digest")
    assert entry["reconciled"] == "2026-11-24T12:00:00Z" and entry["slug"] == "post-2"
    with pytest.raises(LedgerError, match="already in the ledger"):
        record_found(data, post=post(2), state="sent", key="k", kind="post", campaign_id="c",
                     backend="mailchimp", now=NOW)
    with pytest.raises(LedgerError, match="only a sent or scheduled post"):
        record_found(new_ledger(NOW), post=post(3), state="created", key="k", kind="post",
                     campaign_id="c", backend="mailchimp", now=NOW)


def test_the_committed_ledger_still_reads():
    """content/newsletter-ledger.json: the site's posts, baselined before the newsletter."""
    data = read_ledger(ROOT / "content" / "newsletter-ledger.json")
    assert data["schema"] == 2
    assert {e["state"] for e in data["posts"].values()} <= {"baseline", "sent"}
    assert record(data, key=post(3).post_id, state="creating", now=NOW,
                  posts=(post(3),))["posts"][post(3).post_id]["state"] == "creating"


# Destinations: what subscribers got, what the outbox rehearsed -------------------------------

SCHEMA_1 = {  # a ledger written before destinations: an outbox send counted as sent
    "schema": 1,
    "started": "2026-11-01T09:00:00Z",
    "posts": {
        post(1).post_id: {"content_hash": "sha256:1", "slug": "post-1", "state": "baseline",
                          "times": {"baseline": "2026-11-01T09:00:00Z"}, "title": "Post 1"},
        post(2).post_id: {"backend": "mailchimp", "campaign_id": "mc2", "content_hash":
                          "sha256:2", "email": post(2).post_id, "groups": ["Articles"],
                          "kind": "post", "slug": "post-2", "state": "sent", "subject": "Post 2",
                          "times": {"sent": "2026-11-10T10:00:00Z"}, "title": "Post 2"},
        post(3).post_id: {"backend": "outbox", "campaign_id": "outbox-3", "content_hash":
                          "sha256:3", "email": post(3).post_id, "groups": ["Articles"],
                          "kind": "post", "location": "outbox/2026-11-20-post-3.eml",
                          "slug": "post-3", "state": "sent", "subject": "Post 3",
                          "times": {"sent": "2026-11-20T10:00:00Z"}, "title": "Post 3"},
        post(4).post_id: {"backend": "outbox", "email": post(4).post_id, "kind": "post",
                          "slug": "post-4", "state": "creating", "title": "Post 4",
                          "times": {"creating": "2026-11-21T10:00:00Z"}},
    },
}


def test_a_schema_1_ledger_is_migrated_on_read_and_written_as_schema_2(tmp_path):
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps(SCHEMA_1))
    data = read_ledger(path)
    assert data["schema"] == 2 and data["started"] == "2026-11-01T09:00:00Z"
    # the baseline and the Mailchimp send keep their meaning; the outbox's become rehearsals
    assert data["posts"] == {k: SCHEMA_1["posts"][k] for k in (post(1).post_id, post(2).post_id)}
    outbox = data["rehearsals"]["outbox"]
    assert sorted(outbox) == [post(3).post_id, post(4).post_id]
    assert outbox[post(3).post_id] == {**SCHEMA_1["posts"][post(3).post_id],
                                       "destination": "outbox"}
    write_ledger(path, data)
    assert json.loads(path.read_text())["schema"] == 2
    assert read_ledger(path) == data


def test_an_outbox_send_never_counts_as_sent_to_the_list():
    """After migration: for the list, post 3 (rehearsed) is due, post 1 (baseline) and
    post 2 (sent to Mailchimp) are not; for the outbox, post 3 is rehearsed, not again."""
    data = parse_ledger(json.dumps(SCHEMA_1))
    posts = [post(n) for n in (1, 2, 3, 4, 5)]
    to_list = decide(posts, view(data, LIST), now=NOW)
    assert {r.post.slug: r.state for r in to_list.rows} == {
        "post-1": "skipped", "post-2": "sent", "post-3": "due", "post-4": "due", "post-5": "due"}
    assert "published before the newsletter" in to_list.rows[0].reason
    to_outbox = decide(posts, view(data, "outbox"), now=NOW)
    rows = {r.post.slug: r for r in to_outbox.rows}
    assert {slug: row.state for slug, row in rows.items()} == {
        "post-1": "skipped", "post-2": "sent", "post-3": "rehearsed", "post-4": "in progress",
        "post-5": "due"}
    assert rows["post-3"].reason == ("in the outbox 2026-11-20 10:00 UTC "
                                     "(outbox/2026-11-20-post-3.eml): not sent to subscribers")
    assert [e.key for e in to_outbox.emails] == [post(4).post_id, post(5).post_id]
    assert to_outbox.emails[0].resume_from == "creating"  # the outbox's own, resumed there
    assert has_sent_to(data, LIST) and has_sent_to(data, "mailchimp:another-list")
    assert has_sent_to(data, "outbox")
    fresh = parse_ledger(json.dumps({**SCHEMA_1, "posts": {
        k: v for k, v in SCHEMA_1["posts"].items() if v.get("backend") != "mailchimp"}}))
    assert not has_sent_to(fresh, LIST) and has_sent_to(fresh, "outbox")


def test_a_rehearsal_is_written_apart_and_leaves_what_subscribers_got_alone(tmp_path):
    path = tmp_path / "ledger.json"
    data = with_baseline(new_ledger(NOW), [post(1)], NOW)
    write_ledger(path, data)
    before = subscriber_records(read_ledger(path))
    rehearsal = LedgerFile(path, read_ledger(path), "outbox")
    rehearsal.record(key=post(2).post_id, state="creating", now=NOW, posts=(post(2),),
                     backend="outbox", destination="outbox", kind="post")
    written = read_ledger(path)
    assert subscriber_records(written) == before
    assert written["rehearsals"]["outbox"][post(2).post_id]["state"] == "creating"
    assert rehearsal.data["posts"][post(1).post_id]["state"] == "baseline"  # for every one
    rehearsal.release(key=post(2).post_id, now=NOW)
    assert read_ledger(path)["rehearsals"] == {}
    with pytest.raises(LedgerError, match="baseline"):
        rehearsal.record(key=post(1).post_id, state="creating", now=NOW, posts=(post(1),))
    real = LedgerFile(path, read_ledger(path), LIST)
    real.record(key=post(2).post_id, state="creating", now=NOW, posts=(post(2),),
                backend="mailchimp", destination=LIST, kind="post")
    assert read_ledger(path)["posts"][post(2).post_id]["destination"] == LIST
    assert subscriber_records(read_ledger(path)) != before


def test_a_rehearsal_cannot_change_a_real_send():
    data = sent_ledger()
    seen = view(data, "outbox")
    seen["posts"][post(1).post_id]["state"] = "cancelled"
    with pytest.raises(LedgerError, match="cannot change what was sent to subscribers"):
        LedgerFile("unused.json", data, "outbox")._change(seen)


def test_the_emails_sent_to_subscribers_and_the_rehearsals_are_listed():
    """The read API of reports and the archive of sent issues."""
    data = parse_ledger(json.dumps(SCHEMA_1))
    digest = "digest:urn:uuid:00000000-0000-4000-8000-00000000d1g5"
    for n in (5, 6):
        data = record_found(data, post=post(n), state="sent", key=digest, kind="digest",
                            campaign_id="mc56", backend="mailchimp", destination=LIST,
                            now=datetime(2026, 11, 23, tzinfo=UTC),
                            location="https://mailchi.mp/x")
    data = record_found(data, post=post(7), state="scheduled", key=post(7).post_id,
                        kind="post", campaign_id="mc7", backend="mailchimp",
                        destination=LIST, now=NOW)
    [old, pair] = sent_to_subscribers(data)
    assert (old.key, old.kind, old.destination, old.campaign_id, old.subject, old.groups) == (
        post(2).post_id, "post", "mailchimp", "mc2", "Post 2", ("Articles",))
    assert old.sent_at == datetime(2026, 11, 10, 10, tzinfo=UTC) and not old.rehearsal
    assert (pair.key, pair.kind, pair.campaign_id, pair.location) == (
        digest, "digest", "mc56", "https://mailchi.mp/x")
    assert [slug for _, slug, _ in pair.posts] == ["post-5", "post-6"]
    assert pair.subject == "Post 5"  # no subject recorded: the first post's title
    assert [e.state for e in sent_to_subscribers(data, scheduled=True)] == [
        "sent", "sent", "scheduled"]
    [outbox] = rehearsed(data)
    assert (outbox.key, outbox.destination, outbox.location, outbox.rehearsal) == (
        post(3).post_id, "outbox", "outbox/2026-11-20-post-3.eml", True)
    assert sent_to_subscribers(None) == () == rehearsed(None)


def test_the_lock_stops_a_second_run_with_a_clear_message(tmp_path):
    path = tmp_path / "ledger.json"
    with ledger_lock(path) as lock_file:
        assert f"pid {os.getpid()}" in lock_file.read_text()
        with pytest.raises(LedgerLocked) as caught:
            with ledger_lock(path):
                pass
        message = str(caught.value)
        assert "another newsletter run" in message and f"pid {os.getpid()}" in message
        assert "nothing was sent" in message
    assert not lock_file.exists()
    with ledger_lock(path):
        pass


def test_a_run_killed_while_holding_the_lock_does_not_block_the_next(tmp_path):
    path = tmp_path / "ledger.json"
    script = (
        "import os, signal, sys\n"
        "from possibility.core.newsletter.ledger import ledger_lock\n"
        f"with ledger_lock({str(path)!r}):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], check=False)
    assert run.returncode == -signal.SIGKILL
    assert (tmp_path / "ledger.json.lock").exists()
    with ledger_lock(path):
        pass
