"""The Mailchimp backend through the real sender and a real build, against the test server
behind Prism: the whole path with interest groups, reconciling with what Mailchimp
already has, and what a new post costs in requests whatever the size of the archive.
(Two publishers at once, and the mishaps of issue 13: test_newsletter_exactly_once.py.)"""

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from test_mailchimp_backend_support import (
    CAREER,
    REAL_POSTS,
    WORK,
    api_calls,
    assert_exactly_once,
    auth_headers,
    by_key,
    ledger_entries,
    make_backend,
    newsletter_settings,
    real_newsletter,
    seed_campaigns,
    start_ledger,
)

from possibility.commands.send import FirstRunError, SendError, baseline, send
from possibility.core.newsletter.backends.mailchimp_backend import MailchimpBackend, short_id
from possibility.core.newsletter.model import PostRecord, write_record

NEW_POST = """Title: What Curiosity Makes Possible
Date: 2021-06-01 09:00
Author: Karen Steinberg
Category: Executive Coaching
Slug: what-curiosity-makes-possible
Post-Id: 9a7c1e55-2b4d-4f6e-8a1c-3d5e7f9b1c2d
Newsletter-Groups: Events, Articles
Summary: A new post, written after the newsletter started.

Curiosity opens doors. [Book a session]({filename}/pages/contact.md).
"""
NEW_KEY = "urn:uuid:9a7c1e55-2b4d-4f6e-8a1c-3d5e7f9b1c2d"
EMAIL_HTML = "<p>Hello</p><p>*|UNSUB|* *|HTML:LIST_ADDRESS_HTML|*</p>"


@pytest.fixture
def newsletter(production_site, tmp_path):
    return real_newsletter(production_site, tmp_path)


def test_a_new_post_for_two_groups_goes_out_once_as_a_targeted_campaign(site, mailchimp_api):
    site.write_post("what-curiosity-makes-possible.md", NEW_POST)
    site.build()
    settings = newsletter_settings(site.content, site.folder / "ledger.json")
    start_ledger(site.output, settings, send=("what-curiosity-makes-possible",))
    server = mailchimp_api.server

    report = send(site.output, settings, backend=make_backend(mailchimp_api),
                  test_to=["karen@example.org"])

    [result] = report.results
    [(campaign_id, campaign)] = server.campaigns.items()
    assert (result.state, result.campaign_id, result.backend) == ("sent", campaign_id,
                                                                   "mailchimp")
    assert campaign["status"] == "sent" and campaign["type"] == "regular"
    assert campaign["settings"]["title"] == \
        f"what-curiosity-makes-possible [p {short_id(NEW_KEY)}]"
    assert campaign["settings"]["subject_line"] == "What Curiosity Makes Possible"
    assert campaign["settings"]["preview_text"] == \
        "A new post, written after the newsletter started."
    assert (campaign["settings"]["from_name"], campaign["settings"]["reply_to"]) == (
        "The Possibility Practice", "hello@thepossibilitypractice.com")  # list defaults
    assert campaign["recipients"]["segment_opts"] == {"match": "any", "conditions": [{
        "condition_type": "Interests", "field": f"interests-{server.interest_category_id}",
        "op": "interestcontains",
        "value": [server.interest_ids["Articles"], server.interest_ids["Events"]]}]}
    built = site.output / "newsletter" / "what-curiosity-makes-possible"
    assert campaign["content"] == {
        "html": json.loads((built / "meta.json").read_text(encoding="utf-8"))["html"],
        "plain_text": (built / "email.txt").read_text(encoding="utf-8")}
    assert server.test_sends == [{"campaign_id": campaign_id,
                                  "test_emails": ["karen@example.org"], "send_type": "html"}]
    entry = ledger_entries(settings)["what-curiosity-makes-possible"]
    assert entry["backend"] == "mailchimp" and entry["tested_to"] == ["karen@example.org"]
    assert_exactly_once(server, settings, ["what-curiosity-makes-possible"])
    assert mailchimp_api.api_key not in settings.ledger_path.read_text(encoding="utf-8")
    assert api_calls(server) == [
        ("GET", "/campaigns"),
        ("GET", f"/lists/{server.list_id}"),
        ("GET", f"/lists/{server.list_id}/interest-categories"),
        ("GET", f"/lists/{server.list_id}/interest-categories/{server.interest_category_id}"
                "/interests"),
        ("POST", "/campaigns"),
        ("PUT", f"/campaigns/{campaign_id}/content"),
        ("GET", f"/campaigns/{campaign_id}/send-checklist"),
        ("GET", "/campaigns"),  # look again: does this campaign hold its post?
        ("POST", f"/campaigns/{campaign_id}/actions/test"),
        ("GET", "/campaigns"),  # and again, right before the send
        ("POST", f"/campaigns/{campaign_id}/actions/send"),
    ]
    survey, *looks = server.calls("GET", "^/campaigns$")
    assert survey.query["sort_dir"] == "ASC" and "since_create_time" not in survey.query
    assert all(look.query["sort_dir"] == "DESC" for look in looks)

    server.requests.clear()
    assert send(site.output, settings, backend=make_backend(mailchimp_api)).results == []
    assert server.requests == [] and len(server.campaigns) == 1


