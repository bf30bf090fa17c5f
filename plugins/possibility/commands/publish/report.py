"""The publish report: what each step did and how long it took, what went where, who got what.

Collected as plain data while the pipeline runs, then shown as rich tables (or as
plain lines for logs and tests). It is printed after a failure too, so the author
sees what had already happened. Every string goes through `redact` on the way out:
no secret from the environment can reach a terminal or a CI log through it.
"""

from dataclasses import dataclass, field

REDACTED = "[redacted]"


@dataclass(frozen=True)
class StepRecord:
    name: str
    status: str  # "done", "skipped", "dry run", "failed"
    seconds: float
    summary: str


@dataclass(frozen=True)
class Emailed:
    title: str
    url: str
    where: str  # the campaign id, or the outbox file


@dataclass(frozen=True)
class Skipped:
    title: str
    reason: str


@dataclass
class PublishReport:
    dry_run: bool = False
    steps: list = field(default_factory=list)
    pages: int | None = None
    pages_written: int | None = None  # by Pelican's writer this build; None: not known
    pages_unchanged: int | None = None  # found already right and left alone
    output: str = ""
    deploy: object = None  # DeployResult
    emailed: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    newsletter_note: str = ""
    ledger: str = ""
    failure: str | None = None
    trace: str = ""  # the traceback of an unexpected error (a bug), for the author to report

    @property
    def ok(self):
        return self.failure is None

    def outcome(self):
        if self.failure:
            return f"Publish stopped: {self.failure}"
        if self.dry_run:
            return "Dry run: nothing was deployed and nothing was sent."
        return "Published."


def _pages(report):
    """'22 in output', and '; 3 written, 17 already right' when known."""
    text = f"{report.pages} in {report.output}"
    if report.pages_written is not None:
        text += f"; {report.pages_written} written, {report.pages_unchanged} already right"
    return text


def count(number, noun):
    """'1 post', '2 posts': the report reads as sentences."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def redact(text, secrets):
    text = str(text)
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def lines(report, secrets=()):
    """The report as plain text lines (CI logs, tests)."""
    out = []
    for step in report.steps:
        out.append(f"{step.name:<10} {step.status:<8} {step.seconds:6.2f}s  {_shown(step)}")
    if report.pages is not None:
        out.append(f"Pages: {_pages(report)}")
    if report.deploy is not None:
        out.append(f"Deploy: {report.deploy.summary()}")
        out += [f"  uploaded {p}" for p in report.deploy.uploaded[:20]]
        out += [f"  deleted {p}" for p in report.deploy.deleted[:20]]
    verb = "Would email" if report.dry_run else "Emailed"
    out += [f"{verb}: {e.title} <{e.url}> -> {e.where}" for e in report.emailed]
    out += [f"Skipped: {s.title}: {s.reason}" for s in report.skipped]
    if report.newsletter_note:
        out.append(f"Newsletter: {report.newsletter_note}")
    if report.ledger:
        out.append(f"Ledger: {report.ledger}")
    out.append(report.outcome())
    return [redact(line, secrets) for line in out]


def render(report, console, secrets=()):
    """Print the report on a rich console as tables."""
    from rich.markup import escape
    from rich.table import Table

    def clean(value):
        return escape(redact(value, secrets))

    steps = Table(title="Publish report", title_justify="left")
    for column in ("Step", "Result", "Time", "What happened"):
        steps.add_column(column, justify="right" if column == "Time" else "left")
    colours = {"done": "green", "failed": "bold red", "skipped": "yellow", "dry run": "cyan"}
    for step in report.steps:
        colour = colours.get(step.status, "")
        steps.add_row(
            step.name,
            f"[{colour}]{step.status}[/]" if colour else step.status,
            f"{step.seconds:.2f} s",
            clean(_shown(step)),
            end_section=False,
        )
    console.print(steps)

    facts = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    facts.add_column(style="bold")
    facts.add_column()
    if report.pages is not None:
        facts.add_row("Pages", clean(_pages(report)))
    if report.deploy is not None:
        facts.add_row("Deploy", clean(report.deploy.summary()))
        if report.deploy.uploaded:
            facts.add_row("", clean(_sample("uploaded", report.deploy.uploaded)))
        if report.deploy.deleted:
            facts.add_row("", clean(_sample("deleted", report.deploy.deleted)))
    if report.newsletter_note:
        facts.add_row("Newsletter", clean(report.newsletter_note))
    if report.ledger:
        facts.add_row("Ledger", clean(report.ledger))
    if facts.row_count:
        console.print(facts)

    if report.emailed:
        emails = Table(title="Would email" if report.dry_run else "Emailed", title_justify="left")
        for column in ("Post", "URL", "Campaign or outbox file"):
            emails.add_column(column, overflow="fold")
        for email in report.emailed:
            emails.add_row(clean(email.title), clean(email.url), clean(email.where))
        console.print(emails)
    if report.skipped:
        skipped = Table(title="Not emailed", title_justify="left")
        skipped.add_column("Post", overflow="fold")
        skipped.add_column("Why", overflow="fold")
        for item in report.skipped:
            skipped.add_row(clean(item.title), clean(item.reason))
        console.print(skipped)
    style = "bold red" if report.failure else "bold green"
    console.print(clean(report.outcome()), style=style, markup=False)


def _shown(step):
    """A failed step's first line: its whole message ends the report, said once."""
    if step.status != "failed" or "\n" not in step.summary:
        return step.summary
    return step.summary.splitlines()[0] + " (more below)"


def _sample(verb, paths, limit=8):
    shown = ", ".join(paths[:limit])
    more = f" and {len(paths) - limit} more" if len(paths) > limit else ""
    return f"{verb}: {shown}{more}"
