"""Deploy to GitHub Pages: ghp-import commits output/ to a branch, which is pushed to a remote.

The branch is first brought up to date with the remote's (fetched into a private ref,
so a fresh CI checkout or another machine's earlier publish is the base, and the push
is a fast-forward). The site's tree is compared with the branch's by git blob ids:
nothing is committed or pushed when nothing changed, and the report lists exactly the
files that did. After ghp-import, the branch's tree is checked against the site, as
ghp-import only prints a line when git fast-import fails.
"""

import hashlib
import subprocess
import sys
from pathlib import Path

from possibility.commands.publish.gitcmd import GitError, git, is_checkout

from .result import DeployError, DeployResult


def blob_id(data):
    """git's object id of a file with content `data` (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def site_tree(output, settings):
    """{path: blob id} of the branch ghp-import makes from `output`."""
    output = Path(output)
    tree = {
        p.relative_to(output).as_posix(): blob_id(p.read_bytes())
        for p in output.rglob("*")
        if p.is_file()
    }
    if settings.nojekyll:
        tree[".nojekyll"] = blob_id(b"")
    if settings.cname:
        tree["CNAME"] = blob_id(settings.cname.encode("utf-8"))
    return tree


def tree_changes(old, new):
    """(paths added or changed, paths deleted) from `old` to `new` ({path: blob id})."""
    changed = sorted(path for path, blob in new.items() if old.get(path) != blob)
    deleted = sorted(path for path in old if path not in new)
    return changed, deleted


def deploy_ghpages(output, settings, dry_run, progress):
    repo = settings.repo
    if not is_checkout(repo):
        raise DeployError(
            f"DEPLOY_GHPAGES_REPO {repo} is not a git checkout: ghp-import needs one."
        )
    branch_ref = f"refs/heads/{settings.branch}"
    if git(repo, "symbolic-ref", "-q", "HEAD", check=False) == branch_ref:
        raise DeployError(
            f"{repo} has {settings.branch} checked out: switch to another branch first, "
            "as ghp-import rewrites it."
        )
    try:
        with progress(f"Fetching {settings.branch} from {settings.remote}"):
            base = _fetch_remote_branch(repo, settings)
        old = _tree(repo, base) if base else {}
    except GitError as exc:
        raise DeployError(f"cannot read {settings.where}: {exc}") from None
    new = site_tree(output, settings)
    changed, deleted = tree_changes(old, new)
    result = DeployResult(
        where=settings.where,
        uploaded=tuple(changed),
        deleted=tuple(deleted),
        unchanged=len(new) - len(changed),
        dry_run=dry_run,
    )
    if dry_run or (base and not changed and not deleted):
        return result
    with progress(f"ghp-import to {settings.where}"):
        try:
            if base:
                git(repo, "update-ref", branch_ref, base)
            _ghp_import(output, settings)
            committed = _tree(repo, branch_ref)
        except GitError as exc:
            raise DeployError(f"ghp-import to {settings.where} failed: {exc}") from None
    if committed != new:
        raise DeployError(
            f"ghp-import did not write the site to {settings.branch} (git fast-import "
            f"failed?); {settings.remote} was left as it was. Run ghp-import by hand to see why."
        )
    return result


def _fetch_remote_branch(repo, settings):
    """The remote's branch, fetched; None when the remote has none yet.

    A named remote's branch goes where ghp-import looks for it (refs/remotes/NAME/), a
    URL's into refs/publish/.
    """
    heads = git(repo, "ls-remote", "--heads", settings.remote, settings.branch)
    if not heads:
        return None
    named = settings.remote in git(repo, "remote").split()
    ref = (
        f"refs/remotes/{settings.remote}/{settings.branch}"
        if named else f"refs/publish/{settings.branch}"
    )
    git(repo, "fetch", "--quiet", "--no-tags", settings.remote,
        f"+refs/heads/{settings.branch}:{ref}")
    return ref


def _tree(repo, ref):
    listing = git(repo, "ls-tree", "-r", "-z", "--full-tree", ref)
    tree = {}
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        tree[path] = meta.split()[2]
    return tree


def _ghp_import(output, settings):
    command = [
        sys.executable, "-m", "ghp_import",
        "--branch", settings.branch,
        "--remote", settings.remote,
        "--message", settings.message,
        "--push",
    ]
    if settings.nojekyll:
        command.append("--no-jekyll")
    if settings.cname:
        command += ["--cname", settings.cname]
    done = subprocess.run(
        command + [str(output)], cwd=settings.repo, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        detail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-5:]
        raise GitError("\n".join(detail) or f"exit code {done.returncode}")
