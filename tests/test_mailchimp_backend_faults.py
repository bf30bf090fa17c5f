"""Faults at every step of a send, injected by the test server: whatever fails, and however
often, each post ends with exactly one campaign, sent, and a ledger that agrees.

Through Prism except for the faults Prism would rewrite (an empty 500, a reset), which go
straight to the server. Backoff waits are recorded, not slept; the client timeout is
0.2 s so a slow answer costs a fraction of a second.
"""

import pytest
from test_mailchimp_backend_support import (
    CAREER,
    WORK,
    Sleeps,
    assert_exactly_once,
    ledger_entries,
    make_backend,
    real_newsletter,
    start_ledger,
    wait_for,
)

from possibility.commands.send import SendError, send

TIMEOUT = 0.2
SLOW = 0.6
STEPS = {  # step of the sender -> the request that does it
    "find": ("GET", r"^/campaigns$"),  # the survey (the first read of the list)
    "create": ("POST", r"^/campaigns$"),
    "content": ("PUT", r"/content$"),
    "check": ("GET", r"/send-checklist$"),
    "test": ("POST", r"/actions/test$"),
    "send": ("POST", r"/actions/send$"),
}
KINDS = ["429", "429 Retry-After", "500", "503", "500_empty", "reset", "slow"]
DIRECT = ("500_empty", "reset")  # Prism would turn these into other answers


@pytest.fixture
def newsletter(production_site, tmp_path):
    return real_newsletter(production_site, tmp_path)


@pytest.fixture
def one_post(production_site, tmp_path):
    """(output, settings) with one new post: the matrix below runs 42 sends."""
    output, settings = real_newsletter(production_site, tmp_path)
    start_ledger(output, settings, send=(CAREER,))
    return output, settings


def add_fault(server, kind, step, **options):
    method, path = STEPS[step]
    if kind == "429 Retry-After":
        return server.faults.add("429", method=method, path_regex=path, retry_after=2,
                                 **options)
    if kind == "slow":
        options["seconds"] = SLOW
    return server.faults.add(kind, method=method, path_regex=path, **options)


def backend(mailchimp_api, kind, sleeps=None):
    """The backend for a fault of `kind`; the group ids given, as a synced audience file
    gives them, to keep each of the many runs here short."""
    server = mailchimp_api.server
    interests = {name: (server.interest_category_id, interest_id)
                 for name, interest_id in server.interest_ids.items()}
    return make_backend(mailchimp_api, direct=kind in DIRECT, timeout=TIMEOUT, sleeps=sleeps,
                        interests=interests)


def run(output, settings, backend_):
    return send(output, settings, backend=backend_, test_to=["karen@example.org"])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("step", STEPS)
def test_a_passing_fault_at_any_step_costs_no_duplicate(one_post, mailchimp_api, step, kind):
    output, settings = one_post
    server = mailchimp_api.server
    add_fault(server, kind, step)
    sleeps = Sleeps()

    try:
        report = run(output, settings, backend(mailchimp_api, kind, sleeps))
    except SendError as stopped:
        # Only a create whose answer never came may stop: it could still arrive.
        assert (step, kind) in {("create", "reset"), ("create", "slow")}, stopped
        assert "run again" in str(stopped)
        assert ledger_entries(settings)[CAREER]["state"] == "creating"
        if kind == "slow":
            wait_for(lambda: server.campaigns)  # the late create lands after all
        report = run(output, settings, backend(mailchimp_api, kind))

    assert_exactly_once(server, settings, [CAREER])
    if kind == "429 Retry-After":
        assert sleeps and max(sleeps) >= 2
    lost_test = step == "test" and kind in ("500", "500_empty", "reset", "slow")
    if lost_test:  # the test may have gone (a slow one did): reported, never sent again
        assert "its answer was lost; not sent again" in report.lines()[1]
        assert ledger_entries(settings)[CAREER]["test_unconfirmed"] is True
        if kind == "slow":
            wait_for(lambda: server.test_sends)  # applied after the client gave up
        assert len(server.test_sends) == (1 if kind == "slow" else 0)
    else:
        assert len(server.test_sends) == 1


@pytest.mark.parametrize("kind", ["500", "500_empty", "reset"])
@pytest.mark.parametrize("step", ["create", "send"])
def test_a_step_done_but_its_answer_lost_is_read_back_not_repeated(newsletter, mailchimp_api,
                                                                   step, kind):
    output, settings = newsletter
    server = mailchimp_api.server
    add_fault(server, kind, step, after=True)

    run(output, settings, backend(mailchimp_api, kind))

    assert_exactly_once(server, settings, [CAREER, WORK])
    assert len(server.calls(*STEPS[step])) == 2  # one per post: the lost one not repeated
    assert server.calls("GET", r"^/campaigns(/[^/]+)?$")  # it read instead


def test_a_send_answered_too_late_goes_out_once(newsletter, mailchimp_api):
    """The send times out while Mailchimp still works on it; the campaign reads as a draft,
    so it is sent again: whichever comes second is refused by Mailchimp as already sent."""
    output, settings = newsletter
    server = mailchimp_api.server
    add_fault(server, "slow", "send")
    run(output, settings, backend(mailchimp_api, "slow"))
    wait_for(lambda: len(server.calls(*STEPS["send"])) == 3
             and all(r.status for r in server.calls(*STEPS["send"])))
    assert_exactly_once(server, settings, [CAREER, WORK])
    assert sorted(r.status for r in server.calls(*STEPS["send"])) == [204, 204, 400]


@pytest.mark.parametrize("step", STEPS)
def test_a_fault_that_outlasts_the_retries_stops_and_the_next_run_resumes(
        newsletter, mailchimp_api, step):
    output, settings = newsletter
    server = mailchimp_api.server
    fault = add_fault(server, "503", step, times=None)

    with pytest.raises(SendError) as stopped:
        run(output, settings, backend(mailchimp_api, "503"))

    assert "HTTP 503 Service Unavailable" in str(stopped.value)
    assert "The ledger records how far it got" in str(stopped.value)
    state = ledger_entries(settings).get(CAREER, {}).get("state")
    assert state == {"find": None, "create": "creating", "content": "created",
                     "check": "content_set", "test": "checked", "send": "sending"}[step]
    assert fault.hits >= 1
    server.faults.clear()
    report = run(output, settings, backend(mailchimp_api, "503"))
    assert report.results[0].resumed_from == state
    assert_exactly_once(server, settings, [CAREER, WORK])


def test_a_timeout_on_every_try_stops_with_what_happened(newsletter, mailchimp_api):
    output, settings = newsletter
    server = mailchimp_api.server
    add_fault(server, "slow", "check", times=None)
    with pytest.raises(SendError) as stopped:
        run(output, settings, backend(mailchimp_api, "slow"))
    assert f"no answer within {TIMEOUT:g} s" in str(stopped.value)
    assert "read the send checklist of campaign" in str(stopped.value)
    server.faults.clear()
    run(output, settings, backend(mailchimp_api, "slow"))
    assert_exactly_once(server, settings, [CAREER, WORK])
