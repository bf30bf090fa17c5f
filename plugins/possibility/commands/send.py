"""Send what is due: decide from the built site and the ledger, then drive each email
through a backend one recorded step at a time.

Entry points (the tasks and `invoke publish` call these; they print the reports):
- `plan(output, settings)`: the Decision, without locking or writing anything; its
  `to_send` posts (with their URLs) are the pages that must be live before a send.
- `status(output, settings)`: every post, sent / due / skipped (why) / changed.
- `send(output, settings, dry_run=..., test_to=..., only=...)`: deliver, resuming any
  half-done email first. Exactly once per post, whatever happened to the previous run.
- `preview(output, settings, slug)`: where a post's rendered email is.
- `baseline(output, settings, keep=...)`: mark what is published as not to be sent.
- `cancel(settings, slug, backend)`: stop a scheduled or half-sent email (newsletter-cancel).

`output` is a built site (publishconf.py): the emails sent are the files the build
rendered and checked, next to the pages that were deployed.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from possibility.common import PossibilityError
from possibility.core.newsletter.backends import BackendError, Delivery, choose_backend
from possibility.core.newsletter.due import decide, digest_preview
from possibility.core.newsletter.email_checks import check_email
from possibility.core.newsletter.ledger import (
    IN_PROGRESS,
    LedgerFile,
    ledger_lock,
    new_ledger,
    read_ledger,
    with_baseline,
    write_ledger,
)
from possibility.core.newsletter.model import PREVIEW_FILE, TEXT_FILE, Email, load_posts, read_parts
from possibility.core.newsletter.render_email import render_digest


class NewsletterError(PossibilityError):
    """Stops a send or baseline; the message tells the author what to do."""


class FirstRunError(NewsletterError):
    """No ledger yet, and posts already on the site would be sent: baseline first."""

    def __init__(self, decision, ledger_path):
        self.decision = decision
        lines = [
            f"first run: there is no ledger yet ({ledger_path}), and this would email "
            f"{len(decision.due)} post(s) already on the site:"
        ]
        lines += [f"  {p.date:%Y-%m-%d}  {p.slug}  {p.url}" for p in decision.due]
        lines += [
            "Nothing was sent. If these went out before (or never should), mark them with",
            "  invoke newsletter-baseline",
            "(add --send SLUG to leave a post to be sent), commit the ledger, then send again.",
        ]
        super().__init__("\n".join(lines))


class SendError(NewsletterError):
    """A send stopped part-way; `report` says what was done before it stopped."""

    def __init__(self, message, report):
        self.report = report
        super().__init__(
            f"{message}\nThe ledger records how far it got; run the send again to resume."
        )


@dataclass
class EmailResult:
    key: str
    kind: str
    subject: str
    slugs: tuple
    urls: tuple
    groups: tuple
    state: str  # "sent", "scheduled", or "would send" in a dry run
    backend: str = ""
    campaign_id: str = ""
    location: str | None = None
    resumed_from: str | None = None
    tested_to: tuple = ()
    scheduled_for: datetime | None = None

    def line(self):
        what = f"digest of {len(self.slugs)} posts" if self.kind == "digest" else self.slugs[0]
        to = ", ".join(self.groups) or "the whole list"
        done = f"{self.state}: {what}: {self.subject!r} to {to}"
        if self.campaign_id:
            done += f" (campaign {self.campaign_id}"
            done += f", {self.location})" if self.location else ")"
        if self.resumed_from:
            done += f", resumed after '{self.resumed_from}'"
        if self.tested_to:
            done += f", test sent to {', '.join(self.tested_to)}"
        if self.scheduled_for:
            done += f", goes out {self.scheduled_for.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        return done


@dataclass
class SendReport:
    backend: str
    dry_run: bool
    decision: object
    ledger_path: Path
    results: list = field(default_factory=list)
    synced: list = field(default_factory=list)  # scheduled campaigns now seen as sent
    waiting: list = field(default_factory=list)  # due, but not in `only`: next run

    @property
    def sent(self):
        return [r for r in self.results if r.state in ("sent", "scheduled")]

    def lines(self):
        head = f"Newsletter via {self.backend}; ledger {self.ledger_path}"
        if self.dry_run:
            head = f"Dry run (newsletter via {self.backend}): nothing is sent or recorded."
        out = [head]
        out += [f"  {r.line()}" for r in self.results]
        out += [f"  now sent (was scheduled): {slug}" for slug in self.synced]
        out += [f"  left for the next run (not verified): {slug}" for slug in self.waiting]
        for state in ("changed since sent", "held"):
            out += [f"  {state}: {row.post.slug}: {row.reason}"
                    for row in self.decision.rows if row.state == state]
        if not self.results:
            out.append("  nothing to send.")
        return out


@dataclass
class StatusReport:
    decision: object
    ledger_path: Path
    ledger_exists: bool

    def lines(self):
        rows = self.decision.rows
        out = [f"Newsletter status: {len(rows)} post(s); ledger {self.ledger_path}"
               + ("" if self.ledger_exists else " (not created yet)")]
        if not rows:
            return out + ["  no posts."]
        width = max(len(r.post.slug) for r in rows)
        out += [f"  {r.state:<18}  {r.post.slug:<{width}}  {r.reason}" for r in rows]
        if self.decision.first_run:
            out.append("First run: nothing will be sent until you run invoke newsletter-baseline.")
        return out


@dataclass
class BaselineReport:
    ledger_path: Path
    marked: tuple
    kept: tuple

    def lines(self):
        out = [f"Baseline written to {self.ledger_path}:"]
        out += [f"  not to be sent: {p.slug}" for p in self.marked]
        out += [f"  left to send:   {p.slug}" for p in self.kept]
        if not self.marked:
            out.append("  nothing new to mark.")
        out.append("Commit the ledger so every machine (and CI) knows.")
        return out


def _now(clock):
    return (clock or (lambda: datetime.now(UTC)))()


def load(output_path, settings):
    return load_posts(Path(output_path) / settings.output_dir)


def plan(output_path, settings, *, now=None):
    """What a send would do now (no lock, no writes)."""
    posts = load(output_path, settings)
    return decide(posts, read_ledger(settings.ledger_path), now=now or _now(None),
                  digest_threshold=settings.digest_threshold)


def status(output_path, settings, *, now=None):
    decision = plan(output_path, settings, now=now)
    return StatusReport(decision, settings.ledger_path, settings.ledger_path.exists())


def compose(planned, settings):
    """The Email for a planned one: a post's built files, or a digest rendered now."""
    if planned.kind == "post":
        post = planned.posts[0]
        html, text = read_parts(post)
        return Email(planned.key, "post", post.subject, post.preview, html, text,
                     planned.groups, planned.posts)
    posts = planned.posts
    subject = settings.digest_subject.format(count=len(posts), site=settings.site_name)
    rendered = render_digest(
        posts, subject=subject, preview=digest_preview(posts),
        theme_templates=settings.theme_templates, lang=settings.lang,
    )
    problems = check_email(rendered.html, rendered.text, rendered.subject,
                           max_html_bytes=settings.max_html_bytes,
                           max_subject=settings.max_subject)
    if problems:
        raise NewsletterError("the digest cannot be sent: " + "; ".join(problems))
    return Email(planned.key, "digest", rendered.subject, rendered.preview, rendered.html,
                 rendered.text, planned.groups, posts)


