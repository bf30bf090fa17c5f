"""What the publish pipeline asks of the newsletter (possibility.core.newsletter), in its own terms.

Three questions: are the built emails sendable (`check`: the email checks, and no post
still has `invoke new-post`'s sample text), what would go out, where and what is skipped
(`plan`), and send it (`send`). The newsletter decides, keeps its ledger and sends
(`possibility.commands.send`); this module only translates, so the pipeline and its tests
do not depend on the newsletter's internals, and the newsletter's errors reach the report
as one kind with the newsletter's own words.

Without MAILCHIMP_API_KEY the emails go to the local outbox: a rehearsal. The plan and
the outcome say so (`rehearsal`), each post's line says "rehearsal: written to
outbox/<file>, not sent to subscribers", and the pipeline commits no rehearsal.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from possibility.common import PossibilityError

from .checks import sample_text_problems
from .report import Emailed, EmailPreview, Skipped

NEWSLETTER_PLUGIN = "possibility.site.newsletter"  # the build side; off when not in PLUGINS
SETTLED = ("sent", "rehearsed", "due", "in progress")  # rows not "skipped" in the report
FOR_REAL = "set MAILCHIMP_API_KEY to send for real"


class NewsletterStepError(PossibilityError):
    """The newsletter cannot check, plan or send; `emailed`: what went out before it stopped."""

    def __init__(self, message, emailed=()):
        super().__init__(message)
        self.emailed = tuple(emailed)


@dataclass(frozen=True)
class DueEmail:
    """One post about to be emailed: its public page must be live first."""

    title: str
    url: str


@dataclass(frozen=True)
class NewsletterPlan:
    due: tuple  # DueEmail, one per post (a digest carries several)
    emails: int  # how many emails (campaigns) that makes
    would_send: tuple  # Emailed, what a send would do (for --dry-run)
    skipped: tuple  # Skipped, posts not emailed and why
    backend: str  # where emails go, in words
    first_send: bool  # a real list that never received an email from this site
    ledger_path: Path
    rehearsal: bool = False  # the outbox: nothing reaches a subscriber
    note: str = ""  # where emails go and what it means, for the report
    previews: tuple = ()  # EmailPreview: each email a send would make


@dataclass(frozen=True)
class SendOutcome:
    emailed: tuple  # Emailed, with campaign ids or outbox files
    rehearsal: bool = False  # they went to the outbox, not to subscribers


@contextmanager
def _newsletter_errors(emailed_from=None):
    from possibility.commands.send import SendError

    try:
        yield
    except SendError as exc:
        partial = emailed_from(exc.report) if emailed_from else ()
        raise NewsletterStepError(str(exc), partial) from None
    except NewsletterStepError:
        raise
    except PossibilityError as exc:
        raise NewsletterStepError(str(exc)) from None


class Newsletter:
    """The newsletter of the site whose Pelican settings are `pelican_settings`.

    Off (nothing checked, planned or sent) when its plugin is not in PLUGINS.
    """

    def __init__(self, pelican_settings, environ):
        from possibility.core.newsletter.settings import read_settings

        self.enabled = NEWSLETTER_PLUGIN in (pelican_settings.get("PLUGINS") or ())
        with _newsletter_errors():
            self.settings = read_settings(pelican_settings)
        self.environ = environ
        self.pelican_settings = pelican_settings
        self.content_path = Path(pelican_settings.get("PATH") or "content")
        self.ledger_path = Path(self.settings.ledger_path)
        self._backend = None
        self._titles = {}

    @property
    def backend(self):
        """The backend (outbox, or Mailchimp with MAILCHIMP_API_KEY), made when first needed."""
        if self._backend is None:
            from possibility.core.newsletter.backends import choose_backend

            with _newsletter_errors():
                self._backend = choose_backend(self.settings, self.environ)
        return self._backend

    def describe_backend(self):
        if self.backend.name == "outbox":
            return f"the local outbox ({_shown(self.settings.outbox_path, self.content_path)})"
        list_id = getattr(self.backend, "list_id", None)
        return f"the {self.backend.name} list {list_id}" if list_id else f"{self.backend.name}"

    def check(self, output):
        """Problems of the emails the build wrote (the build checked them; so do we), and
        of the posts that still have `invoke new-post`'s sample text (never published)."""
        from possibility.core.newsletter.email_checks import check_email
        from possibility.core.newsletter.model import OutputError, load_posts, read_parts

        problems = sample_text_problems(self.pelican_settings)
        if not self.enabled:
            return problems
        with _newsletter_errors():
            posts = load_posts(Path(output) / self.settings.output_dir)
        for post in posts:
            if not post.has_email:
                continue
            try:
                html, text = read_parts(post)
            except OutputError as exc:
                problems.append(str(exc))
                continue
            found = check_email(
                html, text, post.subject or post.title,
                max_html_bytes=self.settings.max_html_bytes,
                max_subject=self.settings.max_subject,
            )
            problems += [f"the newsletter email of {post.slug}: {p}" for p in found]
        return problems

    def plan(self, output):
        """What a send would do now; NewsletterStepError on a first run with no baseline."""
        if not self.enabled:
            return NewsletterPlan((), 0, (), (), f"off ({NEWSLETTER_PLUGIN!r} is not in PLUGINS)",
                                  False, self.ledger_path)
        from possibility.commands.send import FirstRunError
        from possibility.commands.send import plan as decide
        from possibility.core.newsletter.ledger import has_sent_to, is_rehearsal, read_ledger

        with _newsletter_errors():
            destination = self.backend.destination
            decision = decide(output, self.settings, destination=destination)
            if decision.first_run:
                raise FirstRunError(decision, self.settings.ledger_path)
            ledger = read_ledger(self.settings.ledger_path)
            backend = self.describe_backend()
            previews = tuple(self._preview(email) for email in decision.emails)
        rehearsal = is_rehearsal(destination)
        posts = decision.to_send
        self._titles = {p.slug: p.title for p in posts}
        would_send = tuple(
            Emailed(p.title, p.url, _would_go(email, backend, rehearsal), rehearsal)
            for email in decision.emails for p in email.posts
        )
        skipped = tuple(
            Skipped(row.post.title, row.reason)
            for row in decision.rows
            if row.state not in SETTLED and (row.entry or {}).get("state") != "baseline"
        )
        return NewsletterPlan(
            due=tuple(DueEmail(p.title, p.url) for p in posts),
            emails=len(decision.emails),
            would_send=would_send,
            skipped=skipped,
            backend=backend,
            first_send=not rehearsal and not has_sent_to(ledger, destination),
            ledger_path=self.ledger_path,
            rehearsal=rehearsal,
            note=(f"{backend}: a rehearsal, not sent to subscribers; {FOR_REAL}" if rehearsal
                  else backend),
            previews=previews,
        )

    def _preview(self, planned):
        """The EmailPreview of a planned email: what it says, to whom, how big."""
        from possibility.commands.send import compose

        email = compose(planned, self.settings)
        return EmailPreview(
            subject=email.subject, kind=email.kind, groups=tuple(email.groups),
            posts=tuple(DueEmail(p.title, p.url) for p in planned.posts),
            html_bytes=len(email.html.encode("utf-8")),
            text_bytes=len(email.text.encode("utf-8")), resumed=planned.resume_from or "",
        )

    def send(self, output, plan):
        """Send what is due (the newsletter decides again, under its ledger lock)."""
        from possibility.commands.send import send

        with _newsletter_errors(self._emailed):
            report = send(output, self.settings, backend=self.backend,
                          content_path=self.content_path)
        return SendOutcome(self._emailed(report), rehearsal=report.rehearsal)

    def _emailed(self, report):
        return tuple(
            Emailed(self._titles.get(slug, slug), url, _where(result), result.rehearsal)
            for result in report.sent
            for slug, url in zip(result.slugs, result.urls, strict=True)
        )


def _shown(path, content_path):
    """`path` relative to the project (the content folder's parent) when it is inside."""
    project = Path(content_path).resolve().parent
    try:
        return Path(path).resolve().relative_to(project).as_posix()
    except ValueError:
        return str(path)


def _would_go(email, backend, rehearsal=False):
    kind = f"a digest of {len(email.posts)} posts" if email.kind == "digest" else "its own email"
    to = ", ".join(email.groups) or "the whole list"
    resumed = f", resuming after '{email.resume_from}'" if email.resume_from else ""
    note = ": a rehearsal, not sent to subscribers" if rehearsal else ""
    return f"would go as {kind} to {to} through {backend}{resumed}{note}"


def _where(result):
    if result.rehearsal:
        return (f"rehearsal: written to {result.location or result.destination}, not sent to "
                "subscribers")
    where = f"campaign {result.campaign_id}" if result.campaign_id else result.backend
    if result.location:
        where += f" ({result.location})"
    if result.state == "scheduled":
        where += ", scheduled"
    return where
