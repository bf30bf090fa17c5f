"""The Mailchimp test server, driven by the official client through Prism (the contract).

What these tests pin down is what a backend built on mailchimp-marketing will see: return
values, ApiClientError status codes and bodies, and the client's quirks (a 204 or an empty
500 comes back as a requests.Response; a network error raises with status_code=None).
"""

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from mailchimp_fixtures import make_client
from mailchimp_marketing.api_client import ApiClientError
from mailchimp_server import MailchimpServer, select_fields

NOW = datetime(2030, 1, 7, 12, 3, 20, tzinfo=UTC)
UNSUB_HTML = "<p>Hello</p><p><a href='*|UNSUB|*'>Unsubscribe</a> *|HTML:LIST_ADDRESS_HTML|*</p>"


def problem(error):
    """The problem+json body of an ApiClientError (the client leaves it as a string)."""
    return json.loads(error.text)


def create_campaign(client, server, interests=("Articles",), title="post-1", **settings):
    body = {
        "type": "regular",
        "recipients": {
            "list_id": server.list_id,
            "segment_opts": {
                "match": "any",
                "conditions": [{
                    "condition_type": "Interests",
                    "field": f"interests-{server.interest_category_id}",
                    "op": "interestcontains",
                    "value": [server.interest_ids[name] for name in interests],
                }],
            },
        },
        "settings": {
            "subject_line": "A new post",
            "preview_text": "Read it now",
            "title": title,
            "from_name": "The Possibility Practice",
            "reply_to": "hello@thepossibilitypractice.com",
            **settings,
        },
    }
    return client.campaigns.create(body)


def ready_campaign(client, server, **kwargs):
    campaign = create_campaign(client, server, **kwargs)
    client.campaigns.set_content(campaign["id"], {"html": UNSUB_HTML})
    return campaign


