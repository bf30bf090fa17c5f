"""`invoke publish` end to end (possibility.commands.publish.pipeline) on a copy of the real site.

Real build, real checks, rsync to a folder that a real HTTP server on 127.0.0.1 serves
as the "live" site, the real newsletter and ledger, sending to the Mailchimp test server
behind Prism (tests/mailchimp_fixtures.py), or to the outbox (a rehearsal: never
committed, tests/test_rehearsal.py), and a real git checkout for the ledger commit.
Failures are injected by replacing one edge.
"""

import dataclasses
import io
import shutil

import pytest
from browser_fixtures import StaticServer
from conftest import ROOT, Site
from publish_helpers import NEW_POST, git, git_checkout
from rich.console import Console
from test_mailchimp_backend_support import make_backend

from possibility.commands.publish.build import BuildError, load_settings
from possibility.commands.publish.command import setup
from possibility.commands.publish.deploy import DeployError
from possibility.commands.publish.gitcmd import GitError
from possibility.commands.publish.lock import publish_lock
from possibility.commands.publish.newsletter_bridge import NewsletterStepError
from possibility.commands.publish.pipeline import PublishOptions, publish
from possibility.commands.publish.report import lines
from possibility.commands.send import baseline
from possibility.core.newsletter.ledger import read_ledger
from possibility.core.newsletter.settings import read_settings as newsletter_settings


class Harness:
    """A git checkout of the site, a served deploy folder, and a way to publish."""

    def __init__(self, folder, www, url):
        self.folder, self.www, self.url = folder, www, url
        self.content = folder / "content"
        self.output = folder / "output"
        self.overrides = {
            "PATH": str(self.content),
            "OUTPUT_PATH": str(self.output),
            "CACHE_PATH": str(folder / ".cache" / "pelican"),
            "SITEURL": url,
        }
        self.environ = {
            "DEPLOY_TARGET": "rsync",
            "DEPLOY_RSYNC_PATH": str(www),
            "PUBLISH_VERIFY": "yes",
            "PUBLISH_VERIFY_RETRIES": "1",
            "PUBLISH_VERIFY_BACKOFF": "0",
        }
        self.text = ""
        self.mailchimp_api = None

    def to_mailchimp(self, mailchimp_api):
        """Send to the Mailchimp test server (its list), as with MAILCHIMP_API_KEY set."""
        self.mailchimp_api = mailchimp_api
        self.environ = {**self.environ, "MAILCHIMP_API_KEY": mailchimp_api.api_key,
                        "MAILCHIMP_API_URL": mailchimp_api.base_url,
                        "MAILCHIMP_LIST_ID": mailchimp_api.list_id}
        return self

    def write_post(self, name, text):
        (self.content / "posts" / name).write_text(text, encoding="utf-8")

    def setup(self, environ=None):
        console = Console(file=io.StringIO(), width=160)
        wired = setup(self.folder, ROOT / "publishconf.py", self.overrides,
                      environ or self.environ, console)
        if self.mailchimp_api is not None and environ is None:
            # the real backend, its fence's waits recorded rather than slept (one publisher)
            wired.edges.newsletter._backend = make_backend(self.mailchimp_api)
        return wired

    def publish(self, dry_run=False, yes=False, commit=True, environ=None, **replace):
        wired = self.setup(environ)
        edges = dataclasses.replace(wired.edges, **replace)
        report = publish(wired.settings, PublishOptions(dry_run, yes, commit), edges)
        self.text = "\n".join(lines(report))
        return report

    def emails(self):
        """What went out: the campaigns sent to the list, or the outbox's files."""
        if self.mailchimp_api is not None:
            return sorted(c["settings"]["title"] for c in
                          self.mailchimp_api.server.campaigns.values() if c["status"] == "sent")
        return sorted(p.name for p in (self.folder / "outbox").glob("*.eml"))

    @property
    def ledger(self):
        return self.content / "newsletter-ledger.json"


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """One HTTP server for the module: each test deploys into its own folder under it."""
    root = tmp_path_factory.mktemp("web")
    with StaticServer(root) as server:
        server.root = root
        yield server


@pytest.fixture(scope="module")
def baselined(tmp_path_factory):
    """The real site in a git checkout, its posts baselined (they count as sent)."""
    site = Site(tmp_path_factory.mktemp("baselined"))
    folder = site.folder
    git_checkout(folder)
    (folder / ".gitignore").write_text("/output/\n/.cache/\n/outbox/\n/cache/\n*.json.rehearsals\n")
    site.build()
    settings = load_settings(ROOT / "publishconf.py", {"PATH": str(site.content)})
    baseline(site.output, newsletter_settings(settings))
    git(folder, "add", ".")
    git(folder, "commit", "--quiet", "-m", "the site, baselined")
    return folder


