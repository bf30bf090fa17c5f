"""Committing the newsletter ledger after a send (possibility.commands.publish.ledger_git),
in real git."""

import pytest
from publish_helpers import git

from possibility.commands.publish.gitcmd import GitError
from possibility.commands.publish.ledger_git import commit_ledger, commit_message


@pytest.fixture
def checkout(tmp_path):
    folder = tmp_path / "site"
    (folder / "content").mkdir(parents=True)
    git(folder, "init", "--quiet", "--initial-branch=main")
    git(folder, "config", "user.name", "Publish Test")
    git(folder, "config", "user.email", "publish@example.org")
    (folder / "README.md").write_text("site\n")
    git(folder, "add", "README.md")
    git(folder, "commit", "--quiet", "-m", "start")
    return folder


def test_messages_name_the_posts():
    assert commit_message(["A"]) == 'Newsletter: sent "A"'
    assert commit_message(["A", "B", "C"]) == 'Newsletter: sent "A", "B" and "C"'
    assert commit_message(["A", "B", "C", "D"]) == (
        'Newsletter: sent 4 posts\n\n- A\n- B\n- C\n- D'
    )
    assert commit_message([]) == "Newsletter: update the ledger"


def test_only_the_ledger_is_committed_with_a_message_naming_the_posts(checkout):
    ledger = checkout / "content" / "newsletter-ledger.json"
    ledger.write_text('{"posts": {}}\n')
    (checkout / "README.md").write_text("an unrelated edit\n")
    (checkout / "draft.md").write_text("an untracked file\n")
    git(checkout, "add", "draft.md")  # even something staged stays out of the commit

    done = commit_ledger(checkout, ledger, ["Curiosity Before Strategy"])
    sha = git(checkout, "rev-parse", "--short", "HEAD")
    assert done == (
        f'committed content/newsletter-ledger.json as {sha}: '
        'Newsletter: sent "Curiosity Before Strategy"'
    )
    assert git(checkout, "show", "--name-only", "--format=%s", "HEAD").splitlines() == [
        'Newsletter: sent "Curiosity Before Strategy"', "", "content/newsletter-ledger.json"
    ]
    assert git(checkout, "status", "--porcelain").splitlines() == ["M README.md", "A  draft.md"]

    assert commit_ledger(checkout, ledger, []) == (
        "content/newsletter-ledger.json unchanged: nothing to commit"
    )
    ledger.write_text('{"posts": {"x": {}}}\n')
    assert "Newsletter: update the ledger" in commit_ledger(checkout, ledger, [])


def test_outside_a_checkout_nothing_is_committed(tmp_path):
    ledger = tmp_path / "ledger.json"
    ledger.write_text("{}")
    assert commit_ledger(tmp_path, ledger, ["A"]) == (
        f"{ledger} not committed: {tmp_path} is not a git checkout"
    )


def test_a_failed_commit_says_nothing_is_sent_twice(checkout, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    git(checkout, "config", "--unset", "user.name")
    git(checkout, "config", "--unset", "user.email")
    git(checkout, "config", "user.useConfigOnly", "true")
    ledger = checkout / "content" / "newsletter-ledger.json"
    ledger.write_text("{}")
    with pytest.raises(GitError) as failure:
        commit_ledger(checkout, ledger, ["A"])
    assert "git commit failed" in str(failure.value)
    assert "nothing will be sent twice" in str(failure.value)
