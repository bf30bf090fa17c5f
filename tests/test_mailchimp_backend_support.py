"""Helpers for the Mailchimp backend tests (test_mailchimp_backend*.py); no tests here.

The backend talks to the test server through Prism (`mailchimp_api.base_url`), or
directly (`direct_url`) for faults Prism would rewrite. Backoff waits are recorded, not
slept, and a real site build (the `production_site` fixture, or a `site`) provides the
emails, so each test takes a fraction of a second.
"""

import base64
import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import PRODUCTION_URL

from possibility.commands.publish.build import load_settings
from possibility.core.newsletter.backends.mailchimp_api import MailchimpApi, RetryPolicy
from possibility.core.newsletter.backends.mailchimp_backend import MailchimpBackend, key_of
from possibility.core.newsletter.ledger import new_ledger, read_ledger, with_baseline, write_ledger
from possibility.core.newsletter.model import load_posts
from possibility.core.newsletter.settings import read_settings

ROOT = Path(__file__).resolve().parent.parent
PUBLISHCONF = ROOT / "publishconf.py"
SEEDED = "old-post-"  # title of the campaigns `seed_campaigns` makes
FAST = RetryPolicy(attempts=4, base=0.01, cap=10.0)  # waits are recorded, not slept
CAREER = "is-your-career-off-track"
WORK = "should-your-work-speak-for-itself"
REAL_POSTS = {
    "is-your-career-off-track": "urn:uuid:0b9e7a44-3c2f-4d1e-8f6a-5e8c1b2d9f37",
    "should-your-work-speak-for-itself": "urn:uuid:6f1d3c52-8a0e-4e7b-9c1a-2d5b7e4f8a10",
}


class Sleeps(list):
    """Stands in for time.sleep: records each wait instead of waiting."""

    def __call__(self, seconds):
        self.append(seconds)


def make_api(mailchimp_api, *, direct=False, timeout=5.0, retry=FAST, sleeps=None, **kwargs):
    url = mailchimp_api.direct_url if direct else mailchimp_api.base_url
    return MailchimpApi(mailchimp_api.api_key, url, timeout=timeout, retry=retry,
                        sleep=sleeps if sleeps is not None else Sleeps(), **kwargs)


def make_backend(mailchimp_api, *, direct=False, timeout=5.0, retry=FAST, sleeps=None,
                 settle=0.0, **kwargs):
    """The backend through Prism (or `direct`). Waits are recorded, not slept, so the
    fence before each irreversible step is 0 s: one publisher has no rival to wait for
    (tests/test_newsletter_exactly_once.py runs two, in processes, with the real one)."""
    sleeps = sleeps if sleeps is not None else Sleeps()
    api = make_api(mailchimp_api, direct=direct, timeout=timeout, retry=retry, sleeps=sleeps)
    return MailchimpBackend(api, list_id=mailchimp_api.list_id, sleep=sleeps, settle=settle,
                            **kwargs)


def newsletter_settings(content, ledger_path, **overrides):
    """Production newsletter settings of a site copy, with the ledger at `ledger_path`."""
    values = {"PATH": str(content), "SITEURL": PRODUCTION_URL,
              "NEWSLETTER_LEDGER_PATH": str(ledger_path)}
    values.update(overrides)
    return read_settings(load_settings(PUBLISHCONF, values))


def start_ledger(output, settings, send=()):
    """A ledger where every post but `send` (slugs) went out before the newsletter."""
    now = datetime.now(UTC) - timedelta(days=1)
    posts = [p for p in load_posts(Path(output) / settings.output_dir)
             if p.slug not in send]
    write_ledger(settings.ledger_path, with_baseline(new_ledger(now), posts, now))


def ledger_entries(settings):
    return {e["slug"]: e for e in read_ledger(settings.ledger_path)["posts"].values()}


def by_key(server):
    """The server's campaigns grouped by the key in their title."""
    grouped = {}
    for campaign in server.campaigns.values():
        grouped.setdefault(key_of(campaign["settings"]["title"]), []).append(campaign)
    return grouped


def assert_exactly_once(server, settings, slugs):
    """One campaign per post, sent; the ledger names it and says sent; nothing else sent."""
    grouped = by_key(server)
    entries = ledger_entries(settings)
    for slug in slugs:
        key = REAL_POSTS.get(slug) or entries[slug]["email"]
        campaigns = grouped.get(key, [])
        assert [c["status"] for c in campaigns] == ["sent"], (slug, campaigns)
        assert entries[slug]["state"] == "sent", entries[slug]
        assert entries[slug]["campaign_id"] == campaigns[0]["id"]
    sent = [c for c in server.campaigns.values() if c["status"] in ("sent", "sending")
            and not c["settings"]["title"].startswith(SEEDED)]
    assert len(sent) == len(slugs)


def auth_headers(api_key):
    token = base64.b64encode(f"seed:{api_key}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def seed_campaigns(server, count, *, sent=True):
    """`count` campaigns this pipeline sent earlier (other keys), straight into the server's
    state: an archive of old newsletters, one a day until a month ago, made in
    milliseconds."""
    headers = auth_headers(server.api_key)
    html = "<p>Old</p><p>*|UNSUB|* *|HTML:LIST_ADDRESS_HTML|*</p>"
    clock = server.clock
    try:
        _seed(server, count, sent, headers, html, clock)
    finally:
        server.clock = clock
    server.requests.clear()


def _seed(server, count, sent, headers, html, clock):
    start = clock() - timedelta(days=30 + count)
    for n in range(count):
        server.clock = lambda n=n: start + timedelta(days=n)
        body = {"type": "regular", "recipients": {"list_id": server.list_id}, "settings": {
            "title": f"{SEEDED}{n} [urn:uuid:00000000-0000-4000-8000-{n:012d}]",
            "subject_line": f"Old post {n}", "from_name": "TPP",
            "reply_to": "hello@thepossibilitypractice.com"}}
        _, campaign = server.dispatch("POST", "/campaigns", {}, headers,
                                      json.dumps(body).encode())
        if sent:
            server.dispatch("PUT", f"/campaigns/{campaign['id']}/content", {}, headers,
                            json.dumps({"html": html}).encode())
            server.dispatch("POST", f"/campaigns/{campaign['id']}/actions/send", {}, headers,
                            b"")


def api_calls(server):
    """(method, path) of every request the server answered, in order."""
    return [(r.method, r.path) for r in server.requests]


def with_ledger(settings, path):
    return replace(settings, ledger_path=Path(path))


def real_newsletter(production_site, folder):
    """(output, settings) of the real site (built once a session) with a ledger of its own
    in `folder` in which both real posts are new."""
    settings = newsletter_settings(production_site.content, Path(folder) / "ledger.json")
    start_ledger(production_site.output, settings, send=(CAREER, WORK))
    return production_site.output, settings


def wait_for(predicate, timeout=5.0):
    """Poll state until `predicate()` holds (bounded): no sleep stands for an event."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)
