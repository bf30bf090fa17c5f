"""The outbox is a rehearsal (issue 12): it never counts as sent to subscribers.

Without MAILCHIMP_API_KEY, `invoke publish` writes each due post's email to outbox/ and
says so ("rehearsal: written to outbox/<file>, not sent to subscribers"), records it
apart in the ledger and commits nothing; once the key is set the post is still due on
the list, goes out there once, and that send is committed. A ledger of schema 1 whose
outbox send was recorded as sent (and committed) is migrated: that post reaches the list.

Real parts: the project copied into a git checkout, real Pelican builds through
`run_publish` (what `invoke publish` runs), the Mailchimp test server behind Prism.
"""

import io
import json
import re
from dataclasses import replace

import pytest
from publish_helpers import NEW_POST, copy_project, git
from rich.console import Console
from test_mailchimp_backend_support import (
    CAREER,
    REAL_POSTS,
    WORK,
    make_backend,
    newsletter_settings,
)

from possibility.commands.publish.build import build_site, load_settings
from possibility.commands.publish.command import run_publish
from possibility.commands.send import baseline, send, status
from possibility.core.newsletter.ledger import (
    parse_ledger,
    read_ledger,
    sent_to_subscribers,
    subscriber_records,
)
from possibility.core.newsletter.settings import read_settings

NEW_ID = "urn:uuid:9d0c8f52-1111-4c8e-9b8a-000000000001"  # NEW_POST's Post-Id
LEDGER = "content/newsletter-ledger.json"


@pytest.fixture
def project(tmp_path):
    """The project in a fresh git checkout, its posts baselined and committed; one new post."""
    folder = copy_project(tmp_path / "project", git_init=True)
    overrides = {"CACHE_PATH": str(tmp_path / "cache")}
    result = build_site(folder / "publishconf.py", overrides)
    baseline(result.output_path,
             read_settings(load_settings(folder / "publishconf.py", overrides)))
    git(folder, "add", ".")
    git(folder, "commit", "--quiet", "-m", "the site")
    (folder / "content" / "posts" / "curiosity-before-strategy.md").write_text(NEW_POST)
    return folder


def publish(project, environ, **options):
    """`invoke publish` in `project` with `environ`: (exit code, the report as printed)."""
    screen = io.StringIO()
    code = run_publish(project, project / "publishconf.py",
                       overrides={"CACHE_PATH": str(project.parent / "cache")},
                       environ=environ, console=Console(file=screen, width=300),
                       interactive=False, **options)
    return code, " ".join(screen.getvalue().split())


def list_environ(mailchimp_api):
    return {"MAILCHIMP_API_KEY": mailchimp_api.api_key, "MAILCHIMP_API_URL":
            mailchimp_api.base_url, "MAILCHIMP_LIST_ID": mailchimp_api.list_id}


def committed_ledger(project):
    return parse_ledger(git(project, "show", f"HEAD:{LEDGER}"))


def test_a_rehearsal_is_not_committed_and_the_post_still_goes_to_the_list(project,
                                                                          mailchimp_api):
    # No key: the outbox rehearses the new post; the report says so and what comes next.
    code, shown = publish(project, {})
    assert code == 0, shown
    [eml] = (project / "outbox").glob("*.eml")
    assert f"rehearsal: written to outbox/{eml.name}, not sent to subscribers" in shown
    assert "Rehearsed" in shown and "set MAILCHIMP_API_KEY to send for real" in shown
    assert "1 post rehearsed in the local outbox (outbox): not sent to subscribers" in shown
    # ... recorded apart, and never committed
    data = read_ledger(project / LEDGER)
    assert data["rehearsals"]["outbox"][NEW_ID]["state"] == "sent"
    assert data["rehearsals"]["outbox"][NEW_ID]["destination"] == "outbox"
    assert NEW_ID not in data["posts"]
    assert subscriber_records(data) == subscriber_records(committed_ledger(project))
    assert git(project, "log", "-1", "--format=%s") == "the site"
    # the checkout stays clean: the rehearsal is kept apart, in a file git ignores
    assert git(project, "status", "--porcelain") == "?? content/posts/curiosity-before-strategy.md"
    assert (project / f"{LEDGER}.rehearsals").is_file()
    assert f"{LEDGER} unchanged: nothing to commit; the outbox's rehearsals are kept apart" \
        in shown

    # Again without a key: rehearsed already, nothing new anywhere.
    code, shown = publish(project, {})
    assert code == 0 and len(list((project / "outbox").glob("*.eml"))) == 1
    assert "nothing due" in shown and git(project, "log", "-1", "--format=%s") == "the site"

    # The key is set: the post is still due on the list, a list that never had an email.
    environ = list_environ(mailchimp_api)
    code, shown = publish(project, environ)
    assert code == 1 and "has never received an email from this site" in shown
    assert mailchimp_api.server.campaigns == {}
    code, shown = publish(project, environ, yes=True)
    assert code == 0, shown
    [campaign] = mailchimp_api.server.campaigns.values()
    assert campaign["status"] == "sent" and mailchimp_api.server.deliveries[campaign["id"]]
    assert f"campaign {campaign['id']}" in shown and "rehearsal:" not in shown
    assert git(project, "log", "-1", "--format=%s") == (
        'Newsletter: sent "Curiosity Before Strategy"')
    committed = committed_ledger(project)
    entry = committed["posts"][NEW_ID]
    assert (entry["state"], entry["campaign_id"], entry["destination"]) == (
        "sent", campaign["id"], f"mailchimp:{mailchimp_api.list_id}")
    [email] = sent_to_subscribers(committed)
    assert (email.key, email.subject, email.groups, email.campaign_id) == (
        NEW_ID, "Curiosity Before Strategy", ("Articles",), campaign["id"])

    # Once sent to the list: nothing is due, to the list or to the outbox.
    assert publish(project, environ)[0] == 0
    code, shown = publish(project, {})
    assert code == 0 and "nothing due" in shown
    assert len(mailchimp_api.server.campaigns) == 1
    assert len(list((project / "outbox").glob("*.eml"))) == 1


