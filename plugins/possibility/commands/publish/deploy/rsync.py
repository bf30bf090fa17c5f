"""Deploy with rsync: over SSH as Pelican's quickstart does, or to a folder on this machine.

Checksum mode (`-c`) sends only files whose content changed, whatever their dates (every
build rewrites every file), and `--delete` removes files gone from the site. rsync's
`--itemize-changes` lines say which files it sent and deleted; `--dry-run` lists the
same without changing anything. ssh runs in batch mode: cron and CI cannot type a
password, so a missing key fails at once instead of waiting for one.
"""

import re
import shlex
import subprocess
import tempfile
from pathlib import Path

from .result import DeployError, DeployResult

ITEM = re.compile(r"^(?P<change>[<>ch.][fdLDS][^ ]{9}) (?P<path>.+)$")
DELETED = re.compile(r"^\*deleting +(?P<path>.+)$")
REGULAR_FILES = re.compile(r"^Number of files: [\d,]+ \(reg: (?P<count>[\d,]+)")


def ssh_command(settings):
    """The `-e` value: ssh on the configured port, with the key and the options given."""
    command = ["ssh", "-p", str(settings.port), "-o", "BatchMode=yes"]
    if settings.key is not None:
        command += ["-i", str(settings.key), "-o", "IdentitiesOnly=yes"]
    return shlex.join(command + list(settings.ssh_options))


def rsync_command(source, settings, dry_run):
    command = ["rsync", "-avc", "--delete", "--itemize-changes", "--stats"]
    if dry_run:
        command.append("--dry-run")
    if not settings.is_local:
        command += ["-e", ssh_command(settings)]
    return command + [str(source).rstrip("/") + "/", settings.destination]


def parse_output(text):
    """(files sent, files deleted, regular files in the site) from rsync's output."""
    sent, deleted, total = [], [], None
    for line in text.splitlines():
        item = ITEM.match(line)
        if item and item["change"][0] in "<>" and item["change"][1] == "f":
            sent.append(item["path"])
            continue
        gone = DELETED.match(line)
        if gone and not gone["path"].endswith("/"):
            deleted.append(gone["path"])
            continue
        files = REGULAR_FILES.match(line)
        if files:
            total = int(files["count"].replace(",", ""))
    return sent, deleted, total


def deploy_rsync(output, settings, dry_run, progress):
    output = Path(output)
    command = rsync_command(output, settings, dry_run)
    if settings.is_local and not dry_run:
        try:
            Path(settings.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DeployError(f"cannot create {settings.path}: {exc.strerror}") from None
    lines = []
    with progress(f"rsync to {settings.where}") as advance, tempfile.TemporaryFile("w+") as err:
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True)
        except FileNotFoundError:
            raise DeployError("rsync is not installed: apt-get install rsync") from None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if ITEM.match(line):
                advance()
        process.wait()
        err.seek(0)
        errors = err.read()
    if process.returncode != 0:
        detail = "\n".join(errors.strip().splitlines()[-5:]) or f"exit code {process.returncode}"
        raise DeployError(f"rsync to {settings.where} failed:\n{detail}")
    sent, deleted, total = parse_output("\n".join(lines))
    if total is None:
        total = sum(1 for p in output.rglob("*") if p.is_file())
    return DeployResult(
        where=settings.where,
        uploaded=tuple(sent),
        deleted=tuple(deleted),
        unchanged=max(total - len(sent), 0),
        dry_run=dry_run,
    )