def test_interest_ids_from_a_synced_audience_file_save_the_lookups(newsletter, mailchimp_api):
    output, settings = newsletter
    server = mailchimp_api.server
    interests = {name: (server.interest_category_id, interest_id)
                 for name, interest_id in server.interest_ids.items()}
    send(output, settings, backend=make_backend(mailchimp_api, interests=interests))
    assert not server.calls("GET", "interest")
    assert_exactly_once(server, settings, [CAREER, WORK])


def test_an_unknown_group_stops_before_anything_is_created(newsletter, mailchimp_api):
    output, settings = newsletter
    interests = {"Articles-renamed": ("c", "i")}
    with pytest.raises(SendError, match="no interest group 'Articles'"):
        send(output, settings, backend=make_backend(mailchimp_api, interests=interests))
    assert mailchimp_api.server.campaigns == {}
    assert not mailchimp_api.server.calls("POST")
    assert {e["state"] for e in ledger_entries(settings).values() if "email" in e} == {
        "creating"}


def test_a_campaign_that_is_not_ready_stops_with_mailchimps_reasons(newsletter,
                                                                     mailchimp_api):
    output, settings = newsletter
    server = mailchimp_api.server
    unready = make_backend(mailchimp_api)
    unready.set_content = lambda campaign_id, email: None  # the content never arrives
    with pytest.raises(SendError) as stopped:
        send(output, settings, backend=unready)
    assert "mailchimp says is-your-career-off-track is not ready to send" in str(stopped.value)
    assert "Content: You need to add content to your campaign." in str(stopped.value)
    [campaign_id] = server.campaigns  # the author adds the content in Mailchimp, runs again
    server.dispatch("PUT", f"/campaigns/{campaign_id}/content", {},
                    auth_headers(server.api_key), json.dumps({"html": EMAIL_HTML}).encode())
    send(output, settings, backend=make_backend(mailchimp_api))
    assert_exactly_once(server, settings, [CAREER, WORK])


@pytest.mark.parametrize("status, state", [("sent", "sent"), ("schedule", "scheduled")])
def test_a_campaign_already_in_mailchimp_is_recorded_not_sent_again(newsletter, mailchimp_api,
                                                                    status, state):
    """A ledger that lags (the send ran on another machine, its ledger not pulled yet)."""
    output, settings = newsletter
    server = mailchimp_api.server
    other = make_backend(mailchimp_api, send_mode="schedule" if status == "schedule" else "send")
    other_settings = replace(settings, ledger_path=settings.ledger_path.with_name("other.json"))
    shutil.copy(settings.ledger_path, other_settings.ledger_path)
    send(output, other_settings, backend=other)
    server.requests.clear()

    send(output, settings, backend=make_backend(mailchimp_api))

    assert not server.calls("POST") and len(server.campaigns) == 2
    assert {e["state"] for e in ledger_entries(settings).values() if "email" in e} == {state}
    assert ({e["campaign_id"] for e in ledger_entries(settings).values() if "email" in e}
            == set(server.campaigns))


def test_a_draft_left_by_a_run_that_lost_track_is_reused(newsletter, mailchimp_api):
    output, settings = newsletter
    server = mailchimp_api.server
    body = {"type": "regular", "recipients": {"list_id": server.list_id}, "settings": {
        "title": f"{CAREER} [{REAL_POSTS[CAREER]}]", "subject_line": "Old subject",
        "from_name": "x", "reply_to": "x@example.org"}}
    _, draft = server.dispatch("POST", "/campaigns", {}, auth_headers(server.api_key),
                               json.dumps(body).encode())

    send(output, settings, backend=make_backend(mailchimp_api))

    assert_exactly_once(server, settings, [CAREER, WORK])
    assert ledger_entries(settings)[CAREER]["campaign_id"] == draft["id"]
    assert server.campaigns[draft["id"]]["settings"]["subject_line"] == \
        "Is Your Career Off Track?"  # brought up to date before it went


