"""`audience-sync` against the Mailchimp-compatible test server, through Prism (the contract).

The official client talks to tests/mailchimp_server.py on 127.0.0.1 via MAILCHIMP_API_URL;
Prism fails a test if any request or answer breaks Mailchimp's OpenAPI document.
"""

import json
from pathlib import Path

import pytest
from invoke import Context
from invoke.exceptions import Exit
from mailchimp_server import MailchimpServer

import tasks
from possibility.commands.audience_sync import (
    AudienceSyncError,
    MailchimpAudience,
    sync_audience_file,
)
from possibility.core.newsletter.backends.mailchimp_api import RetryPolicy
from possibility.core.signup.audience_file import import_embed_code, read_audience

EMBED = Path(__file__).parent / "fixtures" / "embed"
FAST = RetryPolicy(attempts=3, base=0.01, cap=1.0)


def no_wait(seconds):
    """Retries are tested for what they do, not timed."""


@pytest.fixture
def audience_file(tmp_path):
    """The audience file imported from the classic embed code, for the server's list."""
    path = tmp_path / "content" / "audience.json"
    data, _, _ = import_embed_code(EMBED / "classic.html", path)
    return path


def use_list(path, list_id):
    data = json.loads(path.read_text(encoding="utf-8"))
    data["list_id"] = list_id
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def test_sync_records_each_interests_api_id_beside_its_form_field(mailchimp_api, audience_file):
    server = mailchimp_api.server
    use_list(audience_file, server.list_id)
    report, changed = sync_audience_file(audience_file, mailchimp_api.api_key,
                                         mailchimp_api.base_url)
    assert changed
    [category] = read_audience(audience_file)["interest_categories"]
    assert category["category_id"] == server.interest_category_id
    assert [(g["field"], g["interest_id"]) for g in category["groups"]] == [
        ("group[13157][1]", server.interest_ids["Articles"]),
        ("group[13157][2]", server.interest_ids["Events"]),
        ("group[13157][4]", server.interest_ids["Executive Coaching Group"]),
    ]
    data = read_audience(audience_file)
    assert (data["list_name"], data["double_optin"]) == ("The Possibility Practice", True)
    assert (report.only_in_form, report.only_in_mailchimp) == ([], [])
    assert [(c.method, c.path) for c in server.calls()] == [
        ("GET", f"/lists/{server.list_id}"),
        ("GET", f"/lists/{server.list_id}/interest-categories"),
        ("GET", f"/lists/{server.list_id}/interest-categories/"
                f"{server.interest_category_id}/interests"),
    ]
    assert sync_audience_file(audience_file, mailchimp_api.api_key,
                              mailchimp_api.base_url)[1] is False


def test_groups_on_one_side_only_are_reported(audience_file):
    with MailchimpServer(interests=("Articles", "Events", "Podcasts")) as server:
        use_list(audience_file, server.list_id)
        report, _ = sync_audience_file(audience_file, server.api_key, server.url)
    title = "I would like to receive:"
    assert report.only_in_form == [(title, "Executive Coaching Group")]
    assert report.only_in_mailchimp == [(title, "Podcasts")]
    groups = read_audience(audience_file)["interest_categories"][0]["groups"]
    assert [g.get("interest_id") for g in groups] == [
        server.interest_ids["Articles"], server.interest_ids["Events"], None]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ("wrong key", "API key rejected (HTTP 401"),
        ("unknown list", "Mailchimp has no list 7c9e1a4b2d (HTTP 404"),
        ("server error", "(HTTP 500"),
    ],
)
def test_failures_say_what_to_check_and_change_nothing(mailchimp_api, audience_file, change,
                                                      says):
    server = mailchimp_api.server
    key = mailchimp_api.api_key
    if change == "wrong key":
        key = "ffffffffffffffffffffffffffffffff-us1"
    if change != "unknown list":
        use_list(audience_file, server.list_id)
    if change == "server error":
        server.faults.add("500", method="GET", path_regex="/interests$", times=FAST.attempts)
    before = audience_file.read_bytes()
    with pytest.raises(AudienceSyncError) as error:
        sync_audience_file(audience_file, key, mailchimp_api.base_url, retry=FAST, sleep=no_wait)
    assert says in str(error.value)
    if change == "unknown list":
        assert "Check list_id in the audience file" in str(error.value)
    assert key not in str(error.value)
    assert audience_file.read_bytes() == before


