"""Run git in a given checkout and fail with git's own words (for ghp-import and the ledger)."""

import subprocess
from pathlib import Path

from possibility.common import PossibilityError


class GitError(PossibilityError):
    """A git command failed; the message has the command and git's explanation."""


def git(cwd, *args, check=True):
    """git's stdout (stripped of the final newline); GitError when it fails and `check`."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed: apt-get install git") from None
    if check and done.returncode != 0:
        detail = done.stderr.strip() or done.stdout.strip() or f"exit code {done.returncode}"
        raise GitError(f"git {args[0]} failed in {cwd}: {detail}")
    return done.stdout.rstrip("\n") if done.returncode == 0 else None


def is_checkout(folder):
    return Path(folder).is_dir() and git(
        folder, "rev-parse", "--is-inside-work-tree", check=False
    ) == "true"
