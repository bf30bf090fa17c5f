"""The ledger file: format, atomic writes, schema, forward-only states and the lock."""

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from possibility.common import file_mode
from possibility.core.newsletter import ledger as ledger_module
from possibility.core.newsletter.ledger import (
    LedgerError,
    LedgerLocked,
    dumps,
    ledger_lock,
    new_ledger,
    read_ledger,
    record,
    with_baseline,
    write_ledger,
)
from possibility.core.newsletter.model import PostRecord

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def post(n):
    return PostRecord(
        post_id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}", slug=f"post-{n}",
        title=f"Post {n}", url=f"https://example.org/post-{n}/", date=NOW, status="published",
        newsletter=True, groups=("Articles",), content_hash=f"sha256:{n}", has_email=True,
    )


def sent_ledger():
    data = new_ledger(NOW)
    key = post(1).post_id
    data = record(data, key=key, state="creating", now=NOW, posts=(post(1),),
                  backend="outbox", kind="post", groups=("Articles",), subject="Post 1")
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
    assert data["schema"] == 1 and data["started"] == "2026-11-24T12:00:00Z"
    entry = data["posts"][post(1).post_id]
    assert {k: entry[k] for k in ("slug", "title", "content_hash", "groups", "backend",
                                  "campaign_id", "state", "email", "kind")} == {
        "slug": "post-1", "title": "Post 1", "content_hash": "sha256:1",
        "groups": ["Articles"], "backend": "outbox", "campaign_id": "c1", "state": "sent",
        "email": post(1).post_id, "kind": "post"}
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
        ('{"schema": 2, "posts": {}}', "schema 2"),
        ('{"schema": 1}', "no 'posts'"),
        ('{"schema": 1, "posts": {"x": {"state": "mailed"}}}', "unknown state 'mailed'"),
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
    steps = ("creating", "created", "content_set", "checked", "sending", "sent")
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