@pytest.fixture
def harness(tmp_path, web, baselined, request):
    """A copy of the baselined site with one new post, deployed under its own URL."""
    name = request.node.name.replace("[", "-").replace("]", "")
    www = web.root / name
    www.mkdir()
    folder = tmp_path / "site"
    shutil.copytree(baselined, folder, ignore=shutil.ignore_patterns("output", "cache"))
    h = Harness(folder, www, f"{web.url}/{name}")
    h.write_post("curiosity-before-strategy.md", NEW_POST)
    return h


@pytest.fixture
def to_list(harness, mailchimp_api):
    """The harness, sending to the Mailchimp list of the test server."""
    return harness.to_mailchimp(mailchimp_api)


def test_publish_deploys_verifies_emails_once_and_commits_the_ledger(to_list):
    harness = to_list
    report = harness.publish(yes=True)  # the first send to this list
    assert report.ok, harness.text
    assert [s.name for s in report.steps] == ["build", "check", "deploy", "verify", "send",
                                              "ledger"]
    assert [s.status for s in report.steps] == ["done"] * 6
    assert (harness.www / "curiosity-before-strategy/index.html").is_file()
    assert "curiosity-before-strategy/index.html" in report.deploy.uploaded
    assert report.pages > 10
    assert [e.title for e in report.emailed] == ["Curiosity Before Strategy"]
    assert report.emailed[0].url == f"{harness.url}/curiosity-before-strategy/"
    [campaign] = [c for c in harness.mailchimp_api.server.campaigns.values()
                  if c["status"] == "sent"]
    assert campaign["settings"]["title"].startswith("curiosity-before-strategy [p ")
    assert report.emailed[0].where.startswith(f"campaign {campaign['id']}")
    assert not report.emailed[0].rehearsal and "Emailed: Curiosity" in harness.text
    assert git(harness.folder, "log", "-1", "--format=%s") == (
        'Newsletter: sent "Curiosity Before Strategy"'
    )
    assert git(harness.folder, "status", "--porcelain", "--", str(harness.ledger)) == ""
    assert report.ledger.startswith("committed content/newsletter-ledger.json")
    assert "verify     done" in harness.text and "1 page live" in harness.text

    again = harness.publish()
    assert again.ok, harness.text
    assert again.emailed == []
    assert "curiosity-before-strategy/index.html" not in again.deploy.uploaded
    assert harness.emails() == harness.emails()[:1]
    assert "unchanged: nothing to commit" in again.ledger
    # (that build may add the sent email to the site's archive of past issues: then, still)
    third = harness.publish()
    assert (third.emailed, third.deploy.uploaded, third.deploy.deleted) == ([], (), ())


def test_dry_run_deploys_nothing_sends_nothing_and_says_what_it_would_do(harness):
    ledger = harness.ledger.read_text()
    report = harness.publish(dry_run=True)
    assert report.ok, harness.text
    assert [s.status for s in report.steps] == ["done", "done", "dry run", "dry run", "dry run",
                                                "dry run"]
    assert list(harness.www.iterdir()) == []
    assert harness.emails() == []
    assert harness.ledger.read_text() == ledger
    assert "curiosity-before-strategy/index.html" in report.deploy.uploaded
    assert f"would check {harness.url}/curiosity-before-strategy/" in harness.text
    assert "Would rehearse: Curiosity Before Strategy" in harness.text
    assert ("would go as its own email to Articles through the local outbox "
            "(outbox): a rehearsal, not sent to subscribers") in harness.text
    assert "would rehearse 1 email in the local outbox" in harness.text
    [preview] = report.previews
    assert (preview.subject, preview.groups, preview.kind) == (
        "Curiosity Before Strategy", ("Articles",), "post")
    assert 1000 < preview.html_bytes < 90 * 1024 and 0 < preview.text_bytes < preview.html_bytes
    assert harness.text.endswith("Dry run: nothing was deployed and nothing was sent.")


def test_a_dry_run_to_the_list_names_the_list_and_sends_nothing(to_list):
    report = to_list.publish(dry_run=True)
    assert report.ok, to_list.text
    assert ("Would email: Curiosity Before Strategy" in to_list.text
            and f"through the mailchimp list {to_list.mailchimp_api.list_id}" in to_list.text)
    assert "a real run asks to confirm this first send to the list" in to_list.text
    assert to_list.mailchimp_api.server.campaigns == {}


def test_a_post_with_new_posts_sample_text_stops_publish_at_the_check(harness):
    from test_publish_checks import new_post_text

    harness.write_post("sample.md", new_post_text("sample-post", status="published"))
    harness.write_post("drafted.md", new_post_text("drafted"))  # a draft may keep it
    report = harness.publish()
    assert report.failure.startswith("check failed: 2 problems in the built site; nothing "
                                     "was deployed or sent")
    assert ("  - content/posts/sample.md: field 'Summary' is still new-post's sample text: "
            "write one or two sentences of your own") in report.failure
    assert ("  - content/posts/sample.md: the body is still new-post's sample text") \
        in report.failure
    assert "drafted" not in report.failure
    assert [s.name for s in report.steps] == ["build", "check"]
    assert list(harness.www.iterdir()) == [] and harness.emails() == []
    dry = harness.publish(dry_run=True)  # a dry run says the same: no "would go" for it
    assert dry.failure == report.failure and dry.emailed == []


