"""What the publish tests share: a git runner and the new post they publish."""

import subprocess

NEW_POST = """Title: Curiosity Before Strategy
Date: 2024-05-01 09:00
Category: Executive Coaching
Slug: curiosity-before-strategy
Post-Id: 9d0c8f52-1111-4c8e-9b8a-000000000001
Summary: Why the best plans start with a question.

The first question matters more than the first answer.
"""


def git(cwd, *args):
    """Run git in `cwd`; its output, stripped (a failure fails the test)."""
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()
