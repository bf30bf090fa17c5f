"""`invoke newsletter-report`: each sent campaign's report read through the official client
from the test server behind Prism (the spec's /reports/{campaign_id} and /click-details),
summed up on the terminal and in a local page with inline SVG charts (valid HTML), the
figures merged run after run and never lost; without a key, the rehearsal outbox.
"""

import json
from datetime import timedelta

import pytest
from invoke import Context
from mailchimp_server import parse_time
from test_html_valid import nu_errors
from test_mailchimp_backend_support import newsletter_settings, start_ledger
from test_mailchimp_targeting import backend_for, post

import tasks
from possibility.commands.newsletter_report import (
    FIGURES_FILE,
    PAGE_FILE,
    ReportError,
    make_report,
)
from possibility.commands.send import send

SITE = "https://www.thepossibilitypractice.com"


@pytest.fixture
def sent(site, mailchimp_api, tmp_path):
    """Two emails sent to the list through the real pipeline (post a, then post b), to five
    subscribers, and what they did with them."""
    server = mailchimp_api.server
    server.clear_members()
    client = mailchimp_api.client()
    readers = [f"reader{n}@example.org" for n in range(1, 6)]
    for email in readers:
        client.lists.add_list_member(mailchimp_api.list_id, {
            "email_address": email, "status": "subscribed", "interests": {}})
    settings = newsletter_settings(site.content, tmp_path / "ledger.json",
                                   NEWSLETTER_OUTBOX_PATH=str(tmp_path / "outbox"))
    site.write_post("a.md", post("a", 1))
    site.build()
    start_ledger(site.output, settings, send=["a"])
    send(site.output, settings, backend=backend_for(settings, mailchimp_api))
    site.write_post("b.md", post("b", 2))
    site.build()
    send(site.output, settings, backend=backend_for(settings, mailchimp_api))
    ids = {c["settings"]["subject_line"]: c["id"] for c in server.campaigns.values()}
    first, second = ids["Post a"], ids["Post b"]
    at = parse_time(server.campaigns[first]["send_time"])
    for number, reader in enumerate(readers[:3]):
        server.record_open(first, reader, at + timedelta(minutes=20 + 70 * number))
    server.record_open(first, readers[0], at + timedelta(hours=5))  # opened again
    server.record_click(first, readers[0], f"{SITE}/a/", at + timedelta(minutes=30))
    server.record_click(first, readers[1], f"{SITE}/a/", at + timedelta(hours=2))
    server.record_click(first, readers[1], f"{SITE}/contact/", at + timedelta(hours=2))
    server.record_unsubscribe(first, readers[4])
    server.record_bounce(first, readers[3])
    server.record_open(second, readers[2])
    env = {"MAILCHIMP_API_KEY": mailchimp_api.api_key, "MAILCHIMP_API_URL":
           mailchimp_api.base_url}
    return settings, env, first, second, readers, tmp_path / "report"


def test_the_report_reads_each_campaign_and_sums_it_up(sent, mailchimp_api):
    settings, env, first, second, readers, folder = sent
    report = make_report(settings, env, folder, timezone="America/New_York")
    lines = report.lines()
    [line_a] = [line for line in lines if "Post a:" in line]
    assert ("sent to 5, opened by 3 (75.0%), clicked by 2 (50.0%), 1 unsubscribed, "
            "1 bounced") in line_a
    assert f"    2 clicks  {SITE}/a/" in "\n".join(lines)
    assert [line for line in lines if "Post b:" in line][0].endswith(
        "sent to 5, opened by 1 (20.0%), clicked by 0 (0.0%), 0 unsubscribed, 0 bounced")
    assert lines[-1] == f"Report: {folder / PAGE_FILE}"
    assert mailchimp_api.api_key not in "\n".join(lines)
    server = mailchimp_api.server
    assert {(r.method, r.path) for r in server.requests if r.path.startswith("/reports")} == {
        ("GET", f"/reports/{first}"), ("GET", f"/reports/{first}/click-details"),
        ("GET", f"/reports/{second}"), ("GET", f"/reports/{second}/click-details")}

    figures = json.loads((folder / FIGURES_FILE).read_text(encoding="utf-8"))
    email = figures["emails"][first]
    assert email["latest"] == {"emails_sent": 5, "opens_total": 4, "unique_opens": 3,
                               "open_rate": 0.75, "clicks_total": 3, "unique_clicks": 2,
                               "click_rate": 0.5, "unsubscribed": 1, "hard_bounces": 1,
                               "soft_bounces": 0}
    hours = list(email["hours"].values())
    assert len(hours) == 24 and hours[0]["emails_sent"] == 5
    assert sum(h["unique_opens"] for h in hours) == 3
    assert sum(h["recipients_clicks"] for h in hours) == 3
    assert email["top_links"][0] == {"url": f"{SITE}/a/", "total_clicks": 2,
                                     "unique_clicks": 2}


