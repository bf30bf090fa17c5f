"""The publish report: what each step did and how long it took, what went where, who got what.

Collected as plain data while the pipeline runs, then shown as rich tables (or as
plain lines for logs and tests, or as Markdown for a pull request's job summary:
`markdown`). It is printed after a failure too, so the author sees what had already
happened. Every string goes through `redact` on the way out: no secret from the
environment can reach a terminal, a CI log or a job summary through it.
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
    rehearsal: bool = False  # the outbox: not sent to subscribers


@dataclass(frozen=True)
class EmailPreview:
    """One email a send would make, as the pull request's summary shows it."""

    subject: str
    kind: str  # "post" or "digest"
    groups: tuple  # interest groups; () = the whole list
    posts: tuple  # (title, url) of each post it carries (newsletter_bridge.DueEmail)
    html_bytes: int
    text_bytes: int
    resumed: str = ""  # the ledger state a stopped send resumes from


@dataclass(frozen=True)
class Skipped:
    title: str
    reason: str


@dataclass
class PublishReport:
    dry_run: bool = False
    steps: list = field(default_factory=list)
    pages: int | None = None  # the site's pages: written + already right, when known
    pages_written: int | None = None  # by Pelican's writer this build; None: not known
    pages_unchanged: int | None = None  # found already right and left alone
    email_previews: int | None = None  # written by the newsletter, not counted as pages
    other_files: int | None = None  # feeds, images, styles...
    removed: int | None = None  # files the site no longer has, removed by this build
    held_back: list = field(default_factory=list)  # when each future-dated post goes out
    checks: str = ""  # what the check step passed, when it did
    previews: list = field(default_factory=list)  # EmailPreview: what a send would make
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
    """'24 in output', and what the build did with them when known, in numbers that add
    up: '24 in output: 3 written, 21 already right; also 2 email previews and 19 other
    files; 1 old file removed'."""
    text = f"{report.pages} in {report.output}"
    if report.pages_written is not None:
        text += f": {report.pages_written} written, {report.pages_unchanged} already right"
    if report.email_previews is not None:
        text += (f"; also {count(report.email_previews, 'email preview')} and "
                 f"{count(report.other_files, 'other file')}")
    if report.removed is not None:
        text += f"; {count(report.removed, 'old file')} removed"
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
    out += [f"Held back: {text}" for text in report.held_back]
    if report.deploy is not None:
        out.append(f"Deploy: {report.deploy.summary()}")
        out += [f"  uploaded {p}" for p in report.deploy.uploaded[:20]]
        out += [f"  deleted {p}" for p in report.deploy.deleted[:20]]
    out += [f"{_verb(report, e)}: {e.title} <{e.url}> -> {e.where}" for e in report.emailed]
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
    for number, text in enumerate(report.held_back):
        facts.add_row("Held back" if number == 0 else "", clean(text))
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
        emails = Table(title=_verb(report, report.emailed[0]), title_justify="left")
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


def _verb(report, emailed):
    if emailed.rehearsal:
        return "Would rehearse" if report.dry_run else "Rehearsed"
    return "Would email" if report.dry_run else "Emailed"


def markdown(report, secrets=()):
    """The report as Markdown, for a pull request's job summary ($GITHUB_STEP_SUMMARY):
    the outcome, what would be emailed (subject, groups, size) after which checks, the
    posts held back by their date and until when, and the steps."""
    def clean(value):
        text = redact(value, secrets).replace("|", "\\|").replace("\n", " ")
        return text.replace("<", "&lt;").replace(">", "&gt;")

    title = "Publish dry run" if report.dry_run else "Publish"
    mark = "✅" if report.ok else "❌"
    out = [f"## {title}: {mark} {clean(report.outcome().splitlines()[0])}", ""]
    if report.failure:
        out += ["```text", redact(report.failure, secrets), "```", ""]
    if report.checks:
        out += [f"**Checks passed:** {clean(report.checks)}", ""]
    out += ["### What would be emailed" if report.dry_run else "### Emails", ""]
    if report.newsletter_note:
        out += [f"Through {clean(report.newsletter_note)}.", ""]
    if report.previews:
        out += ["| Subject | Groups | Size | Posts |", "|---|---|---|---|"]
        for email in report.previews:
            groups = ", ".join(email.groups) or "the whole list"
            size = f"{email.html_bytes / 1024:.1f} KB HTML, {email.text_bytes / 1024:.1f} KB text"
            posts = "<br>".join(f"[{clean(p.title)}]({clean(p.url)})" for p in email.posts)
            kind = f" (digest of {len(email.posts)})" if email.kind == "digest" else ""
            resumed = f" (resumes after '{email.resumed}')" if email.resumed else ""
            out.append(f"| {clean(email.subject)}{kind}{resumed} | {clean(groups)} | {size} "
                       f"| {posts} |")
    elif report.checks:
        out.append("No post is due: nothing would be emailed.")
    else:
        out.append("Not known: the run stopped before the newsletter was asked.")
    out += ["", "### Held back by their date", ""]
    out += [f"- {clean(text)}" for text in report.held_back] or ["None."]
    out += ["", "### Steps", "", "| Step | Result | Time | What happened |", "|---|---|---|---|"]
    out += [f"| {step.name} | {step.status} | {step.seconds:.2f} s | {clean(_shown(step))} |"
            for step in report.steps]
    if report.pages is not None:
        out += ["", f"Pages: {clean(_pages(report))}."]
    return "\n".join(out) + "\n"


def _shown(step):
    """A failed step's first line: its whole message ends the report, said once."""
    if step.status != "failed" or "\n" not in step.summary:
        return step.summary
    return step.summary.splitlines()[0] + " (more below)"


def _sample(verb, paths, limit=8):
    shown = ", ".join(paths[:limit])
    more = f" and {len(paths) - limit} more" if len(paths) > limit else ""
    return f"{verb}: {shown}{more}"