def test_a_passing_failure_is_retried(mailchimp_api, audience_file):
    """Mailchimp's 500s and 429s are often momentary: the sync goes on after a retry."""
    server = mailchimp_api.server
    use_list(audience_file, server.list_id)
    server.faults.add("500", method="GET", path_regex="/interests$")
    waits = []
    report, changed = sync_audience_file(audience_file, mailchimp_api.api_key,
                                         mailchimp_api.base_url, retry=FAST, sleep=waits.append)
    assert changed and len(waits) == 1
    assert [g for _, g, _ in report.matched] == ["Articles", "Events", "Executive Coaching Group"]


def test_an_unreachable_api_is_named_without_the_key(audience_file):
    with MailchimpServer() as server:
        url, key = server.url, server.api_key
    with pytest.raises(AudienceSyncError) as error:
        sync_audience_file(audience_file, key, url, retry=FAST, sleep=no_wait)
    assert f"could not reach Mailchimp at {url}" in str(error.value)
    assert key not in str(error.value)


def test_api_address_comes_from_the_key_unless_overridden():
    assert MailchimpAudience("abc-us21").host == "https://us21.api.mailchimp.com/3.0"
    assert MailchimpAudience("abc", dc="us5").host == "https://us5.api.mailchimp.com/3.0"
    override = MailchimpAudience("abc-us21", "http://127.0.0.1:9/server/3.0/")
    assert override.host == "http://127.0.0.1:9/server/3.0"
    assert override.api.client.api_client.host == override.host
    assert override.api.client.api_client.server == ""
    with pytest.raises(AudienceSyncError, match="no data centre suffix"):
        MailchimpAudience("abc")
    with pytest.raises(AudienceSyncError, match="MAILCHIMP_API_KEY is not set"):
        MailchimpAudience("")


def test_the_task_prints_the_report_and_never_the_key(mailchimp_api, audience_file,
                                                     monkeypatch, capsys):
    use_list(audience_file, mailchimp_api.list_id)
    monkeypatch.setattr(tasks, "_signup_audience_path", lambda: audience_file)
    monkeypatch.setenv("MAILCHIMP_API_KEY", mailchimp_api.api_key)
    monkeypatch.setenv("MAILCHIMP_API_URL", mailchimp_api.base_url)
    tasks.audience_sync(Context())
    out = capsys.readouterr().out
    assert "Mailchimp list: The Possibility Practice" in out
    assert "I would like to receive: › Executive Coaching Group: " in out
    assert f"Updated {audience_file}" in out
    monkeypatch.setenv("MAILCHIMP_API_KEY", "ffffffffffffffffffffffffffffffff-us1")
    with pytest.raises(Exit) as error:
        tasks.audience_sync(Context())
    printed = capsys.readouterr()
    for text in (out, printed.out, printed.err, str(error.value.message),
                 audience_file.read_text(encoding="utf-8")):
        assert mailchimp_api.api_key not in text
        assert "ffffffffffffffffffffffffffffffff" not in text


def test_the_import_task_refuses_bad_code_and_changes_nothing(audience_file, monkeypatch,
                                                             capsys):
    monkeypatch.setattr(tasks, "_signup_audience_path", lambda: audience_file)
    before = audience_file.read_bytes()
    with pytest.raises(Exit) as error:
        tasks.audience_import(Context(), str(EMBED / "unrelated_contact_form.html"))
    assert "formspree.io" in error.value.message and "Nothing was changed" in error.value.message
    assert audience_file.read_bytes() == before
    tasks.audience_import(Context(), str(EMBED / "classic.html"))
    assert "Unchanged:" in capsys.readouterr().out
