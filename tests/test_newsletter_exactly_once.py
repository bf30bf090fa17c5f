"""Exactly once across machines and mishaps (issue 13), against the Mailchimp test server
behind Prism (every request and answer checked against Mailchimp's OpenAPI document).

- Two publishers at once: two processes, each in its own folder with its own built emails
  and its own ledger, released together by a barrier, 20 times over. After every round
  each post has exactly one sent campaign and no draft is left; after a last run of each
  (a "pull"), both ledgers agree with Mailchimp. Rounds vary: one post, a digest, a
  ledger that lost its last commit, a checkout that lacks the newest post.
- Each mishap of the issue, reproduced: a stale ledger with a digest (2), a refused group
  fixed in the front matter (3), a draft deleted in Mailchimp (4), a create that lands
  after its timeout or survives a SIGKILL (5), a test email whose answer was lost (6), and
  the words and figures (7).

The emails are built by hand (meta.json and the rendered parts, as the build writes them,
see test_newsletter_send.py) so a round takes about a second: most of it is the pipeline's
own fence before its first irreversible step (Mailchimp's create_time has whole seconds).
It is one second here, not SETTLE's two: the test server and the publishers share one
clock. Nothing here sleeps to wait for something: the server's hooks and held requests
order what happens, and the processes are waited for.
"""

import json
import select
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from test_mailchimp_backend_support import auth_headers, make_backend, seed_campaigns
from test_newsletter_send import NOW, SITE, build_output, post

from possibility.commands.send import SendError, send
from possibility.core.newsletter.ledger import new_ledger, read_ledger, write_ledger
from possibility.core.newsletter.settings import read_settings

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 20
SETTLE = 1.0  # the test server's create_time has whole seconds, like Mailchimp's
PUBLISHER = """
import json, sys
from possibility.commands.send import send
from possibility.core.newsletter.backends.mailchimp_api import MailchimpApi, RetryPolicy
from possibility.core.newsletter.backends.mailchimp_backend import MailchimpBackend
from possibility.core.newsletter.settings import read_settings

config = json.loads(sys.argv[1])
print("ready", flush=True)
if sys.stdin.readline().strip() != "go":  # the barrier: both wait here until released
    sys.exit(3)
settings = read_settings(config["values"])
api = MailchimpApi(config["key"], config["url"], timeout=10,
                   retry=RetryPolicy(attempts=5, base=0.05, cap=1.0))
interests = {name: tuple(ids) for name, ids in config["interests"].items()}
backend = MailchimpBackend(api, list_id=config["list_id"], interests=interests,
                           settle=config["settle"])
report = send(config["output"], settings, backend=backend, test_to=config["test_to"])
print(json.dumps(report.lines()))
"""


class Clone:
    """One checkout of the site: its own built emails (output/) and its own ledger."""

    def __init__(self, folder, **overrides):
        self.folder = Path(folder)
        self.values = {"PATH": str(self.folder / "content"), "SITEURL": SITE.url,
                       "SITENAME": SITE.name, "SITESUBTITLE": SITE.tagline,
                       "NEWSLETTER_GROUPS": ["Articles", "Events"], **overrides}
        self.settings = read_settings(self.values)
        self.output = self.folder / "output"
        self.output.mkdir(parents=True, exist_ok=True)
        write_ledger(self.settings.ledger_path, new_ledger(NOW - timedelta(days=365)))

    def add(self, *posts):
        """The author writes (or edits) posts, and this checkout builds them."""
        build_output(self.folder, posts)

    def ledger_text(self):
        return self.settings.ledger_path.read_text(encoding="utf-8")

    def restore(self, text):
        """The ledger as it was: its last commit was lost (a rejected push, say)."""
        self.settings.ledger_path.write_text(text, encoding="utf-8")

    def entries(self):
        return read_ledger(self.settings.ledger_path)["posts"]

    def send(self, mailchimp_api, **options):
        test_to = options.pop("test_to", ())
        return send(self.output, self.settings, backend=make_backend(mailchimp_api, **options),
                    test_to=test_to)


def interests_of(server, names=None):
    return {name: (server.interest_category_id, interest_id)
            for name, interest_id in server.interest_ids.items()
            if names is None or name in names}


