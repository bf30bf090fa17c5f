"""Commit the newsletter ledger after a send, so the next run anywhere knows what went out.

Only the ledger and the web copies of the emails sent (`newsletter-archive/` beside it,
which the site's archive of past issues is built from) are committed; other changes in
the checkout stay as they are. The message names the posts. A ledger left uncommitted by
an earlier run (its commit failed, or --no-commit) is committed by the next one, even when
it sends nothing.

Only what subscribers got is committed. Rehearsals (the local outbox, which reaches no
subscriber) are kept in their own file beside the ledger, which git ignores, so they never
touch the committed ledger; a ledger whose only change is its migration to a newer schema
stays as it is in the checkout, and the next real send commits it whole.
"""

from pathlib import Path

from possibility.core.newsletter.archive import copies_folder
from possibility.core.newsletter.ledger import (
    LedgerError,
    parse_ledger,
    rehearsals_path,
    subscriber_records,
)

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
    """Commit `ledger_path`, and the web copies beside it, in the checkout at `project`;
    what was done, in words."""
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
    paths = [relative]
    copies = copies_folder(ledger)
    if copies.is_dir():
        paths.append(str(copies.resolve().relative_to(top.resolve())))
    changed = git(top, "status", "--porcelain", "--untracked-files=all", "--", *paths)
    if not changed:
        kept = rehearsals_path(ledger)
        apart = (f"; the outbox's rehearsals are kept apart in {rehearsals_path(relative)}, "
                 "never committed") if kept.is_file() else ""
        return f"{relative} unchanged: nothing to commit{apart}"
    paths = [path for path in paths if path == relative or any(
        line[3:].startswith(path) for line in changed.splitlines())]
    if paths == [relative] and not _for_subscribers(top, relative, ledger):
        return (f"{relative} not committed: nothing that subscribers got changed in it (its "
                "schema was brought up to date)")
    message = commit_message(titles)
    try:
        git(top, "add", "--", *paths)
        git(top, "commit", "--quiet", "-m", message, "--", *paths)
    except GitError as exc:
        raise GitError(
            f"{exc}\nThe ledger records what was sent, so nothing will be sent twice; fix "
            f"git and commit {' and '.join(paths)} (the next publish commits them too)."
        ) from None
    sha = git(top, "rev-parse", "--short", "HEAD")
    also = f" (with {paths[1]})" if len(paths) > 1 else ""
    return f"committed {relative} as {sha}{also}: {message.splitlines()[0]}"


def _for_subscribers(top, relative, ledger):
    """Whether the ledger says something new about what subscribers got (a real send, a
    baseline) compared with the last commit; when in doubt, yes."""
    committed = git(top, "show", f"HEAD:{relative}", check=False)
    if committed is None:
        return True
    try:
        before = subscriber_records(parse_ledger(committed))
        now = subscriber_records(parse_ledger(ledger.read_text(encoding="utf-8")))
    except (LedgerError, OSError):
        return True
    return before != now