def test_a_campaign_whose_send_was_cancelled_stops_for_a_human(newsletter, mailchimp_api):
    output, settings = newsletter
    server = mailchimp_api.server
    body = {"type": "regular", "recipients": {"list_id": server.list_id}, "settings": {
        "title": f"{CAREER} [{REAL_POSTS[CAREER]}]", "subject_line": "s"}}
    _, made = server.dispatch("POST", "/campaigns", {}, auth_headers(server.api_key),
                              json.dumps(body).encode())
    with server._lock:  # cancelled half-way through sending, in Mailchimp's web app
        server._campaigns[made["id"]]["status"] = "canceled"
    with pytest.raises(SendError, match=f"campaign {made['id']} is 'canceled'.*by hand"):
        send(output, settings, backend=make_backend(mailchimp_api))
    assert list(server.campaigns) == [made["id"]]


def test_from_name_and_reply_to_settings_override_the_list_defaults(newsletter,
                                                                     mailchimp_api):
    output, settings = newsletter
    send(output, settings, backend=make_backend(
        mailchimp_api, from_name="Karen Steinberg", reply_to="karen@thepossibilitypractice.com"))
    assert {(c["settings"]["from_name"], c["settings"]["reply_to"])
            for c in mailchimp_api.server.campaigns.values()} == {
        ("Karen Steinberg", "karen@thepossibilitypractice.com")}


def test_a_list_that_does_not_exist_is_named(newsletter, mailchimp_api):
    output, settings = newsletter
    backend = make_backend(mailchimp_api)
    backend.list_id = "0000000000"
    with pytest.raises(SendError) as stopped:
        send(output, settings, backend=backend)
    assert "Mailchimp has no list 0000000000 (check MAILCHIMP_LIST_ID" in str(stopped.value)
    assert mailchimp_api.server.campaigns == {}


def archive_records(folder, count):
    """`count` old posts as the build describes them (their emails are never read)."""
    for n in range(count):
        write_record(folder / f"old-post-{n}", PostRecord(
            post_id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}", slug=f"old-post-{n}",
            title=f"Old post {n}", url=f"https://www.thepossibilitypractice.com/old-{n}/",
            date=datetime(2015, 1, 1, tzinfo=UTC), status="published", newsletter=True,
            groups=("Articles",), subject=f"Old post {n}", content_hash=f"sha256:{n}",
            has_email=True))


def test_a_first_run_on_a_2000_post_archive_sends_nothing_and_asks_mailchimp_nothing(
        production_site, mailchimp_api, tmp_path):
    output = tmp_path / "output"
    shutil.copytree(production_site.output / "newsletter", output / "newsletter")
    archive_records(output / "newsletter", 2000)
    settings = newsletter_settings(production_site.content, tmp_path / "ledger.json")
    server = mailchimp_api.server
    seed_campaigns(server, 2000)

    with pytest.raises(FirstRunError) as refused:
        send(output, settings, backend=make_backend(mailchimp_api))
    assert "2002 post(s)" in str(refused.value) and not settings.ledger_path.exists()
    report = baseline(output, settings, keep=[CAREER])
    assert len(report.marked) == 2001
    assert server.requests == []  # refusing and baselining ask Mailchimp nothing
    first = send(output, settings, backend=make_backend(mailchimp_api))

    assert [r.slugs for r in first.results] == [(CAREER,)]
    assert len(by_key(server)[REAL_POSTS[CAREER]]) == 1
    survey = [r for r in server.calls("GET", "^/campaigns$") if r.query["sort_dir"] == "ASC"]
    assert [r.query["offset"] for r in survey] == ["0", "1000"]
    assert len(server.requests) == 2 + 8  # two pages of the archive; list; groups; 5 steps
    assert send(output, settings, backend=make_backend(mailchimp_api)).results == []