def test_status_shows_what_the_list_got_and_what_the_outbox_rehearsed(project, mailchimp_api):
    code, shown = publish(project, {})
    assert code == 0, shown
    settings = read_settings(load_settings(project / "publishconf.py"))
    output = project / "output"
    to_list = f"mailchimp:{mailchimp_api.list_id}"
    before = "\n".join(status(output, settings, destination=to_list).lines())
    assert f"Sends go to the Mailchimp list {mailchimp_api.list_id}." in before
    lines = before.splitlines()
    due = next(n for n, line in enumerate(lines) if "curiosity-before-strategy" in line)
    assert lines[due].split()[0] == "due"
    assert lines[due + 1].strip().startswith("rehearsed: in the outbox 20")
    assert lines[due + 1].strip().endswith("-curiosity-before-strategy.eml): not sent to "
                                           "subscribers")
    outbox = "\n".join(status(output, settings, destination="outbox").lines())
    assert "Sends go to the local outbox: a rehearsal, not sent to subscribers" in outbox
    assert re.search(r"\n  rehearsed +curiosity-before-strategy +in the outbox 20", outbox)

    assert publish(project, list_environ(mailchimp_api), yes=True)[0] == 0
    after = status(output, settings, destination=to_list).lines()
    row = next(n for n, line in enumerate(after) if "curiosity-before-strategy" in line)
    assert after[row].split()[0] == "sent" and f"({to_list})" in after[row]
    assert after[row + 1].strip().startswith("rehearsed: in the outbox")
    rehearsing = status(output, settings, destination="outbox").lines()
    row = next(n for n, line in enumerate(rehearsing) if "curiosity-before-strategy" in line)
    assert rehearsing[row].split()[0] == "sent"  # it went to the list: not rehearsed again


def test_a_schema_1_ledger_with_a_committed_outbox_send_still_sends_that_post(
        production_site, tmp_path, mailchimp_api):
    """The issue's ledger: publish sent a post to the outbox, recorded it as sent and
    committed that. Migrated, it is a rehearsal: the post goes to the list."""
    ledger = tmp_path / "newsletter-ledger.json"
    ledger.write_text(json.dumps({"schema": 1, "started": "2026-11-24T09:00:00Z", "posts": {
        REAL_POSTS[WORK]: {"content_hash": "sha256:x", "slug": WORK, "state": "baseline",
                           "times": {"baseline": "2026-11-24T09:00:00Z"}, "title": "Work"},
        REAL_POSTS[CAREER]: {
            "backend": "outbox", "campaign_id": "outbox-1", "content_hash": "sha256:y",
            "email": REAL_POSTS[CAREER], "groups": ["Articles"], "kind": "post",
            "location": f"outbox/2026-11-24-{CAREER}.eml", "slug": CAREER, "state": "sent",
            "subject": "Is Your Career Off Track?", "times": {"sent": "2026-11-24T10:00:00Z"},
            "title": "Is Your Career Off Track?"}}}))
    settings = replace(newsletter_settings(production_site.content, ledger),
                       outbox_path=tmp_path / "outbox")
    report = send(production_site.output, settings, backend=make_backend(mailchimp_api))
    assert [(r.slugs, r.state) for r in report.results] == [((CAREER,), "sent")]
    [campaign] = mailchimp_api.server.campaigns.values()
    data = json.loads(ledger.read_text())
    assert data["schema"] == 2
    assert data["posts"][REAL_POSTS[CAREER]]["campaign_id"] == campaign["id"]
    assert data["rehearsals"] == {}  # kept apart, beside the ledger
    rehearsals = read_ledger(ledger)["rehearsals"]
    assert rehearsals["outbox"][REAL_POSTS[CAREER]]["campaign_id"] == "outbox-1"
    assert data["posts"][REAL_POSTS[WORK]]["state"] == "baseline"  # on every destination
    again = send(production_site.output, settings, backend=make_backend(mailchimp_api))
    assert again.results == [] and len(mailchimp_api.server.campaigns) == 1
