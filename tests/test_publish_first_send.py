"""A first send to a real list asks first (possibility.commands.publish.pipeline), with stand-in
edges.

The question comes before the deploy, so a refusal leaves everything as it was.
"""

import pytest

from possibility.commands.publish.build import BuildResult
from possibility.commands.publish.deploy import DeployResult
from possibility.commands.publish.newsletter_bridge import DueEmail, NewsletterPlan, SendOutcome
from possibility.commands.publish.pipeline import Edges, PublishOptions, first_send_rule, publish
from possibility.commands.publish.report import Emailed
from possibility.commands.publish.settings import PublishSettings

POST = DueEmail("Curiosity Before Strategy", "https://example.org/curiosity-before-strategy/")


class StandIn:
    """Edges that record what was done; the newsletter's list has never had an email."""

    def __init__(self, folder, first_send=True, answer=False):
        (folder / "index.html").write_text("<h1>Home</h1>")
        self.folder = folder
        self.first_send = first_send
        self.answer = answer
        self.questions, self.deployed, self.sent = [], [], []

    def edges(self):
        return Edges(
            build=lambda: BuildResult(self.folder, (self.folder / "index.html",)),
            unpublished=lambda: [],
            newsletter=self,
            deploy=self.deploy,
            verify=lambda pages: [],
            commit_ledger=lambda ledger, titles: f"committed {ledger}",
            confirm=self.confirm,
        )

    def check(self, output):
        return []

    def plan(self, output):
        return NewsletterPlan(
            due=(POST,), emails=1, would_send=(), skipped=(), backend="the mailchimp list",
            first_send=self.first_send, ledger_path=self.folder / "ledger.json",
        )

    def send(self, output, plan):
        self.sent.append(plan.due)
        return SendOutcome((Emailed(POST.title, POST.url, "campaign 42"),))

    def deploy(self, output, dry_run):
        self.deployed.append(dry_run)
        return DeployResult(where="somewhere", dry_run=dry_run)

    def confirm(self, question):
        self.questions.append(question)
        return self.answer


@pytest.fixture
def settings(tmp_path):
    return PublishSettings(project=tmp_path, siteurl="https://example.org",
                           lock_path=tmp_path / "publish.lock")


def run(settings, stand_in, **options):
    return publish(settings, PublishOptions(**options), stand_in.edges())


def test_without_a_person_or_yes_it_refuses_before_deploying(tmp_path, settings):
    stand_in = StandIn(tmp_path)
    report = run(settings, stand_in, interactive=False)
    assert report.failure.startswith("check failed: the mailchimp list has never received")
    assert "run `invoke publish --yes`" in report.failure
    assert [s.name for s in report.steps] == ["build", "check"]
    assert stand_in.deployed == [] and stand_in.sent == []


def test_a_person_is_asked_and_no_means_nothing_happens(tmp_path, settings):
    stand_in = StandIn(tmp_path, answer=False)
    report = run(settings, stand_in, interactive=True)
    assert stand_in.questions == [
        "the mailchimp list has never received an email from this site. "
        "Send 1 now ('Curiosity Before Strategy')?"
    ]
    assert report.failure == "check failed: first send not confirmed: nothing was deployed or sent."
    assert stand_in.deployed == [] and stand_in.sent == []


def test_a_person_who_says_yes_gets_the_send(tmp_path, settings):
    stand_in = StandIn(tmp_path, answer=True)
    report = run(settings, stand_in, interactive=True)
    assert report.ok
    assert report.steps[1].summary.endswith("; first send to the list confirmed")
    assert stand_in.sent == [(POST,)]
    assert report.emailed == [Emailed(POST.title, POST.url, "campaign 42")]


def test_yes_sends_without_asking(tmp_path, settings):
    stand_in = StandIn(tmp_path)
    report = run(settings, stand_in, yes=True)
    assert report.ok and stand_in.questions == [] and len(stand_in.sent) == 1


def test_a_dry_run_neither_asks_nor_sends(tmp_path, settings):
    stand_in = StandIn(tmp_path)
    report = run(settings, stand_in, dry_run=True)
    assert report.ok and stand_in.questions == [] and stand_in.sent == []
    assert stand_in.deployed == [True]
    assert "a real run asks to confirm this first send" in report.steps[1].summary


def test_a_list_that_has_received_emails_is_not_asked_about(tmp_path, settings):
    stand_in = StandIn(tmp_path, first_send=False)
    report = run(settings, stand_in)
    assert report.ok and stand_in.questions == [] and len(stand_in.sent) == 1


def test_the_rule_for_a_first_send():
    def rule(first_send=True, due=(POST,), **options):
        plan = NewsletterPlan(due, len(due), (), (), "list", first_send, None)
        return first_send_rule(plan, PublishOptions(**options))

    assert rule(interactive=True) == "ask"
    assert rule(interactive=False) == "refuse"
    assert rule(yes=True) == "none"
    assert rule(dry_run=True) == "note"
    assert rule(first_send=False) == "none"
    assert rule(due=()) == "none"
