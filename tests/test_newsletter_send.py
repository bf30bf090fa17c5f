"""Sending through the outbox: exactly one email per post, through crashes at every step.

The built site is made by hand here (meta.json + rendered parts, as the plugin writes
them) so these tests run in milliseconds; test_newsletter_e2e.py does the same with
real Pelican builds.
"""

import email
import json
import re
import signal
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy

import pytest

from possibility.commands.send import (
    FirstRunError,
    NewsletterError,
    SampleTextError,
    SendError,
    baseline,
    plan,
    send,
    send_tests,
)
from possibility.commands.send import status as newsletter_status
from possibility.core.newsletter.backends import BackendError, Delivery, OutboxBackend
from possibility.core.newsletter.ledger import (
    LedgerLocked,
    ledger_lock,
    new_ledger,
    read_ledger,
    view,
    write_ledger,
)
from possibility.core.newsletter.model import TEXT_FILE, PostRecord, SiteInfo, write_record
from possibility.core.newsletter.post_fields import SAMPLE_BODY, SAMPLE_SUMMARY
from possibility.core.newsletter.render_email import render_post
from possibility.core.newsletter.settings import read_settings

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SITE = SiteInfo("Test Practice", "Grow curious.", "https://example.org")
STEPS = ["find", "create", "set_content", "check", "send_test", "send"]


class Clock:
    """A deterministic clock: one second later at every call."""

    def __init__(self, start=NOW):
        self.now = start

    def __call__(self):
        self.now += timedelta(seconds=1)
        return self.now


def post(n, **changes):
    values = dict(
        post_id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}", slug=f"post-{n}",
        title=f"Post {n}", url=f"https://example.org/post-{n}/",
        date=NOW - timedelta(days=100 - n), date_text="November 24, 2026",
        status="published", newsletter=True, groups=("Articles",), subject=f"Post {n}",
        preview=f"Preview {n}", content_hash=f"sha256:{n}", author="Karen Steinberg",
        summary_html=f'<p>Summary of post {n}, <a href="https://example.org/post-{n}/">more</a>.'
                     "</p>",
        site=SITE,
    )
    values.update(changes)
    return PostRecord(**values)


def build_output(root, posts):
    """output/newsletter/<slug>/ as the plugin writes it."""
    for item in posts:
        folder = root / "output" / "newsletter" / item.slug
        item = replace(item, has_email=item.newsletter and item.status == "published")
        if item.has_email:
            rendered = render_post(item, f"<p>Body of {item.title}.</p>")
            write_record(folder, item, rendered.html)
            (folder / TEXT_FILE).write_text(rendered.text, encoding="utf-8")
        else:
            write_record(folder, item)
    return root / "output"


@pytest.fixture
def newsletter(tmp_path):
    """(output folder, settings) of a site whose ledger exists and is empty."""
    settings = settings_for(tmp_path)
    write_ledger(settings.ledger_path, new_ledger(NOW - timedelta(days=30)))
    return build_output(tmp_path, [post(1), post(2)]), settings


def settings_for(root, **overrides):
    values = {"PATH": str(root / "content"), "SITEURL": SITE.url, "SITENAME": SITE.name,
              "SITESUBTITLE": SITE.tagline, "NEWSLETTER_GROUPS": ["Articles", "Events"]}
    values.update(overrides)
    return read_settings(values)


def outbox_backend(settings, cls=OutboxBackend, **kwargs):
    return cls(settings.outbox_path, from_address=settings.from_address,
               to_address=settings.to_address, site_name=settings.site_name,
               domain=settings.domain, clock=Clock(), **kwargs)


