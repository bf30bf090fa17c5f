"""The publishing process killed (SIGKILL) between any two steps, then run again; and two
runs at once. The send runs in a subprocess configured only through the environment
(MAILCHIMP_API_KEY, MAILCHIMP_API_URL, MAILCHIMP_LIST_ID), as `invoke newsletter-send`
runs it. The test server holds the chosen request, before or after applying it, until
the test has killed the process: no sleep stands for an event."""

import json
import os
import signal
import subprocess
import sys

import pytest
from test_mailchimp_backend_support import (
    CAREER,
    PUBLISHCONF,
    ROOT,
    assert_exactly_once,
    ledger_entries,
    make_backend,
    real_newsletter,
    start_ledger,
    wait_for,
)

from possibility.commands.send import send
from possibility.core.newsletter.ledger import LedgerLocked

SEND = """
import json
from possibility.commands.send import send
from possibility.core.newsletter.settings import read_settings
from possibility.commands.publish.build import load_settings

settings = read_settings(load_settings({conf!r}, json.loads({values!r})))
send({output!r}, settings, test_to=["karen@example.org"])
"""


def effect(step):
    """Whether the server has applied the request of `step` (for kills after it)."""
    def applied(server):
        campaigns = list(server.campaigns.values())
        if step == "create":
            return bool(campaigns)
        if step == "content":
            return bool(campaigns and campaigns[0]["content"]["html"])
        if step == "test":
            return bool(server.test_sends)
        return bool(campaigns and campaigns[0]["status"] == "sent")
    return applied


REQUESTS = {
    "find": ("GET", r"^/campaigns$"),  # the survey of the list's campaigns
    "create": ("POST", r"^/campaigns$"),
    "content": ("PUT", r"/content$"),
    "check": ("GET", r"/send-checklist$"),
    "test": ("POST", r"/actions/test$"),
    "send": ("POST", r"/actions/send$"),
}
KILLS = [(step, "before") for step in REQUESTS] + [
    (step, "after") for step in ("create", "content", "test", "send")]


@pytest.fixture
def newsletter(production_site, tmp_path):
    output, settings = real_newsletter(production_site, tmp_path)
    start_ledger(output, settings, send=(CAREER,))
    values = {"PATH": str(production_site.content), "SITEURL": settings.siteurl,
              "NEWSLETTER_LEDGER_PATH": str(settings.ledger_path),
              "NEWSLETTER_MAILCHIMP_TIMEOUT": 20, "NEWSLETTER_MAILCHIMP_BACKOFF": 0.01}
    return output, settings, values


def start_send(mailchimp_api, output, values):
    script = SEND.format(conf=str(PUBLISHCONF),
                         values=json.dumps(values), output=str(output))
    env = {**os.environ, "MAILCHIMP_API_KEY": mailchimp_api.api_key,
           "MAILCHIMP_API_URL": mailchimp_api.base_url, "MAILCHIMP_LIST_ID": mailchimp_api.list_id}
    return subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("step, when", KILLS)
def test_a_run_killed_at_any_step_is_finished_by_the_next_without_a_duplicate(
        newsletter, mailchimp_api, step, when):
    output, settings, values = newsletter
    server = mailchimp_api.server
    method, path = REQUESTS[step]
    hold = server.faults.add("slow", method=method, path_regex=path, seconds=30,
                             after=when == "after")
    process = start_send(mailchimp_api, output, values)
    try:
        wait_for(lambda: hold.hits and (when == "before" or effect(step)(server)),
                 timeout=20)
    finally:
        process.send_signal(signal.SIGKILL)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL, stderr.decode()
    stopped_at = ledger_entries(settings).get(CAREER, {}).get("state")  # None: not begun
    assert stopped_at != "sent"

    report = send(output, settings, backend=make_backend(mailchimp_api),
                  test_to=["karen@example.org"])

    assert [(r.slugs, r.resumed_from) for r in report.results] == [((CAREER,), stopped_at)]
    assert_exactly_once(server, settings, [CAREER])


def test_a_second_run_while_one_is_going_sends_nothing(newsletter, mailchimp_api):
    output, settings, values = newsletter
    server = mailchimp_api.server
    hold = server.faults.add("slow", method="POST", path_regex=r"^/campaigns$", seconds=1.0)
    process = start_send(mailchimp_api, output, values)
    wait_for(lambda: hold.hits, timeout=20)

    with pytest.raises(LedgerLocked, match="another newsletter run is using the ledger"):
        send(output, settings, backend=make_backend(mailchimp_api))

    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr.decode()
    assert len(server.calls("POST", r"^/campaigns$")) == 1
    assert_exactly_once(server, settings, [CAREER])
    assert send(output, settings, backend=make_backend(mailchimp_api)).results == []