def send(output_path, settings, *, backend=None, dry_run=False, test_to=(), only=None,
         clock=None):
    """Deliver every due email (resuming half-done ones first); return a SendReport.

    `only`: post identities allowed to go out (e.g. those whose pages were just verified
    live); an email carrying any other post waits for the next run.
    Raises FirstRunError on a site with posts but no ledger, LedgerLocked when another
    run is going, SendError (with the partial report) when a step fails.
    """
    test_to = tuple(test_to) or settings.test_to
    posts = load(output_path, settings)
    backend = backend or choose_backend(settings, clock=clock)
    if dry_run:
        decision = decide(posts, read_ledger(settings.ledger_path), now=_now(clock),
                          digest_threshold=settings.digest_threshold)
        if decision.first_run:
            raise FirstRunError(decision, settings.ledger_path)
        report = SendReport(backend.name, True, decision, settings.ledger_path)
        for planned in _allowed(decision.emails, only, report):
            email = compose(planned, settings)
            report.results.append(_result(planned, email, "would send"))
        return report
    with ledger_lock(settings.ledger_path):
        data = read_ledger(settings.ledger_path)
        decision = decide(posts, data, now=_now(clock),
                          digest_threshold=settings.digest_threshold)
        if decision.first_run:
            raise FirstRunError(decision, settings.ledger_path)
        ledger = LedgerFile(settings.ledger_path, data or new_ledger(_now(clock)))
        if data is None:
            ledger.save()
        report = SendReport(backend.name, False, decision, settings.ledger_path)
        try:
            _sync_scheduled(ledger, backend, report, clock)
            for planned in _allowed(decision.emails, only, report):
                email = compose(planned, settings)
                report.results.append(
                    run_email(planned, email, backend, ledger, test_to=test_to, clock=clock)
                )
        except (BackendError, NewsletterError) as exc:
            raise SendError(str(exc), report) from exc
        return report