def delivered(settings):
    """Parsed messages the list received, by the key of the email they carry."""
    messages = {}
    for path in sorted(settings.outbox_path.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        key = message["X-Newsletter-Key"]
        assert key not in messages, f"{key} delivered twice"
        messages[key] = message
    return messages


def entries(settings):
    """The ledger as the outbox sees it: these sends are rehearsals."""
    return view(read_ledger(settings.ledger_path), "outbox")["posts"]


def ledger_states(settings):
    return {e["slug"]: e["state"] for e in entries(settings).values()}


def test_each_due_post_becomes_one_standard_email(newsletter):
    output, settings = newsletter
    report = send(output, settings, backend=outbox_backend(settings), clock=Clock())
    assert [r.state for r in report.results] == ["sent", "sent"]
    messages = delivered(settings)
    assert set(messages) == {post(1).post_id, post(2).post_id}
    message = messages[post(1).post_id]
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "Post 1"
    assert message["From"] == "Test Practice <newsletter@example.org>"
    assert message["To"] == "Test Practice subscribers <subscribers@example.org>"
    assert message["Message-ID"].endswith("@example.org>") and message["Date"]
    assert message["List-Unsubscribe"] == "<https://example.com/unsubscribe?sample=1>"
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "Body of Post 1." in html and "Body of Post 1." in text
    for part in (html, text):
        assert "*|" not in part and "https://example.com/unsubscribe?sample=1" in part
        assert "Test Practice · 1 Sample Street" in part
    assert ledger_states(settings) == {"post-1": "sent", "post-2": "sent"}
    entry = entries(settings)[post(1).post_id]
    assert entry["location"].startswith("outbox/") and entry["location"].endswith("-post-1.eml")
    assert f"  rehearsed: post-1: 'Post 1' to Articles: written to {entry['location']}, not " \
        "sent to subscribers" in "\n".join(report.lines())
    assert report.lines()[0].startswith("Newsletter rehearsal in the outbox: nothing reaches "
                                        "subscribers; set MAILCHIMP_API_KEY to send for real")


def test_a_second_run_sends_nothing_and_a_new_post_alone_goes_next(newsletter, tmp_path):
    output, settings = newsletter
    send(output, settings, backend=outbox_backend(settings), clock=Clock())
    again = send(output, settings, backend=outbox_backend(settings), clock=Clock())
    assert again.results == [] and "nothing to send." in again.lines()[-1]
    build_output(tmp_path, [post(3)])
    third = send(output, settings, backend=outbox_backend(settings), clock=Clock())
    assert [r.slugs for r in third.results] == [("post-3",)]
    assert len(delivered(settings)) == 3


def test_a_utf8_subject_is_encoded_per_rfc_2047(tmp_path):
    settings = settings_for(tmp_path)
    write_ledger(settings.ledger_path, new_ledger(NOW))
    subject = "Café – “Should Your Work Speak For Itself?”"
    output = build_output(tmp_path, [post(1, subject=subject, title=subject)])
    send(output, settings, backend=outbox_backend(settings), clock=Clock())
    [path] = settings.outbox_path.glob("*.eml")
    raw = path.read_bytes()
    assert b"Subject: =?utf-8?" in raw and all(b < 128 for b in raw)
    assert email.message_from_bytes(raw, policy=policy.default)["Subject"] == subject


def test_several_posts_at_once_go_out_as_one_digest(tmp_path):
    settings = settings_for(tmp_path, NEWSLETTER_DIGEST_THRESHOLD=3)
    write_ledger(settings.ledger_path, new_ledger(NOW))
    output = build_output(tmp_path, [post(1), post(2), post(3)])
    report = send(output, settings, backend=outbox_backend(settings), clock=Clock())
    [result] = report.results
    assert result.kind == "digest" and result.slugs == ("post-1", "post-2", "post-3")
    [message] = delivered(settings).values()
    assert message["Subject"] == "3 new articles from Test Practice"
    html = message.get_body(("html",)).get_content()
    for n in (1, 2, 3):
        assert f"https://example.org/post-{n}/" in html and f"Summary of post {n}" in html
    recorded = entries(settings).values()
    assert {e["campaign_id"] for e in recorded} == {result.campaign_id}
    assert {e["kind"] for e in recorded} == {"digest"}


def test_first_run_refuses_lists_the_posts_and_how_to_baseline(tmp_path):
    settings = settings_for(tmp_path)
    output = build_output(tmp_path, [post(1), post(2)])
    with pytest.raises(FirstRunError) as caught:
        send(output, settings, backend=outbox_backend(settings))
    message = str(caught.value)
    assert "https://example.org/post-1/" in message and "post-2" in message
    assert "invoke newsletter-baseline" in message
    assert not settings.ledger_path.exists() and not settings.outbox_path.exists()


def test_baseline_marks_what_is_published_and_can_leave_one_to_send(tmp_path):
    settings = settings_for(tmp_path)
    output = build_output(tmp_path, [post(1), post(2), post(3, status="draft")])
    report = baseline(output, settings, keep=["post-2"], clock=Clock())
    assert [p.slug for p in report.marked] == ["post-1"]
    assert [p.slug for p in report.kept] == ["post-2"]
    assert ledger_states(settings) == {"post-1": "baseline"}
    sent = send(output, settings, backend=outbox_backend(settings), clock=Clock())
    assert [r.slugs for r in sent.results] == [("post-2",)]
    with pytest.raises(NewsletterError, match="no post of the site: nope"):
        baseline(output, settings, keep=["nope"])


def test_a_site_with_nothing_to_send_starts_its_ledger_on_the_first_run(tmp_path):
    settings = settings_for(tmp_path)
    output = build_output(tmp_path, [post(1, status="draft")])
    send(output, settings, backend=outbox_backend(settings), clock=Clock())
    assert entries(settings) == {}
    build_output(tmp_path, [post(1)])
    assert [r.slugs for r in send(output, settings, backend=outbox_backend(settings)).results] \
        == [("post-1",)]


def test_dry_run_says_what_would_go_and_changes_nothing(newsletter):
    output, settings = newsletter
    before = settings.ledger_path.read_bytes()
    report = send(output, settings, dry_run=True)
    assert [(r.state, r.slugs) for r in report.results] == [
        ("would send", ("post-1",)), ("would send", ("post-2",))]
    assert report.lines()[0] == (
        "Dry run (newsletter rehearsal in the outbox: nothing reaches subscribers; set "
        "MAILCHIMP_API_KEY to send for real): nothing is sent or recorded.")
    assert settings.ledger_path.read_bytes() == before
    assert not settings.outbox_path.exists()


def test_plan_names_the_posts_and_urls_that_must_be_live(newsletter):
    output, settings = newsletter
    decision = plan(output, settings, now=NOW)
    assert [p.url for p in decision.to_send] == [post(1).url, post(2).url]


def test_only_the_posts_verified_live_go_out(newsletter):
    output, settings = newsletter
    report = send(output, settings, backend=outbox_backend(settings), only={post(2).post_id},
                  clock=Clock())
    assert [r.slugs for r in report.results] == [("post-2",)] and report.waiting == ["post-1"]
    assert "  left for the next run (not verified): post-1" in report.lines()
    assert ledger_states(settings) == {"post-2": "sent"}


def test_test_to_sends_a_test_first_and_records_it(newsletter):
    output, settings = newsletter
    send(output, settings, backend=outbox_backend(settings), test_to=["karen@example.org"],
         clock=Clock())
    tests = sorted((settings.outbox_path / "tests").glob("*.eml"))
    assert len(tests) == 2
    message = email.message_from_bytes(tests[0].read_bytes(), policy=policy.default)
    assert message["To"] == "karen@example.org" and message["Subject"] == "[Test] Post 1"
    entry = entries(settings)[post(1).post_id]
    assert entry["tested_to"] == ["karen@example.org"] and "tested" in entry["times"]


def test_status_lists_every_post_with_its_state(newsletter, tmp_path):
    output, settings = newsletter
    send(output, settings, backend=outbox_backend(settings), clock=Clock())
    build_output(tmp_path, [post(1, content_hash="sha256:edited"), post(3, newsletter=False),
                            post(4, status="hidden"), post(5)])
    lines = newsletter_status(output, settings, now=NOW).lines()
    assert lines[1] == ("Sends go to the local outbox: a rehearsal, not sent to subscribers "
                        "(set MAILCHIMP_API_KEY to send for real).")
    table = [line.strip() for line in lines[2:]]
    assert any(line.startswith("rehearsed           post-1  in the outbox 2026-11-24 12:0")
               and line.endswith("-post-1.eml): not sent to subscribers; edited since")
               for line in table), table
    assert any(line.startswith("rehearsed") and "post-2" in line for line in table)
    assert any("post-3" in line and "Newsletter: no" in line for line in table)
    assert any("post-4" in line and "hidden" in line for line in table)
    assert any(line.startswith("due") and "post-5" in line for line in table)


def test_a_run_while_another_holds_the_lock_sends_nothing(newsletter):
    output, settings = newsletter
    with ledger_lock(settings.ledger_path):
        with pytest.raises(LedgerLocked, match="another newsletter run"):
            send(output, settings, backend=outbox_backend(settings))
    assert not settings.outbox_path.exists()


class CheckFails(OutboxBackend):
    def check(self, campaign_id):
        return ["the from address is not verified"]


def test_a_campaign_the_backend_finds_not_ready_stops_and_resumes_later(newsletter):
    output, settings = newsletter
    with pytest.raises(SendError, match="not verified") as caught:
        send(output, settings, backend=outbox_backend(settings, CheckFails), clock=Clock())
    assert "resume" in str(caught.value)
    assert ledger_states(settings) == {"post-1": "content_set"}
    send(output, settings, backend=outbox_backend(settings), clock=Clock())
    assert ledger_states(settings) == {"post-1": "sent", "post-2": "sent"}
    assert len(delivered(settings)) == 2


class Crash(Exception):
    """Stands for the process dying: not an error the sender handles."""


class CrashingOutbox(OutboxBackend):
    """The outbox, dying once just before or just after step `crash_at`."""

    def __init__(self, *args, crash_at, when, **kwargs):
        super().__init__(*args, **kwargs)
        self.crash_at, self.when, self.crashed = crash_at, when, False

    def _step(self, name, call):
        if name == self.crash_at and self.when == "before" and not self.crashed:
            self.crashed = True
            raise Crash(name)
        result = call()
        if name == self.crash_at and self.when == "after" and not self.crashed:
            self.crashed = True
            raise Crash(name)
        return result



def _crashable(name):
    def method(self, *args):
        return self._step(name, lambda: getattr(OutboxBackend, name)(self, *args))

    return method


for _name in STEPS:
    setattr(CrashingOutbox, _name, _crashable(_name))


def assert_exactly_once(settings, posts):
    messages = delivered(settings)
    assert set(messages) == {p.post_id for p in posts}
    assert len(list((settings.outbox_path / ".campaigns").glob("*.json"))) == len(posts)
    assert set(ledger_states(settings).values()) == {"sent"}


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_then_a_resume_sends_each_post_once(newsletter, step, when):
    output, settings = newsletter
    crashing = outbox_backend(settings, CrashingOutbox, crash_at=step, when=when)
    with pytest.raises(Crash):
        send(output, settings, backend=crashing, test_to=["k@example.org"], clock=Clock())
    assert not settings.ledger_path.with_name("newsletter-ledger.json.lock").exists()
    send(output, settings, backend=outbox_backend(settings), test_to=["k@example.org"],
         clock=Clock())
    assert_exactly_once(settings, [post(1), post(2)])


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_in_a_digest_then_a_resume_sends_one_digest(tmp_path, step):
    settings = settings_for(tmp_path, NEWSLETTER_DIGEST_THRESHOLD=2)
    write_ledger(settings.ledger_path, new_ledger(NOW))
    output = build_output(tmp_path, [post(1), post(2)])
    crashing = outbox_backend(settings, CrashingOutbox, crash_at=step, when="after")
    with pytest.raises(Crash):
        send(output, settings, backend=crashing, test_to=["k@example.org"], clock=Clock())
    build_output(tmp_path, [post(3)])  # a new post meanwhile: not part of that digest
    report = send(output, settings, backend=outbox_backend(settings), clock=Clock())
    assert [r.slugs for r in report.results] == [("post-1", "post-2"), ("post-3",)]
    messages = delivered(settings)
    assert len(messages) == 2 and post(3).post_id in messages


class LostAnswer(OutboxBackend):
    """The send happens but its answer is lost (a timeout): an ambiguous failure."""

    def send(self, campaign_id):
        super().send(campaign_id)
        raise BackendError("timed out waiting for the answer")


def test_an_ambiguous_send_failure_is_resolved_by_asking_not_by_sending_again(newsletter):
    output, settings = newsletter
    with pytest.raises(SendError, match="timed out"):
        send(output, settings, backend=outbox_backend(settings, LostAnswer), clock=Clock())
    # every email is made and checked before any is sent: post 2 waits, ready
    assert ledger_states(settings) == {"post-1": "sending", "post-2": "checked"}
    report = send(output, settings, backend=outbox_backend(settings), clock=Clock())
    assert [(r.slugs, r.resumed_from) for r in report.results] == [
        (("post-1",), "sending"), (("post-2",), "checked")]
    assert_exactly_once(settings, [post(1), post(2)])


def test_the_outbox_refuses_to_send_a_campaign_twice(newsletter):
    output, settings = newsletter
    report = send(output, settings, backend=outbox_backend(settings), clock=Clock())
    with pytest.raises(BackendError, match="already sent"):
        outbox_backend(settings).send(report.results[0].campaign_id)


def test_an_email_started_with_another_backend_is_not_finished_by_this_one(newsletter):
    output, settings = newsletter
    crashing = outbox_backend(settings, CrashingOutbox, crash_at="create", when="after")
    with pytest.raises(Crash):
        send(output, settings, backend=crashing, clock=Clock())

    class Other(OutboxBackend):
        name = "mailchimp"

    with pytest.raises(SendError, match="started with the outbox backend"):
        send(output, settings, backend=outbox_backend(settings, Other), clock=Clock())


class Scheduling(OutboxBackend):
    """Schedules instead of sending; the campaign goes out when `go` is set."""

    name = "scheduler"
    go = False

    def send(self, campaign_id):
        return Delivery("scheduled", NOW + timedelta(hours=1))

    def get(self, campaign_id):
        campaign = super().get(campaign_id)
        return replace(campaign, status="sent" if self.go else "scheduled")


def test_scheduled_campaigns_become_sent_when_the_backend_says_so(newsletter):
    output, settings = newsletter
    send(output, settings, backend=outbox_backend(settings, Scheduling), clock=Clock())
    assert ledger_states(settings) == {"post-1": "scheduled", "post-2": "scheduled"}
    assert send(output, settings, backend=outbox_backend(settings, Scheduling)).results == []
    assert ledger_states(settings) == {"post-1": "scheduled", "post-2": "scheduled"}
    Scheduling.go = True
    try:
        report = send(output, settings, backend=outbox_backend(settings, Scheduling))
    finally:
        Scheduling.go = False
    assert report.synced == ["post-1", "post-2"] and report.results == []
    assert ledger_states(settings) == {"post-1": "sent", "post-2": "sent"}


KILLER = """
import json, os, signal, sys
from possibility.core.newsletter.backends import OutboxBackend
from possibility.commands.send import send
from possibility.core.newsletter.settings import read_settings

settings = read_settings(json.loads({settings!r}))

class Killed(OutboxBackend):
    pass

def die_after(name):
    def method(self, *args):
        result = getattr(OutboxBackend, name)(self, *args)
        if name == {step!r}:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    return method

for name in {steps!r}:
    setattr(Killed, name, die_after(name))

backend = Killed(settings.outbox_path, from_address=settings.from_address,
                 to_address=settings.to_address, site_name=settings.site_name,
                 domain=settings.domain)
send({output!r}, settings, backend=backend, test_to=["k@example.org"])
"""


@pytest.mark.parametrize("step", STEPS)
def test_a_process_killed_right_after_any_step_is_resumed_without_a_duplicate(tmp_path, step):
    values = {"PATH": str(tmp_path / "content"), "SITEURL": SITE.url, "SITENAME": SITE.name,
              "NEWSLETTER_GROUPS": ["Articles"]}
    settings = read_settings(values)
    write_ledger(settings.ledger_path, new_ledger(NOW))
    output = build_output(tmp_path, [post(1)])
    script = KILLER.format(settings=json.dumps(values), step=step,
                           steps=STEPS, output=str(output))
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False)
    assert run.returncode == -signal.SIGKILL, run.stderr.decode()
    assert ledger_states(settings) != {"post-1": "sent"}
    send(output, settings, backend=outbox_backend(settings), clock=Clock())
    assert_exactly_once(settings, [post(1)])


