"""Commit the newsletter ledger after a send, so the next run anywhere knows what went out.

Only the ledger is committed (other changes in the checkout stay as they are), with a
message naming the posts. A ledger left uncommitted by an earlier run (its commit
failed, or --no-commit) is committed by the next one, even when it sends nothing.
"""

from pathlib import Path

from .gitcmd import GitError, git, is_checkout

MAX_TITLES_IN_SUBJECT = 3


def commit_message(titles):
    """'Newsletter: sent "A" and "B"', the titles listed again in the body when many."""
    if not titles:
        return "Newsletter: update the ledger"
    quoted = [f'"{t}"' for t in titles]
    if len(quoted) <= MAX_TITLES_IN_SUBJECT:
        names = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
        return f"Newsletter: sent {names}"
    body = "\n".join(f"- {t}" for t in titles)
    return f"Newsletter: sent {len(titles)} posts\n\n{body}"


def commit_ledger(project, ledger_path, titles):
    """Commit `ledger_path` in the checkout at `project`; what was done, in words."""
    project, ledger = Path(project), Path(ledger_path)
    if not is_checkout(project):
        return f"{ledger} not committed: {project} is not a git checkout"
    top = Path(git(project, "rev-parse", "--show-toplevel"))
    try:
        relative = str(ledger.resolve().relative_to(top.resolve()))
    except ValueError:
        return f"{ledger} not committed: it is outside the checkout {top}"
    if not ledger.is_file():
        return f"no ledger yet ({relative}): nothing to commit"
    if not git(top, "status", "--porcelain", "--", relative):
        return f"{relative} unchanged: nothing to commit"
    message = commit_message(titles)
    try:
        git(top, "add", "--", relative)
        git(top, "commit", "--quiet", "-m", message, "--", relative)
    except GitError as exc:
        raise GitError(
            f"{exc}\nThe ledger records what was sent, so nothing will be sent twice; fix "
            f"git and commit {relative} (the next publish commits it too)."
        ) from None
    sha = git(top, "rev-parse", "--short", "HEAD")
    return f"committed {relative} as {sha}: {message.splitlines()[0]}"