def _allowed(emails, only, report):
    """The emails whose every post is in `only` (all when None); the others wait."""
    for planned in emails:
        if only is None or all(p.post_id in only for p in planned.posts):
            yield planned
        else:
            report.waiting.extend(p.slug for p in planned.posts)


def run_email(planned, email, backend, ledger, *, test_to=(), clock=None):
    """Take one email from its ledger state to sent (or scheduled), recording each step.

    Irreversible calls are bracketed: `creating` is recorded before `create` and
    `sending` before `send`; resuming from either asks the backend what happened
    instead of repeating the call.
    """
    key, state = planned.key, planned.resume_from
    entry = ledger.email_entry(key) if state else None
    if entry and entry.get("backend") != backend.name:
        raise NewsletterError(
            f"{email.name} was started with the {entry.get('backend')} backend and stopped at "
            f"'{state}'; finish it with that backend (or cancel its campaign)."
        )
    campaign_id = entry.get("campaign_id") if entry else None

    def step(new_state, **fields):
        ledger.record(key=key, state=new_state, now=_now(clock), posts=planned.posts, **fields)
        return new_state

    if state is None:
        state = step("creating", backend=backend.name, kind=planned.kind,
                     subject=email.subject, groups=planned.groups)
    if state == "creating":
        found = backend.find(key)
        campaign_id = found.id if found else backend.create(email)
        if found and found.status in ("sent", "scheduled"):
            state = step(found.status, campaign_id=campaign_id, **_where(found.location))
            return _result(planned, email, state, backend, campaign_id, found.location,
                           resumed_from="creating")
        state = step("created", campaign_id=campaign_id)
    if state == "created":
        backend.set_content(campaign_id, email)
        state = step("content_set", content_hash=True, subject=email.subject)
    if state == "content_set":
        problems = backend.check(campaign_id)
        if problems:
            raise NewsletterError(
                f"{backend.name} says {email.name} is not ready to send: " + "; ".join(problems)
            )
        state = step("checked")
    tested = ()
    if state == "checked" and test_to:
        backend.send_test(campaign_id, email, test_to)
        tested = tuple(test_to)
        state = step("tested", tested_to=tested)
    if state in ("checked", "tested"):
        step("sending")
        delivery = backend.send(campaign_id)
    else:  # "sending": the last run may or may not have sent it; ask, never guess
        campaign = backend.get(campaign_id)
        if campaign is None:
            raise NewsletterError(f"campaign {campaign_id} of {email.name} no longer exists.")
        if campaign.status == "draft":
            delivery = backend.send(campaign_id)
        else:
            delivery = _delivery(campaign)
    scheduled_for = delivery.at if delivery.state == "scheduled" else None
    when = {}
    if scheduled_for:
        when["scheduled_for"] = f"{scheduled_for.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
    state = step(delivery.state, **_where(delivery.location), **when)
    return _result(planned, email, state, backend, campaign_id, delivery.location,
                   resumed_from=planned.resume_from, tested_to=tested,
                   scheduled_for=scheduled_for)


def _delivery(campaign):
    return Delivery(campaign.status, campaign.sent_at, campaign.location)


def _where(location):
    return {"location": str(location)} if location else {}


def _sync_scheduled(ledger, backend, report, clock):
    """Scheduled campaigns that the backend has since sent become `sent`."""
    scheduled = {}
    for entry in ledger.data["posts"].values():
        if entry["state"] == "scheduled" and entry.get("backend") == backend.name:
            scheduled.setdefault(entry["email"], entry)
    for key, entry in scheduled.items():
        campaign = backend.get(entry["campaign_id"])
        if campaign is not None and campaign.status == "sent":
            ledger.record(key=key, state="sent", now=_now(clock))
            report.synced.append(entry.get("slug", key))


def _result(planned, email, state, backend=None, campaign_id="", location=None, **extra):
    return EmailResult(
        key=planned.key, kind=planned.kind, subject=email.subject,
        slugs=tuple(p.slug for p in planned.posts), urls=planned.urls,
        groups=planned.groups, state=state, backend=getattr(backend, "name", ""),
        campaign_id=campaign_id or "", location=location, **extra,
    )


