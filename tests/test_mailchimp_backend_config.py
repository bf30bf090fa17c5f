"""Configuring the Mailchimp backend: NEWSLETTER_MAILCHIMP_* settings, MAILCHIMP_* variables,
and the audience file's ids; what is chosen, and what a wrong value says."""

import json

import pytest
from test_mailchimp_backend_support import newsletter_settings

from possibility.core.newsletter.backends import BackendError, OutboxBackend, choose_backend
from possibility.core.newsletter.backends.mailchimp_backend import MailchimpBackend
from possibility.core.newsletter.settings import NewsletterSettingsError

KEY = "0123456789abcdef0123456789abcdef-us21"
AUDIENCE = {
    "list_id": "7c9e1a4b2d",
    "interest_categories": [{"title": "I would like to receive:", "category_id": "b6e1f3c2a9",
                             "groups": [{"name": "Articles", "interest_id": "3f9a1c7e52"},
                                        {"name": "Events", "interest_id": "a84d2e6b10"}]}],
}


@pytest.fixture
def content(tmp_path):
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "audience.json").write_text(json.dumps(AUDIENCE), encoding="utf-8")
    return folder


def settings(content, **overrides):
    return newsletter_settings(content, content.parent / "ledger.json", **overrides)


def test_the_defaults(content):
    mailchimp = settings(content).mailchimp
    assert (mailchimp.list_id, mailchimp.from_name, mailchimp.reply_to) == ("", "", "")
    assert (mailchimp.send_mode, mailchimp.schedule_delay, mailchimp.timeout) == ("send", 60, 30)
    assert (mailchimp.attempts, mailchimp.backoff, mailchimp.backoff_cap) == (5, 1.0, 30)
    assert mailchimp.audience_path == content / "audience.json"


@pytest.mark.parametrize("name, value, says", [
    ("NEWSLETTER_MAILCHIMP_SEND", "later", "write one of 'send', 'schedule'"),
    ("NEWSLETTER_MAILCHIMP_SCHEDULE_DELAY", -5, "whole number of at least 0"),
    ("NEWSLETTER_MAILCHIMP_SCHEDULE_DELAY", 7.5, "whole number"),
    ("NEWSLETTER_MAILCHIMP_TIMEOUT", 0, "number of at least 0.001"),
    ("NEWSLETTER_MAILCHIMP_ATTEMPTS", 0, "positive whole number"),
    ("NEWSLETTER_MAILCHIMP_REPLY_TO", "Karen <karen@example.org>", "the address alone"),
    ("NEWSLETTER_MAILCHIMP_REPLY_TO", "karen", "an address such as"),
])
def test_a_wrong_value_names_the_setting_and_the_fix(content, name, value, says):
    with pytest.raises(NewsletterSettingsError) as wrong:
        settings(content, **{name: value})
    assert name in str(wrong.value) and says in str(wrong.value)


def test_the_key_chooses_mailchimp_and_the_list_comes_from_the_audience_file(content):
    backend = choose_backend(settings(content), {"MAILCHIMP_API_KEY": KEY})
    assert isinstance(backend, MailchimpBackend) and backend.name == "mailchimp"
    assert backend.list_id == "7c9e1a4b2d"
    assert backend._interests == {"Articles": ("b6e1f3c2a9", "3f9a1c7e52"),
                                  "Events": ("b6e1f3c2a9", "a84d2e6b10")}
    assert backend.api.host == "https://us21.api.mailchimp.com/3.0"
    assert KEY not in repr(backend) and KEY not in repr(vars(backend))
    assert isinstance(choose_backend(settings(content), {}), OutboxBackend)


def test_the_environment_wins_over_the_settings_and_the_file(content):
    configured = settings(content, NEWSLETTER_MAILCHIMP_LIST_ID="fromsetting",
                          NEWSLETTER_MAILCHIMP_FROM_NAME="Karen Steinberg",
                          NEWSLETTER_MAILCHIMP_REPLY_TO="karen@example.org",
                          NEWSLETTER_MAILCHIMP_SEND="schedule",
                          NEWSLETTER_MAILCHIMP_SCHEDULE_DELAY=30,
                          NEWSLETTER_MAILCHIMP_TIMEOUT=2.5)
    from_setting = MailchimpBackend.from_settings(configured, {"MAILCHIMP_API_KEY": KEY})
    assert from_setting.list_id == "fromsetting" and from_setting._interests is None
    assert (from_setting.from_name, from_setting.reply_to) == ("Karen Steinberg",
                                                               "karen@example.org")
    assert from_setting.send_mode == "schedule"
    assert from_setting.schedule_delay.total_seconds() == 30 * 60
    assert from_setting.api.timeout == 2.5
    env = {"MAILCHIMP_API_KEY": KEY, "MAILCHIMP_LIST_ID": "fromenv",
           "MAILCHIMP_API_URL": "http://127.0.0.1:4010/"}
    from_env = MailchimpBackend.from_settings(configured, env)
    assert from_env.list_id == "fromenv" and from_env.api.host == "http://127.0.0.1:4010"


def test_without_a_list_or_a_usable_key_it_says_what_to_set(content):
    (content / "audience.json").unlink()
    with pytest.raises(BackendError, match="set MAILCHIMP_LIST_ID"):
        choose_backend(settings(content), {"MAILCHIMP_API_KEY": KEY})
    with pytest.raises(BackendError) as no_dc:
        choose_backend(settings(content), {"MAILCHIMP_API_KEY": "0123456789abcdef",
                                           "MAILCHIMP_LIST_ID": "L"})
    assert "ending in -<dc>" in str(no_dc.value) and "0123456789abcdef" not in str(no_dc.value)