class _NewsletterWith:
    """The real newsletter with one method replaced."""

    def __init__(self, real, **methods):
        self.real = real
        self.methods = methods

    def __getattr__(self, name):
        return self.methods.get(name) or getattr(self.real, name)


def _raise(error):
    def fail(*args, **kwargs):
        raise error

    return fail


def _deploy_then_lose_the_new_page(harness, deploy):
    def deploy_and_lose(output, dry_run):
        result = deploy(output, dry_run)
        shutil.rmtree(harness.www / "curiosity-before-strategy")
        return result

    return deploy_and_lose


FAILURES = {
    "build": lambda h, e: {"build": _raise(BuildError("injected: the theme is broken"))},
    "check": lambda h, e: {"newsletter": _NewsletterWith(
        e.newsletter, check=lambda output: ["the newsletter email of x: injected"])},
    "deploy": lambda h, e: {"deploy": _raise(DeployError("injected: rsync lost the link"))},
    "verify": lambda h, e: {"deploy": _deploy_then_lose_the_new_page(h, e.deploy)},
    "send": lambda h, e: {"newsletter": _NewsletterWith(
        e.newsletter, send=_raise(NewsletterStepError("injected: the backend is down")))},
    "ledger": lambda h, e: {"commit_ledger": _raise(GitError("injected: no git identity"))},
}


@pytest.mark.parametrize("step", list(FAILURES))
def test_a_failure_at_any_step_stops_there_and_the_next_run_completes(to_list, step):
    harness = to_list
    edges = harness.setup().edges
    report = harness.publish(yes=True, **FAILURES[step](harness, edges))
    assert not report.ok
    assert report.failure.startswith(f"{step} failed:")
    assert [s.name for s in report.steps if s.status == "failed"] == [step]
    after = [s.name for s in report.steps][-1]
    assert after == ("ledger" if step == "send" else step)  # a send may have partly gone
    if step == "ledger":
        assert len(harness.emails()) == 1  # sent, recorded in the ledger, not committed
    else:
        assert harness.emails() == []
        assert "curiosity-before-strategy" not in harness.ledger.read_text()
    if step == "verify":
        assert f"{harness.url}/curiosity-before-strategy/ answered 404" in report.failure
        assert "nothing was emailed" in report.failure

    resumed = harness.publish(yes=True)
    assert resumed.ok, harness.text
    assert len(harness.emails()) == 1
    assert git(harness.folder, "log", "-1", "--format=%s").startswith("Newsletter: ")
    assert git(harness.folder, "status", "--porcelain", "--", str(harness.ledger)) == ""


def test_a_send_that_fails_part_way_still_commits_what_went_out(to_list):
    harness = to_list
    harness.write_post("second.md", NEW_POST.replace("Curiosity Before", "Questions Before")
                            .replace("curiosity-before", "questions-before")
                            .replace("000000000001", "000000000002"))
    real = harness.setup().edges.newsletter

    def send_one_then_fail(output, plan):
        outcome = real.send(output, plan)
        raise NewsletterStepError("injected: the connection dropped", outcome.emailed)

    report = harness.publish(yes=True, newsletter=_NewsletterWith(real, send=send_one_then_fail))
    assert report.failure.startswith("send failed: injected")
    assert [s.name for s in report.steps][-2:] == ["send", "ledger"]
    assert report.steps[-1].status == "done"
    assert len(report.emailed) == 2
    assert git(harness.folder, "status", "--porcelain", "--", str(harness.ledger)) == ""


def test_no_commit_leaves_the_ledger_for_the_author(harness):
    report = harness.publish(commit=False)
    assert report.ok
    assert report.ledger.startswith("not committed (--no-commit)")
    # the outbox's rehearsal is kept apart, beside the ledger, for the author's eyes only
    assert read_ledger(harness.ledger)["rehearsals"]["outbox"]


def test_a_second_publish_while_one_runs_is_refused(harness):
    settings = harness.setup().settings
    with publish_lock(settings.lock_path):
        report = harness.publish()
    assert report.steps == []
    assert "another publish is running" in report.failure
    assert harness.emails() == []


def test_with_no_target_the_site_stays_in_output_and_the_report_says_so(harness):
    report = harness.publish(environ={"DEPLOY_TARGET": ""})
    assert report.ok, harness.text
    deploy, verify = report.steps[2], report.steps[3]
    assert (deploy.status, deploy.summary) == (
        "skipped", f"no DEPLOY_TARGET set: the site stays in {harness.output}"
    )
    assert verify.status == "skipped" and "the target is local" in verify.summary
    assert "1 post rehearsed in the local outbox" in harness.text
    assert len(harness.emails()) == 1
