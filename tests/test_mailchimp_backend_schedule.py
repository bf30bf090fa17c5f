"""Scheduling instead of sending: Mailchimp's quarter-hours, the account that cannot
schedule, scheduled campaigns that go out later, and `invoke newsletter-cancel`."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from invoke import Context
from invoke.exceptions import Exit
from test_mailchimp_backend_support import (
    CAREER,
    WORK,
    assert_exactly_once,
    ledger_entries,
    make_backend,
    real_newsletter,
    start_ledger,
)

import tasks
from possibility.commands.send import SendError, cancel, send, status
from possibility.core.newsletter.backends import BackendError

NOW = datetime(2030, 1, 7, 12, 3, 20, tzinfo=UTC)


@pytest.fixture
def newsletter(production_site, tmp_path, mailchimp_api):
    """One new post, and a server whose clock says NOW."""
    output, settings = real_newsletter(production_site, tmp_path)
    start_ledger(output, settings, send=(CAREER,))
    mailchimp_api.server.clock = lambda: NOW
    return output, settings


def scheduler(mailchimp_api, now=NOW, delay=60, **kwargs):
    return make_backend(mailchimp_api, send_mode="schedule", clock=lambda: now,
                        schedule_delay=timedelta(minutes=delay), **kwargs)


def only_campaign(server):
    [campaign] = server.campaigns.values()
    return campaign


def test_a_time_off_the_quarter_hour_is_rounded_up_and_said(newsletter, mailchimp_api, caplog):
    output, settings = newsletter
    server = mailchimp_api.server
    with caplog.at_level(logging.WARNING):
        report = send(output, settings, backend=scheduler(mailchimp_api))
    assert report.results[0].state == "scheduled"
    campaign = only_campaign(server)
    assert campaign["status"] == "schedule"
    assert campaign["send_time"] == "2030-01-07T13:15:00+00:00"
    assert "quarter-hours only" in caplog.text and "2030-01-07 13:15 UTC" in caplog.text
    assert "13:03:20" in caplog.text
    assert ledger_entries(settings)[CAREER]["state"] == "scheduled"
    assert ledger_entries(settings)[CAREER]["scheduled_for"] == "2030-01-07T13:15:00Z"
    assert report.results[0].line().endswith(", goes out 2030-01-07 13:15 UTC")
    assert not server.calls("POST", "/actions/send$")


def test_a_time_on_the_quarter_hour_is_kept(newsletter, mailchimp_api, caplog):
    output, settings = newsletter
    on_time = NOW.replace(minute=0, second=0)
    mailchimp_api.server.clock = lambda: on_time
    with caplog.at_level(logging.WARNING):
        send(output, settings, backend=scheduler(mailchimp_api, now=on_time, delay=15))
    assert only_campaign(mailchimp_api.server)["send_time"] == "2030-01-07T12:15:00+00:00"
    assert "quarter-hour" not in caplog.text


def test_a_scheduled_campaign_becomes_sent_when_its_time_has_come(newsletter, mailchimp_api):
    output, settings = newsletter
    server = mailchimp_api.server
    send(output, settings, backend=scheduler(mailchimp_api))
    [row] = [r for r in status(output, settings).decision.rows if r.post.slug == CAREER]
    assert row.state == "scheduled" and "via mailchimp" in row.reason
    server.clock = lambda: NOW + timedelta(hours=2)
    report = send(output, settings, backend=make_backend(mailchimp_api))
    assert report.synced == [CAREER] and report.results == []
    assert_exactly_once(server, settings, [CAREER])


def test_an_account_that_cannot_schedule_says_so_and_can_still_send(newsletter, mailchimp_api):
    output, settings = newsletter
    server = mailchimp_api.server
    server.can_schedule = False
    with pytest.raises(SendError) as refused:
        send(output, settings, backend=scheduler(mailchimp_api))
    message = str(refused.value)
    assert "this Mailchimp account cannot schedule campaigns" in message
    assert "paid plans" in message and "NEWSLETTER_MAILCHIMP_SEND = 'send'" in message
    assert only_campaign(server)["status"] == "save"
    assert ledger_entries(settings)[CAREER]["state"] == "sending"

    report = send(output, settings, backend=make_backend(mailchimp_api))
    assert report.results[0].resumed_from == "sending"
    assert_exactly_once(server, settings, [CAREER])


def test_a_schedule_whose_answer_was_lost_is_read_back(newsletter, mailchimp_api):
    output, settings = newsletter
    server = mailchimp_api.server
    server.faults.add("reset", method="POST", path_regex="/actions/schedule$", after=True)
    send(output, settings, backend=scheduler(mailchimp_api, direct=True))
    assert only_campaign(server)["status"] == "schedule"
    assert len(server.calls("POST", "/actions/schedule$")) == 1
    assert ledger_entries(settings)[CAREER]["state"] == "scheduled"


def test_cancel_unschedules_and_the_ledger_says_so(newsletter, mailchimp_api):
    output, settings = newsletter
    server = mailchimp_api.server
    send(output, settings, backend=scheduler(mailchimp_api))

    lines = cancel(settings, CAREER, make_backend(mailchimp_api))

    campaign = only_campaign(server)
    assert campaign["status"] == "save" and not campaign.get("send_time")
    assert ledger_entries(settings)[CAREER]["state"] == "cancelled"
    assert "unscheduled" in lines[0] and "cancelled in the ledger" in lines[1]
    [row] = [r for r in status(output, settings).decision.rows if r.post.slug == CAREER]
    assert (row.state, row.reason.startswith("its campaign was cancelled")) == ("skipped", True)
    server.clock = lambda: NOW + timedelta(hours=2)
    assert send(output, settings, backend=make_backend(mailchimp_api)).results == []
    assert only_campaign(server)["status"] == "save"
    assert cancel(settings, CAREER, make_backend(mailchimp_api)) == [
        f"{CAREER}: already cancelled."]


def test_cancel_refuses_what_went_out_or_is_unknown(newsletter, mailchimp_api):
    output, settings = newsletter
    server = mailchimp_api.server
    send(output, settings, backend=scheduler(mailchimp_api))
    server.clock = lambda: NOW + timedelta(hours=2)  # it went out meanwhile
    with pytest.raises(BackendError, match="has already gone out"):
        cancel(settings, CAREER, make_backend(mailchimp_api))
    assert ledger_entries(settings)[CAREER]["state"] == "scheduled"
    with pytest.raises(BackendError, match="'baseline' in the ledger"):
        cancel(settings, WORK, make_backend(mailchimp_api))
    with pytest.raises(BackendError, match="has no post 'nope'"):
        cancel(settings, "nope", make_backend(mailchimp_api))


def test_the_cancel_task_uses_the_environment_and_prints(newsletter, mailchimp_api,
                                                         monkeypatch, capsys, tmp_path):
    output, settings = newsletter
    send(output, settings, backend=scheduler(mailchimp_api))
    monkeypatch.setattr(tasks, "ROOT", tmp_path)  # no .env there
    monkeypatch.setattr(tasks, "_newsletter", lambda settings_file=None: settings)
    monkeypatch.setenv("MAILCHIMP_API_KEY", mailchimp_api.api_key)
    monkeypatch.setenv("MAILCHIMP_API_URL", mailchimp_api.base_url)
    monkeypatch.setenv("MAILCHIMP_LIST_ID", mailchimp_api.list_id)

    tasks.newsletter_cancel(Context(), CAREER)

    printed = capsys.readouterr().out
    assert "unscheduled" in printed and "cancelled in the ledger" in printed
    assert mailchimp_api.api_key not in printed
    assert only_campaign(mailchimp_api.server)["status"] == "save"
    tasks.newsletter_cancel(Context(), CAREER)
    assert capsys.readouterr().out == f"{CAREER}: already cancelled.\n"
    with pytest.raises(Exit, match="'baseline' in the ledger: there is nothing to cancel"):
        tasks.newsletter_cancel(Context(), WORK)


def test_an_unschedule_whose_answer_was_lost_is_read_back(newsletter, mailchimp_api):
    output, settings = newsletter
    server = mailchimp_api.server
    send(output, settings, backend=scheduler(mailchimp_api))
    server.faults.add("reset", method="POST", path_regex="/actions/unschedule$", after=True)
    cancel(settings, CAREER, make_backend(mailchimp_api, direct=True))
    assert only_campaign(server)["status"] == "save"
    assert len(server.calls("POST", "/actions/unschedule$")) == 1
    assert ledger_entries(settings)[CAREER]["state"] == "cancelled"
