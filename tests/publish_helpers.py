"""What the tests of the real tasks share: a copy of the project, a git runner, a new post."""

import shutil
import subprocess
from pathlib import Path

from conftest import ROOT

# What a clone of the project has that its `invoke` tasks use; tests, bench and CI stay behind.
PROJECT_FILES = ("tasks.py", "pelicanconf.py", "publishconf.py", "requirements.txt", ".gitignore")
PROJECT_FOLDERS = ("content", "plugins", "theme")
# What git ignores in those folders (.gitignore): a clone has none of it.
NOT_COMMITTED = ("__pycache__", "*.egg-info", "*.json.rehearsals", "*.lock")

NEW_POST = """Title: Curiosity Before Strategy
Date: 2024-05-01 09:00
Category: Executive Coaching
Slug: curiosity-before-strategy
Post-Id: 9d0c8f52-1111-4c8e-9b8a-000000000001
Summary: Why the best plans start with a question.

The first question matters more than the first answer.
"""


LATER_POST = """Title: Written For Later
Date: 2999-01-01 10:00
Slug: written-for-later
Post-Id: 5c1e7a44-3c2f-4d1e-8f6a-5e8c1b2d9f98
Summary: Scheduled.

Out one day.
"""


def git(cwd, *args):
    """Run git in `cwd`; its output, stripped (a failure fails the test)."""
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def copy_project(destination, *, keep_ledger=False, git_init=False):
    """Copy the project, as a clone has it, into `destination` (a new folder); `destination`.

    One copy for every test that runs the real tasks in a project of its own, so that what a
    clone holds is said in one place. It reads the project folder alone, nothing beside it
    (tests/outside_reads.py). Without `keep_ledger` the committed newsletter ledger stays
    behind: a fresh site, every post new. `git_init` makes the copy a git checkout with an
    author and nothing committed yet: the test commits what it needs (a baseline, say).
    """
    destination = Path(destination)
    destination.mkdir()
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, destination / name)
    ignored = NOT_COMMITTED if keep_ledger else (*NOT_COMMITTED, "newsletter-ledger.json*")
    for name in PROJECT_FOLDERS:
        shutil.copytree(ROOT / name, destination / name,
                        ignore=shutil.ignore_patterns(*ignored))
    if git_init:
        git_checkout(destination)
    return destination


def git_checkout(folder, author="Publish Test", email="publish@example.org"):
    """Make `folder` a git repository with an author and nothing committed; `folder`."""
    git(folder, "init", "--quiet", "--initial-branch=main")
    git(folder, "config", "user.name", author)
    git(folder, "config", "user.email", email)
    return folder


def started_checkout(folder):
    """A git checkout at `folder` whose one commit holds a README: a repository's start."""
    folder.mkdir(parents=True, exist_ok=True)
    git_checkout(folder)
    (folder / "README.md").write_text("site\n")
    git(folder, "add", "README.md")
    git(folder, "commit", "--quiet", "-m", "start")
    return folder