# invoke new-post's sample text: never sent (issue 12) -------------------------------------


SUMMARY_IS_SAMPLE = ("field 'Summary' is still new-post's sample text: write one or two "
                     "sentences of your own")


def test_a_post_with_new_posts_sample_text_is_never_sent(tmp_path):
    settings = settings_for(tmp_path)
    write_ledger(settings.ledger_path, new_ledger(NOW - timedelta(days=30)))
    before = settings.ledger_path.read_bytes()
    sample = post(1, source="posts/post-1.md", summary_html=f"<p>{SAMPLE_SUMMARY}</p>")
    output = build_output(tmp_path, [sample, post(2, source="posts/post-2.md")])
    # from the built email (no sources to read): its Summary is the sample
    for dry_run in (True, False):
        with pytest.raises(SampleTextError) as refused:
            send(output, settings, backend=outbox_backend(settings), dry_run=dry_run)
        assert str(refused.value) == (
            "nothing was sent: a post still has invoke new-post's sample text:\n"
            f"  posts/post-1.md: {SUMMARY_IS_SAMPLE}")
    with pytest.raises(SampleTextError):
        send_tests(output, settings, ["k@example.org"], backend=outbox_backend(settings))
    assert not settings.outbox_path.exists() and settings.ledger_path.read_bytes() == before
    # from its source, as written: the Summary is the author's, the body is not
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    source = content / "posts" / "post-1.md"
    source.write_text(f"Title: Post 1\nSummary: In my own words.\n\n{SAMPLE_BODY}\n")
    (content / "posts" / "post-2.md").write_text("Title: Post 2\n\nWritten.\n")
    with pytest.raises(SampleTextError) as refused:
        send(output, settings, backend=outbox_backend(settings), content_path=content)
    assert str(refused.value).splitlines()[1:] == [
        "  content/posts/post-1.md: the body is still new-post's sample text (\"Write the post "
        "here. Remove 'Status: draft' when it is ready to publish.\"): write the post in its "
        "place"]
    status_lines = newsletter_status(output, settings, now=NOW, content_path=content).lines()
    assert status_lines[-1].startswith("  not sendable: content/posts/post-1.md: the body is")
    assert settings.ledger_path.read_bytes() == before
    source.write_text("Title: Post 1\nSummary: In my own words.\n\nThe post, written.\n")
    report = send(output, settings, backend=outbox_backend(settings), content_path=content,
                  clock=Clock())
    assert [r.slugs for r in report.results] == [("post-1",), ("post-2",)]


