"""The publish report (possibility.commands.publish.report): what each step did, where, who got
what."""

import io

from rich.console import Console

from possibility.commands.publish.deploy import DeployResult
from possibility.commands.publish.newsletter_bridge import DueEmail
from possibility.commands.publish.report import (
    Emailed,
    EmailPreview,
    PublishReport,
    Skipped,
    StepRecord,
    count,
    lines,
    markdown,
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


def test_the_pages_a_build_wrote_are_counted_when_known_and_add_up():
    report = sample(pages_written=3, pages_unchanged=21, email_previews=2, other_files=19,
                    removed=1)
    expected = ("24 in output: 3 written, 21 already right; also 2 email previews and "
                "19 other files; 1 old file removed")
    assert f"Pages: {expected}" in lines(report)
    screen = io.StringIO()
    render(report, Console(file=screen, width=200))
    assert expected in screen.getvalue()


def test_held_back_posts_are_listed_with_when_they_go_out():
    held = ["content/posts/x.md is dated 2030-06-02 09:00 EDT (in 4 h 55 min): it is "
            "published by the first build after that"]
    report = sample(held_back=held)
    assert f"Held back: {held[0]}" in lines(report)
    assert lines(report).index(f"Held back: {held[0]}") == lines(report).index(
        "Pages: 24 in output") + 1
    screen = io.StringIO()
    render(report, Console(file=screen, width=300))
    assert "Held back" in screen.getvalue() and "(in 4 h 55 min)" in screen.getvalue()


def test_the_pipeline_reports_what_the_build_counted(production_site):
    """build_step: the report's numbers are the build's, and they add up."""
    from possibility.commands.publish.pipeline import PublishOptions, _Run, build_step

    result = production_site.result
    run = _Run(settings=None, options=PublishOptions(), edges=None, report=PublishReport())
    run.edges = type("Edges", (), {"build": staticmethod(lambda: result)})()
    status, summary = build_step(run)
    report = run.report
    assert status == "done" and summary == result.describe()
    assert report.pages == report.pages_written + report.pages_unchanged > 20
    assert report.pages + report.email_previews + report.other_files == len(result.files)
    assert report.email_previews == len(result.email_previews) == 2


def test_a_rehearsal_says_it_reached_no_subscriber():
    rehearsed = Emailed("Curiosity", "https://example.org/c/", "rehearsal: written to "
                        "outbox/2026-11-24-c.eml, not sent to subscribers", rehearsal=True)
    report = sample(emailed=[rehearsed], newsletter_note=(
        "the local outbox (outbox): a rehearsal, not sent to subscribers; set "
        "MAILCHIMP_API_KEY to send for real"))
    text = lines(report)
    assert ("Rehearsed: Curiosity <https://example.org/c/> -> rehearsal: written to "
            "outbox/2026-11-24-c.eml, not sent to subscribers") in text
    assert text[-3].endswith("set MAILCHIMP_API_KEY to send for real")
    assert "Would rehearse: Curiosity" in "\n".join(lines(sample(emailed=[rehearsed],
                                                                 dry_run=True)))
    screen = io.StringIO()
    render(report, Console(file=screen, width=300))
    assert "Rehearsed" in screen.getvalue() and "Emailed" not in screen.getvalue()


def test_the_markdown_summary_says_what_would_be_emailed_and_what_is_held_back():
    held = "content/posts/x.md is dated 2030-06-02 09:00 EDT (in 4 h 55 min): it is published " \
           "by the first build after that"
    preview = EmailPreview("A | B <c>", "post", ("Articles", "Events"),
                           (DueEmail("A | B <c>", "https://example.org/a/"),), 20480, 3072)
    digest = EmailPreview("3 new articles", "digest", (), tuple(
        DueEmail(f"Post {n}", f"https://example.org/{n}/") for n in range(3)), 30720, 5120,
        resumed="checked")
    report = sample(dry_run=True, previews=[preview, digest], held_back=[held],
                    checks=f"checked the links of 28 pages; key {SECRET}")
    text = markdown(report, secrets=(SECRET,))
    assert text.startswith("## Publish dry run: ✅ Dry run: nothing was deployed and nothing "
                           "was sent.\n")
    assert "**Checks passed:** checked the links of 28 pages; key [redacted]" in text
    assert SECRET not in text
    assert ("| A \\| B &lt;c&gt; | Articles, Events | 20.0 KB HTML, 3.0 KB text | "
            "[A \\| B &lt;c&gt;](https://example.org/a/) |") in text
    assert ("| 3 new articles (digest of 3) (resumes after 'checked') | the whole list | "
            "30.0 KB HTML, 5.0 KB text | [Post 0](https://example.org/0/)<br>[Post 1]") in text
    assert f"### Held back by their date\n\n- {held}\n" in text
    assert "| deploy | done | 1.50 s | uploaded 2 files, deleted 1, 41 unchanged |" in text
    stopped = markdown(sample(failure="check failed: 1 problem", previews=[]))
    assert stopped.startswith("## Publish: ❌ Publish stopped: check failed: 1 problem\n")
    assert "```text\ncheck failed: 1 problem\n```" in stopped
    assert "Not known: the run stopped before the newsletter was asked." in stopped
    assert "### Held back by their date\n\nNone." in stopped
