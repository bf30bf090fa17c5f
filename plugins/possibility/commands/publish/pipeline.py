"""`invoke publish`: build -> check -> deploy -> verify live -> send -> commit the ledger.

Each step is a function of the run's state; the runner times it, records what it did
in the report and stops at the first failure, so nothing after a failed step happens:
no email goes out for a site that did not build, check, deploy and show up live. Every
step is safe to repeat, so the next run after any failure resumes: deploys send only
what changed, and the newsletter's ledger never sends an email twice. A send to the
local outbox is a rehearsal: the report says so, and the ledger step commits only what
went to subscribers (`ledger_git`).

The I/O sits in `Edges` (build, deploy, verify, newsletter, git, prompt), which tests
replace one at a time to inject failures.
"""

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from possibility.common import PossibilityError

from .checks import check_output
from .lock import PublishLocked, publish_lock
from .newsletter_bridge import NewsletterStepError
from .report import PublishReport, StepRecord, count
from .verify_live import LivePage


class StepFailed(PossibilityError):
    """A step cannot go on; the message says why and what to do."""


EXPECTED = (PossibilityError,)  # errors with a message for the author; others get a trace


@dataclass(frozen=True)
class PublishOptions:
    dry_run: bool = False
    yes: bool = False  # confirm a first send to a list without asking
    commit: bool = True  # commit the ledger after a send
    interactive: bool = False  # a person can answer a question


@dataclass
class Edges:
    """The pipeline's contact with the world; each one a plain callable or object."""

    build: Callable  # () -> BuildResult
    unpublished: Callable  # () -> [checks.Unpublished]
    newsletter: object  # newsletter_bridge.Newsletter (check, plan, send)
    deploy: Callable  # (output, dry_run) -> DeployResult
    verify: Callable  # ([LivePage]) -> [problem]
    commit_ledger: Callable  # (ledger_path, titles) -> str (what was done)
    confirm: Callable | None = None  # (question) -> bool; None: nobody to ask


@dataclass
class _Run:
    settings: object  # PublishSettings
    options: PublishOptions
    edges: Edges
    report: PublishReport
    output: Path | None = None
    build: object = None  # the BuildResult
    plan: object = None  # newsletter_bridge.NewsletterPlan
    sent_titles: list = field(default_factory=list)


def publish(settings, options, edges, clock=time.monotonic):
    """Run every step under the publish lock; the report says what happened."""
    report = PublishReport(dry_run=options.dry_run)
    run = _Run(settings, options, edges, report)
    try:
        with publish_lock(settings.lock_path):
            for name, step in STEPS:
                if not _run_step(run, name, step, clock):
                    if name == "send":  # part of it may have gone: record that in git
                        _run_step(run, "ledger", ledger_step, clock)
                    break
    except PublishLocked as exc:
        report.failure = str(exc)
    return report


def _run_step(run, name, step, clock):
    started = clock()
    try:
        status, summary = step(run)
    except EXPECTED as exc:
        message = str(exc)
    except Exception as exc:  # a bug: still stop, report, and keep the traceback
        message = f"unexpected {type(exc).__name__}: {exc}"
        run.report.trace = traceback.format_exc()
    else:
        run.report.steps.append(StepRecord(name, status, clock() - started, summary))
        return True
    run.report.steps.append(StepRecord(name, "failed", clock() - started, message))
    run.report.failure = run.report.failure or f"{name} failed: {message}"
    return False


def build_step(run):
    result = run.build = run.edges.build()
    run.output = Path(result.output_path)
    report = run.report
    report.pages = len(result.pages)
    if result.pages_written is not None:  # the site's pages, the others apart
        report.pages = len(result.site_pages)
        report.pages_written = len(result.pages_written)
        report.pages_unchanged = len(result.pages_unchanged)
        report.email_previews = len(result.email_previews)
        report.other_files = len(result.files) - report.pages - report.email_previews
        report.removed = len(result.removed)
    report.output = str(run.output)
    return "done", result.describe()


def check_step(run):
    newsletter = run.edges.newsletter
    unpublished = run.edges.unpublished()
    checked = check_output(
        run.output, run.settings.siteurl, unpublished, newsletter.check(run.output),
        sources=getattr(run.build, "sources", None),
        content_folder=getattr(run.build, "content_folder", "content"),
    )
    run.report.held_back = list(checked.held_back)
    if checked.problems:
        shown = "\n".join(f"  - {p}" for p in checked.problems[:25])
        more = len(checked.problems) - 25
        raise StepFailed(
            f"{count(len(checked.problems), 'problem')} in the built site; nothing was deployed or "
            f"sent:\n{shown}" + (f"\n  ... and {more} more" if more > 0 else "")
        )
    run.plan = plan = newsletter.plan(run.output)
    run.report.skipped = list(plan.skipped)
    run.report.newsletter_note = getattr(plan, "note", "") or plan.backend
    run.report.previews = list(getattr(plan, "previews", ()))
    confirmed = _confirm_first_send(run)
    verb = "rehearse" if getattr(plan, "rehearsal", False) else "email"
    due = f"{count(len(plan.due), 'post')} to {verb}" if plan.due else f"no post to {verb}"
    run.report.checks = checked.summary
    return "done", f"{checked.summary}; {due}{confirmed}"