def sent_campaigns(server, posts):
    """post id -> ids of the sent campaigns whose email carries the post (links to it)."""
    found = {p.post_id: [] for p in posts}
    for campaign_id, campaign in server.campaigns.items():
        if campaign["status"] not in ("sent", "sending"):
            continue
        for item in posts:
            if f'href="{item.url}"' in campaign["content"]["html"]:
                found[item.post_id].append(campaign_id)
    return found


def drafts(server):
    return sorted(cid for cid, c in server.campaigns.items() if c["status"] == "save")


def assert_each_sent_once(server, posts):
    """Every post in exactly one sent campaign, and no draft left in the account."""
    found = sent_campaigns(server, posts)
    twice = {p.slug: found[p.post_id] for p in posts if len(found[p.post_id]) != 1}
    assert not twice, f"posts not sent exactly once: {twice}"
    assert drafts(server) == [], "drafts left in Mailchimp"
    return {pid: ids[0] for pid, ids in found.items()}


def assert_ledger_agrees(clone, server, posts):
    """The ledger says sent, in the campaign Mailchimp shows carrying the post."""
    carried = assert_each_sent_once(server, posts)
    entries = clone.entries()
    for item in posts:
        entry = entries.get(item.post_id, {})
        assert (entry.get("state"), entry.get("campaign_id")) == (
            "sent", carried[item.post_id]), (clone.folder.name, item.slug, entry)


def delete_campaign(server, campaign_id):
    """The author deletes a campaign in Mailchimp's web app."""
    status, _ = server.dispatch("DELETE", f"/campaigns/{campaign_id}", {},
                                auth_headers(server.api_key), b"")
    assert status == 204


# Two publishers at once -----------------------------------------------------------------


