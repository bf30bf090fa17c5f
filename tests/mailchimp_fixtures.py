"""pytest plugin: a Mailchimp-compatible server, alone or behind Prism (contract checks).

Loaded from conftest.py (`pytest_plugins`). Prism takes seconds to load Mailchimp's 5 MB
OpenAPI document, so one Prism and one server live for the session (per xdist worker); each
test gets the server reset to its seed state, and fails at teardown if Prism logged any
request or response that breaks the contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import mailchimp_marketing
import pytest
from mailchimp_marketing.api_client import ApiClientError
from mailchimp_server import MailchimpServer
from prism import Prism


def make_client(base_url, api_key, timeout=10):
    """The official client pointed at `base_url` (its Configuration().host is never read)."""
    client = mailchimp_marketing.Client()
    client.set_config({"api_key": api_key, "server": api_key.rpartition("-")[2],
                       "timeout": timeout})
    client.api_client.host = base_url
    return client


@dataclass
class MailchimpApi:
    """What a test needs to talk to Mailchimp through Prism, and to steer the server.

    base_url goes through Prism; direct_url bypasses it, for faults that Prism would turn
    into something else (an empty 500 becomes a Prism VIOLATIONS 500, a reset a 500).
    """

    base_url: str
    direct_url: str
    api_key: str
    list_id: str
    server: MailchimpServer
    prism: Prism

    def client(self, timeout=10, direct=False):
        return make_client(self.direct_url if direct else self.base_url, self.api_key, timeout)

    def take_violations(self):
        """Prism's violations so far; returned here, they no longer fail the test."""
        return self.prism.violations()


@pytest.fixture
def mailchimp_server():
    """A fresh server for one test; `server.url` is the base URL for the client."""
    with MailchimpServer() as server:
        yield server


def warm_up(prism, server):
    """Call each operation once: Prism compiles an operation's schemas on first use, which
    takes up to a second for campaigns, and would otherwise eat a test's client timeout."""
    client = make_client(prism.url, server.api_key, timeout=30)
    client.ping.get()
    client.root.get_root()
    client.lists.get_all_lists()
    client.lists.get_list(server.list_id)
    client.lists.get_list_interest_categories(server.list_id)
    client.lists.list_interest_category_interests(server.list_id, server.interest_category_id)
    settings = {"subject_line": "Warm-up", "from_name": "Warm-up", "reply_to": "a@example.com"}
    campaign_id = client.campaigns.create({
        "type": "regular",
        "recipients": {"list_id": server.list_id, "segment_opts": {"match": "any", "conditions": [{
            "condition_type": "Interests", "field": f"interests-{server.interest_category_id}",
            "op": "interestcontains", "value": list(server.interest_ids.values())}]}},
        "settings": settings,
    })["id"]
    client.campaigns.update(campaign_id, {"settings": settings})
    client.campaigns.set_content(campaign_id, {"html": "*|UNSUB|* *|LIST:ADDRESS|*"})
    client.campaigns.get_content(campaign_id)
    client.campaigns.get_send_checklist(campaign_id)
    client.campaigns.send_test_email(campaign_id, {"test_emails": ["a@example.com"],
                                                   "send_type": "html"})
    later = server.clock().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    client.campaigns.schedule(campaign_id, {"schedule_time": later.isoformat()})
    client.campaigns.unschedule(campaign_id)
    client.campaigns.send(campaign_id)
    client.campaigns.get(campaign_id)
    client.campaigns.list()
    client.campaigns.remove(campaign_id)
    try:
        client.campaigns.get(campaign_id)
    except ApiClientError as error:
        assert error.status_code == 404, error.text
    violations = prism.violations()
    assert not violations, "Prism rejected the warm-up:\n" + "\n".join(violations)
    server.reset()


@pytest.fixture(scope="session")
def _mailchimp_stack(tmp_path_factory):
    with MailchimpServer() as server:
        with Prism(server.url, folder=tmp_path_factory.mktemp("prism")) as prism:
            warm_up(prism, server)
            yield server, prism


@pytest.fixture
def mailchimp_api(_mailchimp_stack):
    """The session's server (reset) behind the session's Prism; fails on contract violations."""
    server, prism = _mailchimp_stack
    server.reset()
    prism.violations()
    yield MailchimpApi(prism.url, server.url, server.api_key, server.list_id, server, prism)
    server.reset()
    violations = prism.violations()
    if violations:
        pytest.fail("Prism saw requests or responses that break Mailchimp's OpenAPI contract "
                    "(the client received the details in a 422 or a 500 VIOLATIONS body):\n"
                    + "\n".join(violations), pytrace=False)