def first_send_rule(plan, options):
    """What a first send to a real list needs: "none", "note" (dry run), "ask" or "refuse"."""
    if not (plan.due and plan.first_send) or options.yes:
        return "none"
    if options.dry_run:
        return "note"
    return "ask" if options.interactive else "refuse"


def _confirm_first_send(run):
    """Before anything leaves the machine: a first send to a real list needs a yes."""
    plan = run.plan
    rule = first_send_rule(plan, run.options)
    if rule == "none":
        return ""
    if rule == "note":
        return "; a real run asks to confirm this first send to the list (or --yes)"
    titles = ", ".join(repr(d.title) for d in plan.due)
    question = (
        f"{plan.backend} has never received an email from this site. "
        f"Send {len(plan.due)} now ({titles})?"
    )
    if rule == "refuse" or run.edges.confirm is None:
        raise StepFailed(
            f"{question} A first send needs confirmation: run `invoke publish --yes`. "
            "Nothing was deployed or sent."
        )
    if not run.edges.confirm(question):
        raise StepFailed("first send not confirmed: nothing was deployed or sent.")
    return "; first send to the list confirmed"


def deploy_step(run):
    result = run.edges.deploy(run.output, run.options.dry_run)
    run.report.deploy = result
    if result.note:
        return "skipped", result.note
    return ("dry run" if run.options.dry_run else "done"), result.summary()


def verify_step(run):
    pages = [LivePage(d.url, d.title) for d in run.plan.due]
    if not pages:
        return "skipped", "no post to email, so no page to check"
    if not run.settings.should_verify:
        where = "nothing is deployed" if run.settings.target == "none" else run.settings.where
        return "skipped", (
            f"not checked: the target is local ({where}); "
            "PUBLISH_VERIFY=yes checks SITEURL anyway"
        )
    if run.options.dry_run:
        return "dry run", "would check " + ", ".join(p.url for p in pages)
    problems = run.edges.verify(pages)
    if problems:
        raise StepFailed(
            "not live, so nothing was emailed (the next publish tries again):\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    return "done", f"{count(len(pages), 'page')} live: " + ", ".join(p.url for p in pages)


def send_step(run):
    plan = run.plan
    if not plan.due:
        return "skipped", f"nothing due ({plan.backend})"
    rehearsal = getattr(plan, "rehearsal", False)
    if run.options.dry_run:
        run.report.emailed = list(plan.would_send)
        if rehearsal:
            return "dry run", (f"would rehearse {count(plan.emails, 'email')} in "
                               f"{plan.backend}: not sent to subscribers")
        return "dry run", f"would send {count(plan.emails, 'email')} through {plan.backend}"
    try:
        outcome = run.edges.newsletter.send(run.output, plan)
    except NewsletterStepError as exc:
        _record_sent(run, exc.emailed)
        raise
    _record_sent(run, outcome.emailed)
    if getattr(outcome, "rehearsal", False):
        return "done", (f"{count(len(outcome.emailed), 'post')} rehearsed in {plan.backend}: "
                        "not sent to subscribers")
    return "done", f"{count(len(outcome.emailed), 'post')} emailed through {plan.backend}"


def _record_sent(run, emailed):
    """What went out; the commit message names only what went to subscribers."""
    run.report.emailed = list(emailed)
    run.sent_titles = [e.title for e in emailed if not e.rehearsal]


def ledger_step(run):
    ledger = run.plan.ledger_path
    if run.options.dry_run:
        run.report.ledger = f"would commit {ledger} if a send to subscribers changed it"
        return "dry run", run.report.ledger
    if not run.options.commit:
        run.report.ledger = f"not committed (--no-commit): {ledger}"
        return "skipped", run.report.ledger
    run.report.ledger = run.edges.commit_ledger(ledger, run.sent_titles)
    return "done", run.report.ledger


STEPS = (
    ("build", build_step),
    ("check", check_step),
    ("deploy", deploy_step),
    ("verify", verify_step),
    ("send", send_step),
    ("ledger", ledger_step),
)