class Publisher:
    """`invoke publish`'s send in a process of its own, blocked on a barrier until `go`."""

    def __init__(self, clone, mailchimp_api, test_to=()):
        server = mailchimp_api.server
        config = {"values": clone.values, "output": str(clone.output),
                  "key": mailchimp_api.api_key, "url": mailchimp_api.base_url,
                  "list_id": mailchimp_api.list_id, "interests": interests_of(server),
                  "settle": SETTLE, "test_to": list(test_to)}
        self.name = clone.folder.name
        self.process = subprocess.Popen(
            [sys.executable, "-c", PUBLISHER, json.dumps(config)], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_ready(self):
        line = self.process.stdout.readline()
        assert line == "ready\n", (line, self.process.stderr.read())

    def go(self):
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def finish(self, timeout=60):
        out, err = self.process.communicate(timeout=timeout)
        assert self.process.returncode == 0, f"{self.name} failed:\n{out}\n{err}"
        return json.loads(out.splitlines()[-1])

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate(timeout=10)


def release_together(publishers):
    """The barrier: both processes are up and waiting; one write each lets them go."""
    for publisher in publishers:
        publisher.wait_ready()
    ready = [p.process.stdin for p in publishers]
    _, writable, _ = select.select([], ready, [], 10)
    assert len(writable) == len(ready)
    for publisher in publishers:
        publisher.go()


def round_posts(k, first):
    """The new posts of round k, numbered from `first`: 3 (a digest) or 1 or 2."""
    count = (3, 1, 1, 2, 3)[k % 5]
    return [post(n) for n in range(first, first + count)]


def test_two_publishers_at_once_send_every_post_exactly_once(tmp_path, mailchimp_api):
    server = mailchimp_api.server
    clones = [Clone(tmp_path / name, NEWSLETTER_DIGEST_THRESHOLD=3) for name in "ab"]
    published = []
    before = {clone.folder.name: clone.ledger_text() for clone in clones}
    pending = [Publisher(clone, mailchimp_api) for clone in clones]
    running = []
    try:
        for k in range(ROUNDS):
            new = round_posts(k, len(published) + 1)
            a, b = clones
            a.add(*new)
            b.add(*(new[:-1] if k % 5 == 4 else new))  # b has not pulled the newest post yet
            if k % 5 == 2:
                b.restore(before["b"])  # b's ledger lost the last round's commit
            if k % 5 == 3:
                a.restore(before["a"])  # and now a's
            before = {clone.folder.name: clone.ledger_text() for clone in clones}
            running, pending = pending, []
            release_together(running)
            if k + 1 < ROUNDS:
                pending = [Publisher(clone, mailchimp_api) for clone in clones]
            for publisher in running:
                publisher.finish()
            running = []
            published += new
            b.add(*new)  # b pulls what it lacked
            assert_each_sent_once(server, published)
    finally:
        for publisher in running + pending:
            publisher.kill()

    made = len(server.calls("POST", r"^/campaigns$"))
    assert made > len(server.campaigns), "the publishers never raced: the test proves little"
    assert all(c["status"] == "sent" for c in server.campaigns.values())
    for clone in clones:  # the pull: each reconciles with Mailchimp on its next run
        assert clone.send(mailchimp_api).results == []
        assert_ledger_agrees(clone, server, published)


# The mishaps of the issue, one by one -----------------------------------------------------


def test_a_stale_ledger_and_a_digest_do_not_send_a_post_again(tmp_path, mailchimp_api):
    """(2) The ledger's commit of post 1 was lost; two more posts make three due: the
    digest leaves post 1 out, and the ledger learns where it went."""
    server = mailchimp_api.server
    clone = Clone(tmp_path, NEWSLETTER_DIGEST_THRESHOLD=3)
    committed = clone.ledger_text()
    clone.add(post(1))
    clone.send(mailchimp_api)
    [first] = server.campaigns
    clone.restore(committed)
    clone.add(post(2), post(3))

    report = clone.send(mailchimp_api)

    assert_ledger_agrees(clone, server, [post(1), post(2), post(3)])
    assert clone.entries()[post(1).post_id]["campaign_id"] == first
    assert [r.slugs for r in report.results] == [("post-2",), ("post-3",)]


def test_a_digest_leaves_out_a_post_that_another_publisher_sent_meanwhile(tmp_path,
                                                                         mailchimp_api):
    """(2, per post) Another machine sent post 2 on its own; this one's ledger has never
    heard of it, and plans a digest of posts 1 to 4: post 2 is left out of it."""
    server = mailchimp_api.server
    other = Clone(tmp_path / "other", NEWSLETTER_DIGEST_THRESHOLD=3)
    other.add(post(2))
    other.send(mailchimp_api)
    clone = Clone(tmp_path / "here", NEWSLETTER_DIGEST_THRESHOLD=3)
    clone.add(post(1), post(2), post(3), post(4))

    report = clone.send(mailchimp_api)

    posts = [post(n) for n in (1, 2, 3, 4)]
    assert_ledger_agrees(clone, server, posts)
    [digest] = report.results
    assert digest.kind == "digest" and digest.slugs == ("post-1", "post-3", "post-4")


def test_a_fixed_newsletter_groups_is_used_after_a_refused_group(tmp_path, mailchimp_api):
    """(3) The list has no 'Events' group: the send stops before creating anything. The
    author fixes the front matter; the next run targets the fixed group."""
    server = mailchimp_api.server
    clone = Clone(tmp_path)
    articles_only = interests_of(server, ["Articles"])
    clone.add(post(1, groups=("Events",)))
    with pytest.raises(SendError, match="no interest group 'Events'"):
        clone.send(mailchimp_api, interests=articles_only)
    assert server.campaigns == {}

    clone.add(post(1, groups=("Articles",)))
    clone.send(mailchimp_api, interests=articles_only)

    [campaign] = server.campaigns.values()
    assert campaign["status"] == "sent"
    assert campaign["recipients"]["segment_opts"]["conditions"][0]["value"] == [
        server.interest_ids["Articles"]]
    assert clone.entries()[post(1).post_id]["groups"] == ["Articles"]


def test_a_draft_whose_groups_and_subject_changed_is_updated_before_it_goes(tmp_path,
                                                                           mailchimp_api):
    """(3, after the create) The run stopped with its draft made; the author then changed
    the post's groups and subject: the draft goes out as the post now says."""
    server = mailchimp_api.server
    clone = Clone(tmp_path)
    clone.add(post(1))
    server.faults.add("503", method="GET", path_regex=r"/send-checklist$", times=None)
    with pytest.raises(SendError):
        clone.send(mailchimp_api)
    server.faults.clear()
    clone.add(post(1, groups=("Events",), subject="A better subject",
                  content_hash="sha256:edited"))

    clone.send(mailchimp_api)

    [campaign] = server.campaigns.values()
    assert campaign["status"] == "sent"
    assert campaign["settings"]["subject_line"] == "A better subject"
    assert campaign["recipients"]["segment_opts"]["conditions"][0]["value"] == [
        server.interest_ids["Events"]]
    entry = clone.entries()[post(1).post_id]
    assert (entry["groups"], entry["subject"], entry["content_hash"]) == (
        ["Events"], "A better subject", "sha256:edited")


@pytest.mark.parametrize("stopped_at, method, path", [
    ("created", "PUT", r"/content$"),
    ("content_set", "GET", r"/send-checklist$"),
    ("checked", "POST", r"/actions/test$"),
])
def test_a_draft_deleted_in_mailchimp_is_made_again(tmp_path, mailchimp_api, stopped_at,
                                                   method, path):
    """(4) The run stopped with its draft made; the author deleted the draft in Mailchimp.
    The next run makes it again and sends it."""
    server = mailchimp_api.server
    clone = Clone(tmp_path)
    clone.add(post(1))
    server.faults.add("503", method=method, path_regex=path, times=None)
    with pytest.raises(SendError):
        clone.send(mailchimp_api, test_to=["karen@example.org"])
    server.faults.clear()
    assert clone.entries()[post(1).post_id]["state"] == stopped_at
    [deleted] = server.campaigns
    delete_campaign(server, deleted)

    report = clone.send(mailchimp_api, test_to=["karen@example.org"])

    assert_ledger_agrees(clone, server, [post(1)])
    assert deleted not in server.campaigns
    assert [t["campaign_id"] for t in server.test_sends] == list(server.campaigns)
    assert f"its draft {deleted} was deleted in mailchimp: made again" in report.lines()[1]


def land_late(server, held, earlier):
    """When the rerun's create has been applied, let the held (lost) create land too,
    as made a few seconds before it (`earlier`) or after it."""
    def hook(record):
        clock = server.clock
        moment = clock() + timedelta(seconds=-5 if earlier else 5)
        server.clock = lambda: moment
        try:
            held.release.set()
            assert held.applied.wait(10)
        finally:
            server.clock = clock
    server.hooks.add(hook, method="POST", path_regex=r"^/campaigns$")


@pytest.mark.parametrize("earlier", [True, False], ids=["late-create-older", "late-create-newer"])
def test_a_create_that_lands_after_its_timeout_leaves_one_campaign(tmp_path, mailchimp_api,
                                                                  earlier):
    """(5) The create's answer never comes in time; the author runs again at once, and the
    lost create lands right after the new run's own: one campaign goes out, none is left."""
    server = mailchimp_api.server
    clone = Clone(tmp_path)
    clone.add(post(1))
    held = server.faults.add("hold", method="POST", path_regex=r"^/campaigns$")
    with pytest.raises(SendError, match="run again"):
        clone.send(mailchimp_api, timeout=0.3)
    land_late(server, held, earlier)

    clone.send(mailchimp_api)

    assert held.applied.is_set() and len(server.calls("POST", r"^/campaigns$")) == 2
    assert_ledger_agrees(clone, server, [post(1)])
    assert len(server.campaigns) == 1


def start_send(clone, mailchimp_api, test_to=()):
    """The send in a process of its own (to be killed), configured as the race's are."""
    publisher = Publisher(clone, mailchimp_api, test_to=test_to)
    release_together([publisher])
    return publisher


@pytest.mark.parametrize("earlier", [True, False], ids=["late-create-older", "late-create-newer"])
def test_a_create_in_flight_when_the_run_is_killed_leaves_one_campaign(tmp_path,
                                                                      mailchimp_api, earlier):
    """(5) SIGKILL while the create is in flight; it lands after the next run's create."""
    server = mailchimp_api.server
    clone = Clone(tmp_path)
    clone.add(post(1))
    held = server.faults.add("hold", method="POST", path_regex=r"^/campaigns$")
    publisher = start_send(clone, mailchimp_api)
    assert held.arrived.wait(20)
    publisher.process.send_signal(signal.SIGKILL)
    publisher.process.communicate(timeout=10)
    assert clone.entries()[post(1).post_id]["state"] == "creating"
    land_late(server, held, earlier)

    clone.send(mailchimp_api)

    assert_ledger_agrees(clone, server, [post(1)])
    assert len(server.campaigns) == 1


def test_a_test_email_whose_answer_was_lost_is_not_sent_again(tmp_path, mailchimp_api):
    """(6) Mailchimp sends the test but its answer is lost: no second test; the report
    says the test may have gone, and the campaign goes out."""
    server = mailchimp_api.server
    clone = Clone(tmp_path)
    clone.add(post(1))
    server.faults.add("500", method="POST", path_regex=r"/actions/test$", after=True)

    report = clone.send(mailchimp_api, test_to=["karen@example.org"])

    assert len(server.test_sends) == 1
    assert len(server.calls("POST", r"/actions/test$")) == 1
    assert_ledger_agrees(clone, server, [post(1)])
    [line] = [line for line in report.lines() if "post-1" in line]
    assert "test to karen@example.org: its answer was lost; not sent again" in line


def test_a_test_email_in_flight_when_the_run_is_killed_is_not_sent_again(tmp_path,
                                                                        mailchimp_api):
    """(6) SIGKILL after Mailchimp sent the test, before the answer: the next run does not
    send another test, says so, and sends the campaign."""
    server = mailchimp_api.server
    clone = Clone(tmp_path)
    clone.add(post(1))
    held = server.faults.add("hold", method="POST", path_regex=r"/actions/test$", after=True)
    publisher = start_send(clone, mailchimp_api, test_to=["karen@example.org"])
    assert held.applied.wait(20)
    publisher.process.send_signal(signal.SIGKILL)
    publisher.process.communicate(timeout=10)
    server.faults.clear()

    report = clone.send(mailchimp_api, test_to=["karen@example.org"])

    assert len(server.test_sends) == 1
    assert_ledger_agrees(clone, server, [post(1)])
    [line] = [line for line in report.lines() if "post-1" in line]
    assert "test to karen@example.org: its answer was lost; not sent again" in line


def test_a_failed_send_does_not_say_nothing_to_send(tmp_path, mailchimp_api):
    """(7) The report printed above the error says what happened, not "nothing to send"."""
    server = mailchimp_api.server
    clone = Clone(tmp_path)
    clone.add(post(1))
    server.faults.add("503", method="POST", path_regex=r"^/campaigns$", times=None)
    with pytest.raises(SendError) as stopped:
        clone.send(mailchimp_api)
    lines = stopped.value.report.lines()
    assert not any("nothing to send" in line for line in lines), lines


@pytest.mark.parametrize("audience", [False, True], ids=["groups-read", "audience-file"])
@pytest.mark.parametrize("count, kinds, cost", [
    (1, ["post"], 9), (2, ["post", "post"], 14), (3, ["digest"], 9)])
def test_what_new_posts_cost_in_requests(tmp_path, mailchimp_api, capsys, count, kinds, cost,
                                         audience):
    """(7) The figures in README and the backend's docstring: new posts one email each, or
    a digest of three, with the group ids read from Mailchimp or given by a matching
    audience file (2 requests fewer), in an account of 10 campaigns and of 2,000 (one
    more page of the list to read)."""
    server = mailchimp_api.server
    costs = {}
    for existing in (10, 2000):
        server.reset()
        seed_campaigns(server, existing)
        clone = Clone(tmp_path / f"{existing}", NEWSLETTER_DIGEST_THRESHOLD=3)
        clone.add(*[post(n, post_id=f"urn:uuid:9a7c1e55-0000-4000-8000-{n:012d}")
                    for n in range(1, count + 1)])
        options = {"interests": interests_of(server)} if audience else {}
        report = clone.send(mailchimp_api, **options)
        assert [r.kind for r in report.results] == kinds
        costs[existing] = len(server.requests)
    with capsys.disabled():
        print(f"\nrequests for {count} new post(s) ({' + '.join(kinds)}), "
              f"{'audience file' if audience else 'group ids read'}: {costs}")
    base = cost - 2 if audience else cost
    assert costs == {10: base, 2000: base + 1}


def test_ledgers_lacking_newer_fields_still_read(tmp_path, mailchimp_api):
    """A ledger committed before this change (no 'testing' state, no fields added here)
    resumes as before."""
    clone = Clone(tmp_path)
    clone.add(post(1))
    data = json.loads(clone.ledger_text())
    data["posts"][post(1).post_id] = {
        "backend": "mailchimp", "content_hash": "sha256:1", "email": post(1).post_id,
        "groups": ["Articles"], "kind": "post", "slug": "post-1", "state": "creating",
        "subject": "Post 1", "times": {"creating": "2026-11-20T10:00:00Z"},
        "title": "Post 1"}
    clone.restore(json.dumps(data))
    clone.send(mailchimp_api)
    assert_ledger_agrees(clone, mailchimp_api.server, [post(1)])