# newsletter-test: a test of each due email, to the given addresses only ---------------------


def test_send_tests_reach_only_the_addresses_and_change_nothing(newsletter):
    output, settings = newsletter
    before = settings.ledger_path.read_bytes()
    report = send_tests(output, settings, ["karen@example.org, editor@example.org"],
                        backend=outbox_backend(settings))
    tests = sorted((settings.outbox_path / "tests").glob("*.eml"))
    messages = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in tests]
    assert sorted(m["Subject"] for m in messages) == ["[Test] Post 1", "[Test] Post 2"]
    assert {m["To"] for m in messages} == {"karen@example.org, editor@example.org"}
    assert list(settings.outbox_path.glob("*.eml")) == []  # the list received nothing
    assert list((settings.outbox_path / ".campaigns").iterdir()) == []  # drafts deleted
    assert settings.ledger_path.read_bytes() == before
    lines = report.lines()
    assert lines[0] == ("Test emails via outbox to karen@example.org, editor@example.org only: "
                        "nothing is sent to the list, and the ledger is unchanged.")
    assert re.fullmatch(r"  tested: post-1: 'Post 1' \(for Articles; \d+\.\d KB of HTML\), "
                        r"draft outbox-\w+ deleted after its test", lines[1]), lines[1]
    # the real send afterwards: each post once, from a draft of its own
    sent = send(output, settings, backend=outbox_backend(settings), clock=Clock())
    assert [r.slugs for r in sent.results] == [("post-1",), ("post-2",)]
    assert len(delivered(settings)) == 2
    assert send_tests(output, settings, ["k@example.org"], backend=outbox_backend(
        settings)).lines()[1:] == ["  nothing is due: no test email sent."]


def test_send_tests_leave_an_email_whose_send_stopped_half_way(newsletter):
    output, settings = newsletter
    with pytest.raises(Crash):
        send(output, settings, backend=outbox_backend(settings, CrashingOutbox,
                                                      crash_at="check", when="before"))
    states = ledger_states(settings)
    report = send_tests(output, settings, ["k@example.org"], backend=outbox_backend(settings))
    assert report.left == ["post-1: its send stopped at 'content_set'; invoke newsletter-send "
                           "finishes it"]
    assert [line.split(":")[0] for line in report.tested] == ["post-2"]
    assert ledger_states(settings) == states


@pytest.mark.parametrize("addresses, says", [
    ([], "no address to send the test emails to"),
    (["karen@example.org", "karen"], "'karen' is not an email address"),
])
def test_send_tests_need_addresses(newsletter, addresses, says):
    output, settings = newsletter
    with pytest.raises(NewsletterError, match=says):
        send_tests(output, settings, addresses, backend=outbox_backend(settings))
    assert not settings.outbox_path.exists()