def baseline(output_path, settings, *, keep=(), clock=None):
    """Mark every post that would be sent now as published before the newsletter.

    `keep`: slugs (or identities) to leave due, e.g. the one new post to send first.
    """
    posts = load(output_path, settings)
    keep = set(keep)
    known = {p.slug for p in posts} | {p.post_id for p in posts}
    unknown = sorted(keep - known)
    if unknown:
        raise NewsletterError(f"--send names no post of the site: {', '.join(unknown)}.")
    with ledger_lock(settings.ledger_path):
        data = read_ledger(settings.ledger_path)
        now = _now(clock)
        decision = decide(posts, data, now=now, digest_threshold=settings.digest_threshold)
        kept = tuple(p for p in decision.due if p.slug in keep or p.post_id in keep)
        marked = tuple(p for p in decision.due if p not in kept)
        write_ledger(settings.ledger_path, with_baseline(data or new_ledger(now), marked, now))
        return BaselineReport(settings.ledger_path, marked, kept)


@dataclass
class PreviewReport:
    post: object  # PostRecord
    path: Path  # index.html: the email with sample merge values
    url_path: str  # where `invoke serve` shows it

    def lines(self):
        post = self.post
        return [
            f"Email of {post.slug} ({post.status}):",
            f"  subject: {post.subject}",
            f"  preview: {post.preview}",
            f"  to:      {', '.join(post.groups) or 'the whole list'}",
            f"  file:    {self.path}",
            f"  text:    {self.path.parent / TEXT_FILE}",
            f"  served:  /{self.url_path} (invoke serve)",
        ]


def preview(output_path, settings, slug=None):
    """Where the rendered email of `slug` (default: the newest post that has one) is."""
    posts = [p for p in load(output_path, settings) if p.has_email]
    if not posts:
        raise NewsletterError("no post has an email in this build.")
    if slug is None:
        post = max(posts, key=lambda p: (p.date, p.slug))
    else:
        matches = [p for p in posts if p.slug == slug]
        if not matches:
            raise NewsletterError(
                f"no email for {slug!r}; posts with one: {', '.join(p.slug for p in posts)} "
                "(a post with 'Newsletter: no', or hidden, has none)."
            )
        post = matches[0]
    return PreviewReport(post, post.folder / PREVIEW_FILE,
                         f"{settings.output_dir}/{post.slug}/")


def cancel(settings, slug, backend, *, clock=None):
    """Stop the email of post `slug` (a slug or post identity) from going out, and mark it
    `cancelled` in the ledger; the lines to print.

    A scheduled campaign is unscheduled first; one stopped half-way keeps its draft in
    Mailchimp (send it from there if the author changes their mind). A sent one cannot be
    cancelled. Runs under the ledger's lock, like a send.
    """
    now = (clock or (lambda: datetime.now(UTC)))()
    with ledger_lock(settings.ledger_path):
        data = read_ledger(settings.ledger_path) or {"posts": {}}
        matches = [e for pid, e in data["posts"].items() if slug in (pid, e.get("slug"))]
        if not matches:
            raise BackendError(f"the ledger {settings.ledger_path} has no post {slug!r}: "
                               "invoke newsletter-status lists them.")
        entry = matches[0]
        state, campaign_id = entry["state"], entry.get("campaign_id")
        if state == "cancelled":
            return [f"{slug}: already cancelled."]
        if state not in (*IN_PROGRESS, "scheduled"):
            raise BackendError(f"{slug} is '{state}' in the ledger: there is nothing to cancel.")
        if entry.get("backend") != backend.name:
            raise BackendError(f"{slug} was started with the {entry.get('backend')} backend; "
                               f"cancel it with that one (this is {backend.name}).")
        lines = []
        campaign = backend.get(campaign_id) if campaign_id else None
        if campaign is not None and campaign.status == "sent":
            raise BackendError(f"campaign {campaign_id} of {slug} has already gone out; it "
                               "cannot be cancelled (invoke newsletter-send records it).")
        if campaign is not None and campaign.status == "scheduled":
            backend.unschedule(campaign_id)
            lines.append(f"{slug}: campaign {campaign_id} unscheduled; it stays in Mailchimp "
                         "as a draft.")
        LedgerFile(settings.ledger_path, data).record(key=entry["email"], state="cancelled",
                                                      now=now)
        lines.append(f"{slug}: cancelled in the ledger {settings.ledger_path}; it will not be "
                     "sent. Commit the ledger.")
        return lines