def wait_for(predicate, timeout=5.0):
    """Poll until `predicate()` is true; a bounded wait on state, not a fixed sleep."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


@pytest.fixture
def client(mailchimp_api):
    return mailchimp_api.client(timeout=5)


def test_ping_root_and_audience(mailchimp_api, client):
    assert client.ping.get() == {"health_status": "Everything's Chimpy!"}
    assert client.root.get_root()["account_name"]
    audience = client.lists.get_list(mailchimp_api.list_id)
    assert audience["campaign_defaults"]["from_email"] == "hello@thepossibilitypractice.com"
    assert set(audience["campaign_defaults"]) >= {"from_name", "subject", "language"}
    assert audience["contact"]["address1"] and audience["double_optin"] is True
    lists = client.lists.get_all_lists(fields=["lists.id", "lists.name", "total_items"])
    assert lists == {"lists": [{"id": "abc123def4", "name": audience["name"]}],
                     "total_items": 1}


def test_interest_categories_and_interests(mailchimp_api, client):
    server = mailchimp_api.server
    categories = client.lists.get_list_interest_categories(mailchimp_api.list_id)
    [category] = categories["categories"]
    assert category["title"] == "I would like to receive:"
    interests = client.lists.list_interest_category_interests(
        mailchimp_api.list_id, category["id"])["interests"]
    assert {i["name"]: i["id"] for i in interests} == server.interest_ids
    assert all(len(i["id"]) == 10 and int(i["id"], 16) >= 0 for i in interests)


def test_create_content_checklist_test_and_send(mailchimp_api, client):
    server = mailchimp_api.server
    campaign = create_campaign(client, server, interests=("Articles", "Events"))
    assert campaign["status"] == "save" and len(campaign["id"]) == 10
    assert campaign["recipients"]["segment_opts"]["conditions"][0]["value"] == [
        server.interest_ids["Articles"], server.interest_ids["Events"]]
    assert "send_time" not in campaign

    content = client.campaigns.set_content(campaign["id"], {"html": UNSUB_HTML,
                                                            "plain_text": "Hello *|UNSUB|*"})
    assert content["html"] == UNSUB_HTML
    assert client.campaigns.get_content(campaign["id"])["plain_text"] == "Hello *|UNSUB|*"
    checklist = client.campaigns.get_send_checklist(campaign["id"])
    assert checklist["is_ready"] is True

    answer = client.campaigns.send_test_email(
        campaign["id"], {"test_emails": ["me@example.com"], "send_type": "html"})
    assert isinstance(answer, requests.Response) and answer.status_code == 204
    assert server.test_sends == [{"campaign_id": campaign["id"],
                                  "test_emails": ["me@example.com"], "send_type": "html"}]

    assert client.campaigns.send(campaign["id"]).status_code == 204
    sent = client.campaigns.get(campaign["id"])
    assert sent["status"] == "sent" and sent["emails_sent"] == server.member_count
    assert datetime.fromisoformat(sent["send_time"]).tzinfo is not None
    with pytest.raises(ApiClientError) as refused:
        client.campaigns.send(campaign["id"])
    assert refused.value.status_code == 400
    assert "already been sent" in problem(refused.value)["detail"]

    assert [(r.method, r.path) for r in server.requests] == [
        ("POST", "/campaigns"),
        ("PUT", f"/campaigns/{campaign['id']}/content"),
        ("GET", f"/campaigns/{campaign['id']}/content"),
        ("GET", f"/campaigns/{campaign['id']}/send-checklist"),
        ("POST", f"/campaigns/{campaign['id']}/actions/test"),
        ("POST", f"/campaigns/{campaign['id']}/actions/send"),
        ("GET", f"/campaigns/{campaign['id']}"),
        ("POST", f"/campaigns/{campaign['id']}/actions/send"),
    ]


def test_send_can_pass_through_sending(mailchimp_api, client):
    mailchimp_api.server.send_via_sending = True
    campaign = ready_campaign(client, mailchimp_api.server)
    client.campaigns.send(campaign["id"])
    assert client.campaigns.get(campaign["id"])["status"] == "sending"
    assert client.campaigns.get(campaign["id"])["status"] == "sent"


def test_checklist_blocks_a_send_without_content_or_merge_tags(mailchimp_api, client):
    campaign = create_campaign(client, mailchimp_api.server, subject_line="")
    checklist = client.campaigns.get_send_checklist(campaign["id"])
    assert checklist["is_ready"] is False
    errors = {i["heading"] for i in checklist["items"] if i["type"] == "error"}
    assert errors == {"Subject line", "Content"}
    with pytest.raises(ApiClientError) as refused:
        client.campaigns.send(campaign["id"])
    assert refused.value.status_code == 400
    assert problem(refused.value)["detail"] == "Your Campaign is not ready to send."

    client.campaigns.update(campaign["id"], {"settings": {
        "subject_line": "Now with a subject", "from_name": "TPP",
        "reply_to": "hello@thepossibilitypractice.com"}})
    client.campaigns.set_content(campaign["id"], {"html": "<p>No footer</p>"})
    checklist = client.campaigns.get_send_checklist(campaign["id"])
    [item] = [i for i in checklist["items"] if i["type"] == "error"]
    assert "*|UNSUB|*" in item["details"] and "LIST_ADDRESS" in item["details"]
    client.campaigns.set_content(campaign["id"], {"html": UNSUB_HTML})
    assert client.campaigns.get_send_checklist(campaign["id"])["is_ready"] is True


def test_create_validates_list_and_interest_ids(mailchimp_api, client):
    with pytest.raises(ApiClientError) as unknown_interest:
        client.campaigns.create({
            "type": "regular",
            "recipients": {"list_id": mailchimp_api.list_id, "segment_opts": {
                "match": "any",
                "conditions": [{"condition_type": "Interests",
                                "field": f"interests-{mailchimp_api.server.interest_category_id}",
                                "op": "interestcontains", "value": ["ffffffffff"]}]}},
            "settings": {"subject_line": "x"},
        })
    body = problem(unknown_interest.value)
    assert unknown_interest.value.status_code == 400 and body["title"] == "Invalid Resource"
    assert body["errors"][0]["field"].endswith(".value")
    assert "ffffffffff" in body["errors"][0]["message"]

    with pytest.raises(ApiClientError) as unknown_list:
        client.campaigns.create({"type": "regular", "recipients": {"list_id": "0000000000"}})
    assert problem(unknown_list.value)["errors"] == [
        {"field": "recipients.list_id", "message": "The list_id is invalid."}]
    assert mailchimp_api.server.campaigns == {}


def test_list_campaigns_pages_filters_and_selects_fields(mailchimp_api, client):
    server = mailchimp_api.server
    ids = [create_campaign(client, server, title=f"post-{n}")["id"] for n in range(5)]
    fields = ["campaigns.id", "campaigns.settings.title", "campaigns.status", "total_items"]
    pages = [client.campaigns.list(fields=fields, count=2, offset=offset)
             for offset in (0, 2, 4)]
    assert [len(p["campaigns"]) for p in pages] == [2, 2, 1]
    assert {p["total_items"] for p in pages} == {5}
    assert [c["id"] for p in pages for c in p["campaigns"]] == ids
    assert pages[0]["campaigns"][0] == {"id": ids[0], "settings": {"title": "post-0"},
                                        "status": "save"}

    client.campaigns.set_content(ids[3], {"html": UNSUB_HTML})
    client.campaigns.send(ids[3])
    sent = client.campaigns.list(status="sent", list_id=mailchimp_api.list_id,
                                 fields=["campaigns.id", "total_items"])
    assert sent == {"campaigns": [{"id": ids[3]}], "total_items": 1}
    newest = client.campaigns.list(sort_field="create_time", sort_dir="DESC", count=1,
                                   exclude_fields=["campaigns.recipients", "campaigns._links"])
    assert newest["campaigns"][0]["id"] == ids[4] and "recipients" not in newest["campaigns"][0]
    assert client.campaigns.list(list_id="0000000000")["total_items"] == 0


def test_schedule_on_the_quarter_hour_then_unschedule(mailchimp_api, client):
    server = mailchimp_api.server
    server.clock = lambda: NOW
    campaign = ready_campaign(client, mailchimp_api.server)

    for bad in ("2030-01-07T12:10:00+00:00", "2030-01-07T12:00:00+00:00",
                "2030-01-07T13:15:30+00:00"):
        with pytest.raises(ApiClientError) as refused:
            client.campaigns.schedule(campaign["id"], {"schedule_time": bad})
        assert refused.value.status_code == 400
        assert problem(refused.value)["errors"][0]["field"] == "schedule_time"

    client.campaigns.schedule(campaign["id"], {"schedule_time": "2030-01-07T12:15:00Z"})
    scheduled = client.campaigns.get(campaign["id"])
    assert scheduled["status"] == "schedule"
    assert scheduled["send_time"] == "2030-01-07T12:15:00+00:00"
    with pytest.raises(ApiClientError) as again:
        client.campaigns.schedule(campaign["id"], {"schedule_time": "2030-01-07T12:30:00Z"})
    assert again.value.status_code == 400

    assert client.campaigns.unschedule(campaign["id"]).status_code == 204
    unscheduled = client.campaigns.get(campaign["id"])
    assert unscheduled["status"] == "save" and "send_time" not in unscheduled
    with pytest.raises(ApiClientError) as not_scheduled:
        client.campaigns.unschedule(campaign["id"])
    assert not_scheduled.value.status_code == 400

    client.campaigns.schedule(campaign["id"], {"schedule_time": "2030-01-07T12:45:00+00:00"})
    server.clock = lambda: NOW + timedelta(minutes=41)
    assert client.campaigns.list(status="schedule")["total_items"] == 1
    server.clock = lambda: NOW + timedelta(minutes=42)
    assert client.campaigns.get(campaign["id"])["status"] == "sent"


def test_an_account_that_cannot_schedule(mailchimp_api, client):
    mailchimp_api.server.can_schedule = False
    campaign = ready_campaign(client, mailchimp_api.server)
    when = (datetime.now(UTC) + timedelta(days=2)).replace(minute=45, second=0, microsecond=0)
    with pytest.raises(ApiClientError) as refused:
        client.campaigns.schedule(campaign["id"], {"schedule_time": when.isoformat()})
    assert refused.value.status_code == 400
    assert problem(refused.value)["detail"].startswith("This campaign cannot be scheduled")
    assert client.root.get_root()["pricing_plan_type"] == "forever_free"


def test_update_and_delete(mailchimp_api, client):
    campaign = ready_campaign(client, mailchimp_api.server)
    updated = client.campaigns.update(campaign["id"], {"settings": {
        "title": "renamed", "subject_line": "New subject", "from_name": "TPP",
        "reply_to": "hello@thepossibilitypractice.com"}})
    assert updated["settings"]["title"] == "renamed"
    assert updated["settings"]["preview_text"] == "Read it now"
    assert client.campaigns.remove(campaign["id"]).status_code == 204
    with pytest.raises(ApiClientError) as gone:
        client.campaigns.get(campaign["id"])
    assert gone.value.status_code == 404

    sent = ready_campaign(client, mailchimp_api.server)
    client.campaigns.send(sent["id"])
    with pytest.raises(ApiClientError) as frozen:
        client.campaigns.set_content(sent["id"], {"html": UNSUB_HTML})
    assert frozen.value.status_code == 400


def test_wrong_or_missing_api_key_is_401(mailchimp_api):
    wrong = make_client(mailchimp_api.base_url, "ffffffffffffffffffffffffffffffff-us1")
    with pytest.raises(ApiClientError) as refused:
        wrong.ping.get()
    assert refused.value.status_code == 401
    assert problem(refused.value)["title"] == "API Key Invalid"

    missing = make_client(mailchimp_api.base_url, "")
    with pytest.raises(ApiClientError) as prism_refused:
        missing.ping.get()
    assert prism_refused.value.status_code == 401
    direct = make_client(mailchimp_api.direct_url, "")
    with pytest.raises(ApiClientError) as server_refused:
        direct.ping.get()
    assert problem(server_refused.value)["title"] == "API Key Missing"


def test_unknown_ids_are_404(mailchimp_api, client):
    for call in (lambda: client.campaigns.get("0123456789"),
                 lambda: client.campaigns.get_content("0123456789"),
                 lambda: client.campaigns.send("0123456789"),
                 lambda: client.lists.get_list("0123456789"),
                 lambda: client.lists.list_interest_category_interests(
                     mailchimp_api.list_id, "0123456789")):
        with pytest.raises(ApiClientError) as missing:
            call()
        body = problem(missing.value)
        assert missing.value.status_code == 404 == body["status"]
        assert set(body) >= {"type", "title", "detail", "instance"}


def test_bodyless_posts_accept_null_and_empty_bodies(mailchimp_server):
    client = make_client(mailchimp_server.url, mailchimp_server.api_key)
    campaign = ready_campaign(client, mailchimp_server)
    assert client.campaigns.send(campaign["id"]).status_code == 204
    assert mailchimp_server.requests[-1].body is None
    other = ready_campaign(client, mailchimp_server)
    answer = requests.post(f"{mailchimp_server.url}/campaigns/{other['id']}/actions/send",
                           auth=("anystring", mailchimp_server.api_key), timeout=5)
    assert answer.status_code == 204 and answer.content == b""
    assert {c["status"] for c in mailchimp_server.campaigns.values()} == {"sent"}


def test_rate_limit_and_server_errors_reach_the_client(mailchimp_api, client):
    server = mailchimp_api.server
    server.faults.add("429", method="GET", path_regex=r"^/ping$", retry_after=7)
    with pytest.raises(ApiClientError) as limited:
        client.ping.get()
    assert limited.value.status_code == 429 and problem(limited.value)["status"] == 429

    server.faults.add("429", method="GET", path_regex=r"^/ping$", retry_after=7)
    raw = requests.get(f"{mailchimp_api.base_url}/ping", auth=("x", mailchimp_api.api_key),
                       timeout=5)
    assert raw.status_code == 429 and raw.headers["Retry-After"] == "7"

    fault = server.faults.add("503", path_regex=r"^/campaigns$", times=2)
    for _ in range(2):
        with pytest.raises(ApiClientError) as unavailable:
            client.campaigns.list()
        assert unavailable.value.status_code == 503
    assert client.campaigns.list()["total_items"] == 0
    assert fault.hits == 2

    server.faults.add("500", method="POST", path_regex=r"/actions/send$")
    campaign = ready_campaign(client, mailchimp_api.server)
    with pytest.raises(ApiClientError) as failed:
        client.campaigns.send(campaign["id"])
    assert failed.value.status_code == 500
    assert server.campaigns[campaign["id"]]["status"] == "save"


def test_applied_but_the_answer_was_lost(mailchimp_api, client):
    server = mailchimp_api.server
    server.faults.add("500", method="POST", path_regex=r"^/campaigns$", after=True)
    with pytest.raises(ApiClientError) as lost:
        create_campaign(client, server, title="post-lost")
    assert lost.value.status_code == 500
    [(campaign_id, campaign)] = server.campaigns.items()
    assert campaign["settings"]["title"] == "post-lost"
    found = client.campaigns.list(fields=["campaigns.id", "campaigns.settings.title"])
    assert found["campaigns"] == [{"id": campaign_id, "settings": {"title": "post-lost"}}]

    client.campaigns.set_content(campaign_id, {"html": UNSUB_HTML})
    server.faults.add("reset", method="POST", path_regex=r"/actions/send$", after=True)
    direct = mailchimp_api.client(timeout=5, direct=True)
    with pytest.raises(ApiClientError) as reset:
        direct.campaigns.send(campaign_id)
    assert reset.value.status_code is None
    assert client.campaigns.get(campaign_id)["status"] == "sent"


def test_empty_500_and_reset_seen_directly_and_through_prism(mailchimp_api):
    server = mailchimp_api.server
    direct = mailchimp_api.client(timeout=5, direct=True)
    server.faults.add("500_empty", method="GET", path_regex=r"^/ping$")
    answer = direct.ping.get()
    assert isinstance(answer, requests.Response) and answer.status_code == 500
    server.faults.add("reset", method="GET", path_regex=r"^/ping$")
    with pytest.raises(ApiClientError) as reset:
        direct.ping.get()
    assert reset.value.status_code is None
    assert "Connection" in repr(reset.value.text)

    proxied = mailchimp_api.client(timeout=5)
    server.faults.add("500_empty", method="GET", path_regex=r"^/ping$")
    with pytest.raises(ApiClientError) as flagged:
        proxied.ping.get()
    assert problem(flagged.value)["type"] == "https://stoplight.io/prism/errors#VIOLATIONS"
    server.faults.add("reset", method="GET", path_regex=r"^/ping$")
    with pytest.raises(ApiClientError) as gateway:
        proxied.ping.get()
    assert gateway.value.status_code == 500 and "ECONNRESET" in gateway.value.text
    [violation] = mailchimp_api.take_violations()
    assert "errors#VIOLATIONS" in violation and "/ping" in violation


def test_slow_answer_times_out_the_client_without_blocking_others(mailchimp_api, client):
    server = mailchimp_api.server
    server.faults.add("slow", method="POST", path_regex=r"^/campaigns$", seconds=5)
    impatient = mailchimp_api.client(timeout=0.3)
    outcome = {}

    def create():
        try:
            create_campaign(impatient, server)
        except ApiClientError as error:
            outcome["error"] = error

    worker = threading.Thread(target=create)
    worker.start()
    wait_for(lambda: server.calls("POST", r"^/campaigns$"))
    assert client.ping.get()["health_status"]
    assert server.campaigns == {}
    worker.join(timeout=5)
    assert outcome["error"].status_code is None
    assert "timed out" in str(outcome["error"].text)


def test_a_slow_request_is_applied_after_the_client_gave_up(mailchimp_server):
    mailchimp_server.faults.add("slow", method="POST", path_regex=r"^/campaigns$", seconds=0.5)
    impatient = make_client(mailchimp_server.url, mailchimp_server.api_key, timeout=0.1)
    with pytest.raises(ApiClientError) as gave_up:
        create_campaign(impatient, mailchimp_server)
    assert gave_up.value.status_code is None
    wait_for(lambda: mailchimp_server.campaigns)


def test_faults_match_method_path_and_count():
    with MailchimpServer() as server:
        client = make_client(server.url, server.api_key, timeout=5)
        unlimited = server.faults.add("503", method="GET", path_regex=r"^/ping$", times=None)
        for _ in range(3):
            with pytest.raises(ApiClientError):
                client.ping.get()
        assert client.root.get_root()["account_id"]
        assert unlimited.hits == 3
        assert [r.fault for r in server.requests] == ["503", "503", "503", None]
        server.reset()
        assert client.ping.get() and server.faults.take("GET", "/ping") is None
        with pytest.raises(ValueError):
            server.faults.add("teapot")
        with pytest.raises(ValueError):
            server.faults.add("slow", seconds=120)


def test_select_fields_follows_mailchimp_dot_paths():
    document = {"campaigns": [{"id": "a", "settings": {"title": "t", "subject_line": "s"},
                               "status": "save"}], "total_items": 1}
    assert select_fields(document, ["campaigns.settings.title"], []) == {
        "campaigns": [{"settings": {"title": "t"}}]}
    assert select_fields(document, [], ["campaigns.settings", "total_items"]) == {
        "campaigns": [{"id": "a", "status": "save"}]}


def test_a_held_request_waits_for_the_test_and_hooks_run_in_order(mailchimp_api, client):
    """A "hold" fault keeps a request until the test releases it (here: when another
    request has been applied, from a hook); nothing is timed."""
    server = mailchimp_api.server
    held = server.faults.add("hold", method="POST", path_regex=r"^/campaigns$")
    outcome = {}

    def create_held():
        outcome["held"] = create_campaign(client, server, title="held")["id"]

    worker = threading.Thread(target=create_held)
    worker.start()
    assert held.arrived.wait(5) and not held.applied.is_set()
    assert server.campaigns == {}

    def release(record):
        held.release.set()
        assert held.applied.wait(5)

    hook = server.hooks.add(release, method="POST", path_regex=r"^/campaigns$")
    second = create_campaign(client, server, title="second")["id"]
    worker.join(timeout=5)
    assert hook.hits == 1 and set(server.campaigns) == {second, outcome["held"]}
    made = [r.path for r in server.calls("POST") if r.applied_status == 200]
    assert made == ["/campaigns", "/campaigns"]


def test_a_held_request_is_reset_when_the_server_is_reset(mailchimp_server):
    held = mailchimp_server.faults.add("hold", method="GET", path_regex=r"^/ping$")
    client = make_client(mailchimp_server.url, mailchimp_server.api_key, timeout=5)
    outcome = {}

    def ping():
        try:
            client.ping.get()
        except ApiClientError as error:
            outcome["status"] = error.status_code

    worker = threading.Thread(target=ping)
    worker.start()
    assert held.arrived.wait(5)
    mailchimp_server.reset()
    worker.join(timeout=5)
    assert outcome == {"status": None}


def test_campaigns_created_since_a_time_and_the_title_limit(mailchimp_api, client):
    server = mailchimp_api.server
    clock = server.clock
    first = create_campaign(client, server, title="first")
    server.clock = lambda: clock() + timedelta(seconds=5)
    second = create_campaign(client, server, title="second")
    since = datetime.fromisoformat(first["create_time"]) + timedelta(seconds=1)
    found = client.campaigns.list(since_create_time=since.isoformat().replace("+00:00", "Z"),
                                  fields=["campaigns.id", "total_items"])
    assert found == {"campaigns": [{"id": second["id"]}], "total_items": 1}
    before = client.campaigns.list(before_create_time=second["create_time"],
                                   fields=["campaigns.id", "total_items"])
    assert before == {"campaigns": [{"id": first["id"]}], "total_items": 1}
    with pytest.raises(ApiClientError) as too_long:
        create_campaign(client, server, title="x" * 101)
    assert problem(too_long.value)["errors"] == [
        {"field": "settings.title", "message": "Use at most 100 characters."}]
    assert create_campaign(client, server, title="x" * 100)["settings"]["title"] == "x" * 100
