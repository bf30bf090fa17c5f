"""The adapter around the official client, against the test server through Prism (and
directly for faults Prism would rewrite): retries, timeouts, error shapes and messages,
the connection limit, and the key kept out of everything."""

import logging
import threading

import pytest
import requests
from test_mailchimp_backend_support import FAST, Sleeps, make_api

from possibility.core.newsletter.backends.mailchimp_api import (
    MAX_CONNECTIONS,
    KeyRejected,
    MailchimpApi,
    NotFound,
    Refused,
    RetryPolicy,
    Unavailable,
)

PING = r"^/ping$"


def ping(api):
    return api.call("ping Mailchimp", lambda mc: mc.ping.get())


def test_a_call_returns_mailchimps_answer(mailchimp_api):
    api = make_api(mailchimp_api)
    assert ping(api) == {"health_status": "Everything's Chimpy!"}
    assert api.client.api_client.host == mailchimp_api.base_url


@pytest.mark.parametrize("retry_after", [None, 7])
def test_429_is_retried_after_a_backoff_or_the_retry_after_asked(mailchimp_api, retry_after):
    sleeps = Sleeps()
    api = make_api(mailchimp_api, sleeps=sleeps, retry=RetryPolicy(4, base=0.01, cap=30))
    mailchimp_api.server.faults.add("429", method="GET", path_regex=PING, times=2,
                                    retry_after=retry_after)
    assert ping(api)["health_status"]
    assert len(mailchimp_api.server.calls("GET", PING)) == 3
    if retry_after is None:
        assert 0.005 <= sleeps[0] <= 0.01 and 0.01 <= sleeps[1] <= 0.02
    else:
        assert all(7 <= s <= 7.01 for s in sleeps) and len(sleeps) == 2


@pytest.mark.parametrize("kind, direct", [("500", False), ("503", False), ("500_empty", True),
                                          ("reset", True)])
def test_server_errors_and_resets_are_retried_for_reads(mailchimp_api, kind, direct):
    sleeps = Sleeps()
    api = make_api(mailchimp_api, direct=direct, sleeps=sleeps)
    mailchimp_api.server.faults.add(kind, method="GET", path_regex=PING, times=2)
    assert ping(api)["health_status"]
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] / 2


@pytest.mark.parametrize("kind, direct, said", [
    ("500", False, "HTTP 500 Internal Server Error"),
    ("503", False, "HTTP 503 Service Unavailable: The service is temporarily unavailable"),
    ("500_empty", True, "HTTP 500"),
    ("reset", True, "the connection was reset"),
])
def test_when_retries_are_spent_the_error_says_what_happened(mailchimp_api, kind, direct, said):
    api = make_api(mailchimp_api, direct=direct)
    mailchimp_api.server.faults.add(kind, method="GET", path_regex=PING, times=None)
    with pytest.raises(Unavailable) as failed:
        ping(api)
    assert said in str(failed.value) and "(4 attempts)" in str(failed.value)
    assert len(mailchimp_api.server.calls("GET", PING)) == FAST.attempts


def test_an_answer_slower_than_the_timeout_is_retried(mailchimp_api):
    api = make_api(mailchimp_api, timeout=0.25)
    mailchimp_api.server.faults.add("slow", method="GET", path_regex=PING, seconds=1.0)
    assert ping(api)["health_status"]
    assert [r.fault for r in mailchimp_api.server.calls("GET", PING)] == ["slow", None]


def test_an_unsafe_call_is_not_repeated_after_a_5xx_or_a_lost_answer(mailchimp_api):
    api = make_api(mailchimp_api, direct=True)
    server = mailchimp_api.server
    for kind in ("500", "reset"):
        server.faults.add(kind, method="GET", path_regex=PING)
        with pytest.raises(Unavailable) as failed:
            api.call("ping", lambda mc: mc.ping.get(), unsafe=True)
        assert failed.value.ambiguous
    assert len(server.calls("GET", PING)) == 2
    server.faults.add("429", method="GET", path_regex=PING)
    assert api.call("ping", lambda mc: mc.ping.get(), unsafe=True)["health_status"]