def test_the_api_cost_of_a_new_post_does_not_grow_with_the_archive(newsletter, mailchimp_api,
                                                                   capsys):
    """Two new posts, after 10 and after 2,000 campaigns: the archive costs one request per
    thousand campaigns once per run; each post costs the same five (create, content,
    checklist, the look before the send, send): the look reads only what is new."""
    output, settings = newsletter
    server = mailchimp_api.server
    cost = {}
    for existing in (10, 2000):
        server.reset()
        seed_campaigns(server, existing)
        ledger = settings.ledger_path.with_name(f"ledger-{existing}.json")
        shutil.copy(settings.ledger_path, ledger)
        send(output, replace(settings, ledger_path=ledger), backend=make_backend(mailchimp_api))
        calls = api_calls(server)
        cost[existing] = {
            "run": len(calls),
            "archive pages": sum(1 for r in server.calls("GET", "^/campaigns$")
                                 if r.query["sort_dir"] == "ASC"),
            "once per run": calls.index(("POST", "/campaigns")),
            "per post": (len(calls) - calls.index(("POST", "/campaigns"))) / 2,
        }
        assert sorted(c["status"] for c in by_key(server).get(REAL_POSTS[CAREER], [])) == \
            ["sent"]
    with capsys.disabled():
        print(f"\nMailchimp API requests for 2 new posts: {cost}")
    assert cost[10]["per post"] == cost[2000]["per post"] == 5
    assert cost[10]["archive pages"] == 1 and cost[2000]["archive pages"] == 2
    assert cost[10]["run"] == 14 and cost[2000]["run"] == 15


def test_a_campaign_made_by_hand_is_ignored(newsletter, mailchimp_api):
    output, settings = newsletter
    server = mailchimp_api.server
    seed_campaigns(server, 3)
    body = {"type": "regular", "recipients": {"list_id": server.list_id},
            "settings": {"title": "Is Your Career Off Track? (May issue)", "subject_line": "x"}}
    server.dispatch("POST", "/campaigns", {}, auth_headers(server.api_key),
                    json.dumps(body).encode())
    send(output, settings, backend=make_backend(mailchimp_api))
    assert_exactly_once(server, settings, [CAREER, WORK])


class Listing:
    """Stands in for MailchimpApi, answering only campaigns.list, from `campaigns` (as
    Mailchimp sorts and filters them), and counting the requests."""

    def __init__(self, campaigns):
        self.campaigns = campaigns
        self.asked = []
        self.client = SimpleNamespace(campaigns=SimpleNamespace(list=self._list))

    def call(self, action, operation, **kwargs):
        return operation(self.client)

    def _list(self, count, offset, sort_dir, since_create_time=None, **kwargs):
        self.asked.append(since_create_time)
        found = sorted(self.campaigns, key=lambda c: (c["create_time"], c["id"]),
                       reverse=sort_dir == "DESC")
        if since_create_time:
            since = datetime.fromisoformat(since_create_time.replace("Z", "+00:00"))
            found = [c for c in found if datetime.fromisoformat(c["create_time"]) > since]
        return {"campaigns": found[offset:offset + count], "total_items": len(found)}


def test_a_campaign_made_in_the_same_second_as_a_known_one_is_still_seen():
    """Mailchimp's create_time has whole seconds: the look reads from the second of the
    newest campaign it knows (a create whose answer was lost, right after the previous
    post's, can share it)."""
    second = "2030-01-07T12:00:00+00:00"
    known = {"id": "k", "status": "save", "create_time": second,
             "settings": {"title": "a [urn:uuid:00000000-0000-4000-8000-00000000000a]"}}
    older = {"id": "o", "status": "sent", "create_time": "2030-01-07T11:00:00+00:00",
             "settings": {"title": "old [urn:uuid:00000000-0000-4000-8000-00000000000b]"}}
    listing = Listing([known, older])
    backend = MailchimpBackend(listing, list_id="L", settle=0)
    assert {c.id for c in backend.survey()} == {"k", "o"}
    lost = {"id": "n", "status": "save", "create_time": second,
            "settings": {"title": "b [urn:uuid:00000000-0000-4000-8000-00000000000c]"}}
    listing.campaigns.append(lost)
    backend.standing("k", "urn:uuid:00000000-0000-4000-8000-00000000000a")
    assert backend.find("urn:uuid:00000000-0000-4000-8000-00000000000c").id == "n"
    assert listing.asked == [None, "2030-01-07T11:59:59Z"]
