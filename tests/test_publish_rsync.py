"""Deploy with rsync (possibility.commands.publish.deploy.rsync): to a folder, and over SSH to a
real sshd.

The sshd is OpenSSH's own, started by the test on 127.0.0.1 on a free port, with a host
key and a client key generated in a temporary folder. It runs as root with `-D -e` (no
daemon, log to stderr), `UsePAM no` and `StrictModes no` (the keys live in /tmp), and
needs its privilege-separation folder /run/sshd, which the test creates when missing
(the openssh-server package creates it at boot through systemd, which is not running
here). Readiness is sshd's own "Server listening" line, then its banner on the
port: never a sleep.
"""

import os
import shutil
import socket
import subprocess
import threading

import pytest

from possibility.commands.publish.deploy import DeployError
from possibility.commands.publish.deploy.rsync import (
    deploy_rsync,
    parse_output,
    rsync_command,
    ssh_command,
)
from possibility.commands.publish.progress import no_progress
from possibility.commands.publish.settings import RsyncSettings

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
SITE = {
    "index.html": "<h1>Home</h1>",
    "a-post/index.html": "<h1>A post</h1>",
    "theme/css/site.css": "body{}",
    "images/photo.jpg": "jpeg",
}


def make_site(folder, files):
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return folder


def tree(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SshdLog:
    """Reads sshd's log as it comes; `ready` is set when it says it is listening."""

    def __init__(self, process):
        self.lines = []
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._read, args=(process.stderr,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line)
            if "Server listening on 127.0.0.1" in line:
                self.ready.set()
        self.ready.set()


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "client_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)],
            check=True,
        )
    shutil.copy(folder / "client_key.pub", folder / "authorized_keys")
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host_key'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPidFile none\nUsePAM no\n"
        "StrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nLogLevel INFO\n"
    )
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    process = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE, text=True
    )
    log = SshdLog(process)
    try:
        assert log.ready.wait(timeout=15) and process.poll() is None, "".join(log.lines)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            assert connection.recv(64).startswith(b"SSH-2.0-")
        yield port, folder / "client_key"
    finally:
        process.terminate()
        process.wait(timeout=10)


def ssh_settings(port, key, path):
    return RsyncSettings(
        path=str(path), host="127.0.0.1", user="root", port=port, key=key,
        ssh_options=("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                     "-o", "LogLevel=ERROR"),
    )


def test_command_is_pelicans_checksum_delete_over_ssh_on_the_port(tmp_path):
    settings = RsyncSettings(path="/var/www/site", host="example.org", user="karen", port=2222,
                             key=tmp_path / "id_ed25519")
    command = rsync_command(tmp_path / "output", settings, dry_run=False)
    assert command[:5] == ["rsync", "-avc", "--delete", "--itemize-changes", "--stats"]
    assert command[-2:] == [f"{tmp_path}/output/", "karen@example.org:/var/www/site/"]
    assert command[command.index("-e") + 1] == ssh_command(settings)
    assert ssh_command(settings).startswith("ssh -p 2222 -o BatchMode=yes -i ")
    assert "--dry-run" in rsync_command(tmp_path, settings, dry_run=True)
    local = rsync_command(tmp_path, RsyncSettings(path="/srv/site"), dry_run=False)
    assert "-e" not in local and local[-1] == "/srv/site/"


def test_parse_output_counts_sent_and_deleted_files():
    output = "\n".join([
        "sending incremental file list",
        "*deleting   old/index.html",
        "*deleting   old/",
        ".d..t...... ./",
        "<f.st...... index.html",
        ">f+++++++++ new post/index.html",
        "cd+++++++++ new post/",
        ".f..t...... unchanged.html",
        "",
        "Number of files: 1,204 (reg: 1,100, dir: 104)",
        "Number of deleted files: 2 (reg: 1, dir: 1)",
    ])
    sent, deleted, total = parse_output(output)
    assert sent == ["index.html", "new post/index.html"]
    assert deleted == ["old/index.html"]
    assert total == 1100


def test_rsync_to_a_folder_sends_only_changes_and_deletes(tmp_path):
    site = make_site(tmp_path / "output", SITE)
    target = tmp_path / "www"
    settings = RsyncSettings(path=str(target))
    first = deploy_rsync(site, settings, dry_run=False, progress=no_progress)
    assert sorted(first.uploaded) == sorted(SITE)
    assert tree(target) == SITE

    (site / "a-post/index.html").write_text("<h1>A post, corrected</h1>")
    (site / "images/photo.jpg").unlink()
    (site / "index.html").write_text("<h1>Home</h1>")  # rebuilt, same content
    second = deploy_rsync(site, settings, dry_run=False, progress=no_progress)
    assert second.uploaded == ("a-post/index.html",)
    assert second.deleted == ("images/photo.jpg",)
    assert second.unchanged == 2
    assert tree(target) == tree(site)


def test_rsync_dry_run_says_what_it_would_do_and_changes_nothing(tmp_path):
    site = make_site(tmp_path / "output", SITE)
    target = make_site(tmp_path / "www", {"old.html": "old"})
    result = deploy_rsync(site, RsyncSettings(path=str(target)), dry_run=True,
                          progress=no_progress)
    assert result.dry_run
    assert sorted(result.uploaded) == sorted(SITE)
    assert result.deleted == ("old.html",)
    assert tree(target) == {"old.html": "old"}


def test_rsync_over_ssh_to_a_local_sshd(tmp_path, sshd):
    port, key = sshd
    site = make_site(tmp_path / "output", SITE)
    target = tmp_path / "remote" / "www"
    target.parent.mkdir()
    settings = ssh_settings(port, key, target)
    first = deploy_rsync(site, settings, dry_run=False, progress=no_progress)
    assert sorted(first.uploaded) == sorted(SITE)
    assert tree(target) == SITE
    assert f"root@127.0.0.1:{target}/ (ssh port {port})" == first.where

    (site / "index.html").write_text("<h1>Home, new</h1>")
    (site / "theme/css/site.css").unlink()
    second = deploy_rsync(site, settings, dry_run=False, progress=no_progress)
    assert (second.uploaded, second.deleted) == (("index.html",), ("theme/css/site.css",))
    assert tree(target) == tree(site)


def test_ssh_failure_is_a_clear_error_without_the_key(tmp_path, sshd):
    port, key = sshd
    wrong = tmp_path / "wrong_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(wrong)], check=True)
    site = make_site(tmp_path / "output", SITE)
    with pytest.raises(DeployError) as failure:
        deploy_rsync(site, ssh_settings(port, wrong, tmp_path / "www"), dry_run=False,
                     progress=no_progress)
    message = str(failure.value)
    assert "rsync to root@127.0.0.1" in message and "Permission denied" in message
    secret_part = wrong.read_text().splitlines()[1]
    assert secret_part not in message
    assert not (tmp_path / "www").exists()
