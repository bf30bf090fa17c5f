"""Deploy to GitHub Pages (possibility.commands.publish.deploy.ghpages): real ghp-import, real git.

The "remote" is a bare repository in a temporary folder; the site's checkout is another.
"""

import pytest
from publish_helpers import git, started_checkout

from possibility.commands.publish.deploy import DeployError
from possibility.commands.publish.deploy.ghpages import blob_id, deploy_ghpages, tree_changes
from possibility.commands.publish.progress import no_progress
from possibility.commands.publish.settings import GhPagesSettings

SITE = {
    "index.html": "<h1>Home</h1>",
    "a-post/index.html": "<h1>A post</h1>",
    "theme/css/site.css": "body{}",
}


def make_site(folder, files):
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return folder


def new_checkout(folder, remote):
    folder.mkdir()
    started_checkout(folder)
    git(folder, "remote", "add", "origin", str(remote))
    return folder


@pytest.fixture
def remote(tmp_path):
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(bare))
    return bare


def branch_tree(bare, branch="gh-pages"):
    """{path: content} of the branch in the bare repository."""
    paths = git(bare, "ls-tree", "-r", "--name-only", branch).splitlines()
    return {p: git(bare, "show", f"{branch}:{p}") for p in paths}


def site_files(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_blob_ids_and_tree_changes_are_gits():
    assert blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
    assert tree_changes({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"}) == (["b", "c"], [])
    assert tree_changes({"a": "1", "gone": "2"}, {"a": "1"}) == ([], ["gone"])


def test_branch_tree_equals_the_output_and_only_changes_are_pushed(tmp_path, remote):
    checkout = new_checkout(tmp_path / "site", remote)
    output = make_site(tmp_path / "output", SITE)
    settings = GhPagesSettings(repo=checkout, nojekyll=False)

    first = deploy_ghpages(output, settings, dry_run=False, progress=no_progress)
    assert sorted(first.uploaded) == sorted(SITE)
    assert branch_tree(remote) == site_files(output)
    assert git(checkout, "rev-parse", "HEAD") == git(checkout, "rev-parse", "main")

    (output / "a-post/index.html").write_text("<h1>A post, corrected</h1>")
    (output / "theme/css/site.css").unlink()
    second = deploy_ghpages(output, settings, dry_run=False, progress=no_progress)
    assert (second.uploaded, second.deleted) == (("a-post/index.html",), ("theme/css/site.css",))
    assert branch_tree(remote) == site_files(output)
    assert git(remote, "rev-list", "--count", "gh-pages") == "2"

    head = git(remote, "rev-parse", "gh-pages")
    third = deploy_ghpages(output, settings, dry_run=False, progress=no_progress)
    assert (third.uploaded, third.deleted, third.unchanged) == ((), (), 2)
    assert git(remote, "rev-parse", "gh-pages") == head


def test_nojekyll_and_cname_are_added(tmp_path, remote):
    checkout = new_checkout(tmp_path / "site", remote)
    output = make_site(tmp_path / "output", SITE)
    settings = GhPagesSettings(repo=checkout, cname="www.example.org")
    deploy_ghpages(output, settings, dry_run=False, progress=no_progress)
    assert branch_tree(remote) == {
        **site_files(output), ".nojekyll": "", "CNAME": "www.example.org"
    }


def test_a_fresh_checkout_builds_on_what_another_machine_published(tmp_path, remote):
    output = make_site(tmp_path / "output", SITE)
    laptop = new_checkout(tmp_path / "laptop", remote)
    deploy_ghpages(output, GhPagesSettings(repo=laptop, nojekyll=False), False, no_progress)

    ci = new_checkout(tmp_path / "ci", remote)  # no gh-pages branch, nothing fetched
    make_site(output, {"new-post/index.html": "<h1>New</h1>"})
    result = deploy_ghpages(output, GhPagesSettings(repo=ci, nojekyll=False), False, no_progress)
    assert result.uploaded == ("new-post/index.html",)
    assert branch_tree(remote) == site_files(output)
    assert git(remote, "rev-list", "--count", "gh-pages") == "2"


def test_remote_given_as_a_path(tmp_path, remote):
    checkout = new_checkout(tmp_path / "site", tmp_path / "unused.git")
    output = make_site(tmp_path / "output", SITE)
    settings = GhPagesSettings(repo=checkout, remote=str(remote), branch="pages",
                               nojekyll=False)
    deploy_ghpages(output, settings, dry_run=False, progress=no_progress)
    make_site(output, {"index.html": "<h1>Home, new</h1>"})
    result = deploy_ghpages(output, settings, dry_run=False, progress=no_progress)
    assert result.uploaded == ("index.html",)
    assert branch_tree(remote, "pages") == site_files(output)


def test_dry_run_lists_changes_and_pushes_nothing(tmp_path, remote):
    checkout = new_checkout(tmp_path / "site", remote)
    output = make_site(tmp_path / "output", SITE)
    result = deploy_ghpages(output, GhPagesSettings(repo=checkout), True, no_progress)
    assert result.dry_run
    assert sorted(result.uploaded) == sorted([*SITE, ".nojekyll"])
    assert git(remote, "branch", "--list") == ""
    assert git(checkout, "branch", "--list", "gh-pages") == ""


def test_not_a_checkout_and_rejected_push_are_clear_errors(tmp_path, remote):
    output = make_site(tmp_path / "output", SITE)
    with pytest.raises(DeployError, match="not a git checkout"):
        deploy_ghpages(output, GhPagesSettings(repo=tmp_path), False, no_progress)
    checkout = new_checkout(tmp_path / "site", tmp_path / "missing.git")
    with pytest.raises(DeployError, match="cannot read branch gh-pages"):
        deploy_ghpages(output, GhPagesSettings(repo=checkout), False, no_progress)