def test_401_says_the_key_was_rejected_without_showing_it(mailchimp_api, caplog):
    wrong = "0123456789abcdef0123456789abcdee-us1"
    api = MailchimpApi(wrong, mailchimp_api.base_url, timeout=5, retry=FAST, sleep=Sleeps())
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(KeyRejected) as refused:
            ping(api)
    message = str(refused.value)
    assert "API key rejected" in message and "HTTP 401 API Key Invalid" in message
    assert "MAILCHIMP_API_KEY" in message
    for shown in (message, repr(refused.value), repr(api), repr(api._auth), caplog.text,
                  repr(vars(api)), repr(vars(api.client.api_client))):
        assert wrong not in shown and wrong[:-4] not in shown


def test_the_key_is_scrubbed_from_whatever_mailchimp_echoes(mailchimp_api):
    api = make_api(mailchimp_api)
    key = mailchimp_api.api_key
    with pytest.raises(NotFound) as missing:
        api.call("read it", lambda mc: mc.lists.get_list(key), missing=f"list {key}")
    assert key not in str(missing.value) and "[MAILCHIMP_API_KEY]" in str(missing.value)


def test_404_names_what_is_missing(mailchimp_api):
    api = make_api(mailchimp_api)
    with pytest.raises(NotFound) as missing:
        api.call("read the list", lambda mc: mc.lists.get_list("0000000000"),
                 missing="list 0000000000 (check MAILCHIMP_LIST_ID)")
    assert str(missing.value).startswith(
        "Mailchimp has no list 0000000000 (check MAILCHIMP_LIST_ID) (HTTP 404")


def test_400_shows_mailchimps_detail_and_each_error(mailchimp_api):
    api = make_api(mailchimp_api)
    body = {"type": "regular", "recipients": {"list_id": "0000000000"}}
    with pytest.raises(Refused) as refused:
        api.call("create the campaign", lambda mc: mc.campaigns.create(body), unsafe=True)
    message = str(refused.value)
    assert "HTTP 400 Invalid Resource" in message
    assert "The resource submitted could not be validated" in message
    assert "recipients.list_id: The list_id is invalid." in message
    assert refused.value.errors == (("recipients.list_id", "The list_id is invalid."),)
    assert not refused.value.ambiguous and mailchimp_api.server.campaigns == {}


def test_a_204_is_none_and_a_bodyless_post_goes_without_null(mailchimp_api):
    api = make_api(mailchimp_api)
    server = mailchimp_api.server
    body = {"type": "regular", "recipients": {"list_id": server.list_id},
            "settings": {"subject_line": "S", "from_name": "F", "reply_to": "r@example.org"}}
    campaign = api.call("create", lambda mc: mc.campaigns.create(body), unsafe=True)
    api.call("content", lambda mc: mc.campaigns.set_content(
        campaign["id"], {"html": "*|UNSUB|* *|LIST:ADDRESS|*"}))
    assert api.call("send", lambda mc: mc.campaigns.send(campaign["id"]), unsafe=True) is None
    [sent] = server.calls("POST", r"/actions/send$")
    assert sent.headers.get("Content-Length", "0") == "0"
    assert server.campaigns[campaign["id"]]["status"] == "sent"


def test_a_base_url_with_server_in_it_is_used_as_given():
    seen = []

    class Recorder(requests.Session):
        def request(self, method, url, **kwargs):
            seen.append(url)
            answer = requests.Response()
            answer.status_code, answer._content = 200, b'{"health_status": "ok"}'
            answer.headers["Content-Type"] = "application/json"
            return answer

    api = MailchimpApi("k-us9", "http://server.example:8080/server/3.0", session=Recorder())
    assert ping(api) == {"health_status": "ok"}
    assert seen == ["http://server.example:8080/server/3.0/ping"]


def test_at_most_ten_requests_are_in_flight_at_once():
    lock, gate = threading.Lock(), threading.Event()
    state = {"now": 0, "most": 0}

    class Counting(requests.Session):
        def request(self, method, url, **kwargs):
            with lock:
                state["now"] += 1
                state["most"] = max(state["most"], state["now"])
                if state["most"] >= MAX_CONNECTIONS:
                    gate.set()
            gate.wait(5)
            with lock:
                state["now"] -= 1
            answer = requests.Response()
            answer.status_code, answer._content = 204, b""
            return answer

    api = MailchimpApi("k-us9", "http://127.0.0.1:9/3.0", session=Counting())
    threads = [threading.Thread(target=ping, args=(api,)) for _ in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert state["most"] == MAX_CONNECTIONS