def test_the_page_is_valid_html_with_inline_svg_charts_and_nothing_from_elsewhere(sent):
    settings, env, first, second, readers, folder = sent
    make_report(settings, env, folder)
    page = (folder / PAGE_FILE).read_text(encoding="utf-8")
    assert page.count("<svg ") == 3  # all emails, then each one's first 24 hours
    assert 'role="img"' in page and "<title id=" in page
    assert "<script" not in page and " src=" not in page and "<link" not in page
    assert "Post a" in page and f"{SITE}/contact/" in page
    assert nu_errors(folder) == []


def test_running_again_merges_and_never_loses_figures(sent, mailchimp_api):
    settings, env, first, second, readers, folder = sent
    server = mailchimp_api.server
    make_report(settings, env, folder)
    server.record_open(second, readers[0])
    make_report(settings, env, folder)  # a second run: b has one more open
    figures = json.loads((folder / FIGURES_FILE).read_text(encoding="utf-8"))
    assert [p["unique_opens"] for p in figures["emails"][second]["history"]] == [1, 2]
    assert len(figures["emails"][first]["history"]) == 1  # unchanged: no new point

    with server._lock:  # the campaign deleted in Mailchimp: no report any more
        del server._campaigns[first]
    report = make_report(settings, env, folder)
    assert any(f"no report for campaign {first}" in note for note in report.notes)
    kept = json.loads((folder / FIGURES_FILE).read_text(encoding="utf-8"))
    assert kept["emails"][first] == figures["emails"][first]
    assert "Post a" in (folder / PAGE_FILE).read_text(encoding="utf-8")


def test_a_rejected_key_changes_nothing_and_is_never_shown(sent, mailchimp_api):
    settings, env, first, second, readers, folder = sent
    make_report(settings, env, folder)
    before = (folder / FIGURES_FILE).read_bytes()
    wrong = "ffffffffffffffffffffffffffffffff-us1"
    with pytest.raises(ReportError) as refused:
        make_report(settings, {**env, "MAILCHIMP_API_KEY": wrong}, folder)
    assert "API key rejected" in str(refused.value) and wrong not in str(refused.value)
    assert (folder / FIGURES_FILE).read_bytes() == before


def test_without_a_key_the_task_shows_the_outbox(site, tmp_path, monkeypatch, capsys):
    settings = newsletter_settings(site.content, tmp_path / "ledger.json",
                                   NEWSLETTER_OUTBOX_PATH=str(tmp_path / "outbox"))
    site.write_post("a.md", post("a", 1))
    site.build()
    start_ledger(site.output, settings, send=["a"])
    send(site.output, settings)  # no key: the outbox
    monkeypatch.setattr(tasks, "ROOT", tmp_path)  # no .env there; the report goes there
    monkeypatch.setattr(tasks, "_newsletter", lambda settings_file=None: settings)
    monkeypatch.delenv("MAILCHIMP_API_KEY", raising=False)
    capsys.readouterr()  # the build's own lines

    tasks.newsletter_report(Context())

    printed = capsys.readouterr().out
    assert printed.startswith("No MAILCHIMP_API_KEY (environment or .env)")
    [eml] = (tmp_path / "outbox").glob("*.eml")
    assert f"  {eml.name}  'Post a'  " in printed
    page = tmp_path / ".cache" / "newsletter-report" / PAGE_FILE
    assert f"Report: {page}" in printed
    assert eml.name in page.read_text(encoding="utf-8")
    assert not (page.parent / FIGURES_FILE).exists()  # nothing read, nothing kept
    assert nu_errors(page.parent) == []
