"""Committing the newsletter ledger after a send (possibility.commands.publish.ledger_git),
in real git."""

import json

import pytest
from publish_helpers import git, started_checkout

from possibility.commands.publish.gitcmd import GitError
from possibility.commands.publish.ledger_git import commit_ledger, commit_message
from possibility.core.newsletter.ledger import read_ledger, write_ledger


@pytest.fixture
def checkout(tmp_path):
    folder = tmp_path / "site"
    (folder / "content").mkdir(parents=True)
    return started_checkout(folder)


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


def test_a_rehearsal_alone_is_never_committed(checkout):
    """The outbox reached no subscriber: a ledger whose rehearsals alone changed, or whose
    schema alone moved on, stays uncommitted; a real send commits it whole."""
    ledger = checkout / "content" / "newsletter-ledger.json"
    baselined = {"schema": 1, "started": "2026-11-24T09:00:00Z", "posts": {"urn:uuid:a": {
        "content_hash": "sha256:a", "slug": "a", "state": "baseline",
        "times": {"baseline": "2026-11-24T09:00:00Z"}, "title": "A"}}}
    ledger.write_text(json.dumps(baselined))
    git(checkout, "add", "--", str(ledger))
    git(checkout, "commit", "--quiet", "-m", "baseline")
    rehearsal = {"email": "urn:uuid:b", "destination": "outbox", "backend": "outbox",
                 "slug": "b", "state": "sent", "times": {"sent": "2026-11-25T09:00:00Z"}}
    write_ledger(ledger, {**read_ledger(ledger), "rehearsals": {"outbox": {
        "urn:uuid:b": rehearsal}}})  # migrated to schema 2 as well
    assert commit_ledger(checkout, ledger, []) == (
        "content/newsletter-ledger.json not committed: nothing that subscribers got changed "
        "in it (its schema was brought up to date)")
    assert git(checkout, "log", "-1", "--format=%s") == "baseline"
    sent = {**rehearsal, "destination": "mailchimp:list", "backend": "mailchimp",
            "campaign_id": "c1"}
    data = read_ledger(ledger)
    data["posts"]["urn:uuid:b"] = sent
    write_ledger(ledger, data)
    assert "Newsletter: sent \"B\"" in commit_ledger(checkout, ledger, ["B"])
    assert json.loads(git(checkout, "show", "HEAD:content/newsletter-ledger.json")) == {
        **data, "rehearsals": {}}  # the rehearsals stay in their own, ignored, file
