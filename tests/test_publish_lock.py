"""The publish lock (possibility.commands.publish.lock): two publishes at once, the second is
refused."""

import subprocess
import sys
from pathlib import Path

import pytest

from possibility.commands.publish.lock import PublishLocked, publish_lock

ROOT = Path(__file__).resolve().parent.parent


def test_a_second_publish_is_refused_while_the_first_holds_the_lock(tmp_path):
    path = tmp_path / ".cache" / "publish.lock"
    with publish_lock(path):
        with pytest.raises(PublishLocked) as refused:
            with publish_lock(path):
                pass
    message = str(refused.value)
    assert "another publish is running" in message
    assert "pid" in message and str(path) in message
    with publish_lock(path):
        pass


def test_the_lock_holds_across_processes_and_dies_with_its_holder(tmp_path):
    path = tmp_path / "publish.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\n"
         "from possibility.commands.publish.lock import publish_lock\n"
         f"with publish_lock({str(path)!r}):\n"
         "    print('locked', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(PublishLocked, match=f"pid {holder.pid}"):
            with publish_lock(path):
                pass
    finally:
        holder.kill()
        holder.wait()
    with publish_lock(path):
        pass
