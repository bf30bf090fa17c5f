"""The publish report (possibility.commands.publish.report): what each step did, where, who got
what."""

import io

from rich.console import Console

from possibility.commands.publish.deploy import DeployResult
from possibility.commands.publish.report import (
    Emailed,
    PublishReport,
    Skipped,
    StepRecord,
    count,
    lines,
    render,
)

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def sample(**changes):
    report = PublishReport(
        steps=[
            StepRecord("build", "done", 0.42, "24 pages (44 files) in output"),
            StepRecord("deploy", "done", 1.5, "uploaded 2 files, deleted 1, 41 unchanged"),
            StepRecord("send", "done", 0.08, "1 post emailed through the local outbox"),
        ],
        pages=24,
        output="output",
        deploy=DeployResult("s3://site/", ("a/index.html", "index.html"), ("old/index.html",), 41),
        emailed=[Emailed("Curiosity [Before] Strategy", "https://example.org/c/",
                         "campaign outbox-1 (outbox/2026-11-24-c.eml)")],
        skipped=[Skipped("Tomorrow's Post", "future-dated: goes out after 2030-06-02 09:00")],
        newsletter_note="the local outbox (outbox)",
        ledger="committed content/newsletter-ledger.json as abc1234",
    )
    for name, value in changes.items():
        setattr(report, name, value)
    return report


def test_plain_lines_say_everything_in_order():
    assert lines(sample()) == [
        "build      done       0.42s  24 pages (44 files) in output",
        "deploy     done       1.50s  uploaded 2 files, deleted 1, 41 unchanged",
        "send       done       0.08s  1 post emailed through the local outbox",
        "Pages: 24 in output",
        "Deploy: uploaded 2 files, deleted 1, 41 unchanged: s3://site/",
        "  uploaded a/index.html",
        "  uploaded index.html",
        "  deleted old/index.html",
        "Emailed: Curiosity [Before] Strategy <https://example.org/c/> -> "
        "campaign outbox-1 (outbox/2026-11-24-c.eml)",
        "Skipped: Tomorrow's Post: future-dated: goes out after 2030-06-02 09:00",
        "Newsletter: the local outbox (outbox)",
        "Ledger: committed content/newsletter-ledger.json as abc1234",
        "Published.",
    ]


def test_rendered_tables_show_titles_as_written_and_the_outcome():
    screen = io.StringIO()
    render(sample(), Console(file=screen, width=200))
    printed = screen.getvalue()
    for text in ("Publish report", "build", "0.42 s", "Curiosity [Before] Strategy",
                 "outbox/2026-11-24-c.eml", "Not emailed", "Tomorrow's Post",
                 "uploaded: a/index.html, index.html", "deleted: old/index.html", "Published."):
        assert text in printed, text


def test_a_failure_and_a_dry_run_say_so():
    failed = sample(failure="verify failed: https://example.org/c/ answered 404, not 200")
    assert lines(failed)[-1] == (
        "Publish stopped: verify failed: https://example.org/c/ answered 404, not 200"
    )
    assert lines(sample(dry_run=True))[-1] == "Dry run: nothing was deployed and nothing was sent."
    assert "Would email: Curiosity" in "\n".join(lines(sample(dry_run=True)))


def test_secrets_are_redacted_everywhere():
    leaky = sample(failure=f"deploy failed: bad key {SECRET}", ledger=f"x {SECRET}")
    screen = io.StringIO()
    render(leaky, Console(file=screen, width=200), secrets=(SECRET,))
    assert SECRET not in screen.getvalue() and "[redacted]" in screen.getvalue()
    assert SECRET not in "\n".join(lines(leaky, secrets=(SECRET,)))


def test_counts_read_as_words():
    assert (count(1, "post"), count(0, "post"), count(3, "file")) == ("1 post", "0 posts",
                                                                       "3 files")


def test_a_long_failure_is_said_once_in_full_at_the_end():
    message = "not live, so nothing was emailed:\n  - https://example.org/c/ answered 404, not 200"
    failed = sample(
        steps=[StepRecord("verify", "failed", 0.3, message)], failure=f"verify failed: {message}"
    )
    text = "\n".join(lines(failed))
    assert "verify     failed     0.30s  not live, so nothing was emailed: (more below)" in text
    assert text.count("answered 404") == 1


def test_the_pages_a_build_wrote_are_counted_when_known():
    report = sample(pages_written=3, pages_unchanged=21)
    assert "Pages: 24 in output; 3 written, 21 already right" in lines(report)
    screen = io.StringIO()
    render(report, Console(file=screen, width=200))
    assert "24 in output; 3 written, 21 already right" in screen.getvalue()
