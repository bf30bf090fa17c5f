"""Send what is due: decide from the built site and the ledger, then drive each email
through a backend one recorded step at a time.

Entry points (the tasks and `invoke publish` call these; they print the reports):
- `plan(output, settings)`: the Decision, without locking or writing anything; its
  `to_send` posts (with their URLs) are the pages that must be live before a send.
- `status(output, settings)`: every post, sent to the list / rehearsed in the outbox /
  due / held back by its date / skipped (why) / changed.
- `send(output, settings, dry_run=..., test_to=..., only=...)`: deliver, resuming any
  half-done email first. Exactly once per post, whatever happened to the previous run
  and whatever another publisher (another checkout, with its own ledger) does at the
  same moment: see `_EmailRun` and `backends.mailchimp_backend`.
- `send_tests(output, settings, addresses)`: a test of each due email to those addresses
  only (invoke newsletter-test): never the list, never the ledger.
- `preview(output, settings, slug)`: where a post's rendered email is.
- `baseline(output, settings, keep=...)`: mark what is published as not to be sent.
- `cancel(settings, slug, backend)`: stop a scheduled or half-sent email (newsletter-cancel).

`output` is a built site (publishconf.py): the emails sent are the files the build
rendered and checked, next to the pages that were deployed. The ledger is read and
written as the backend's destination sees it (`ledger.view`): the outbox is a rehearsal,
recorded apart, and never counts as sent to subscribers. A post that still has
`invoke new-post`'s sample text is never sent (`sample_text_problems`); `content_path`
(Pelican's PATH) lets the check read the post's source, else it reads the built email.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from possibility.common import PossibilityError
from possibility.core.newsletter.archive import store_web_copy
from possibility.core.newsletter.backends import (
    BackendError,
    CampaignGone,
    Delivery,
    NotDraft,
    Unconfirmed,
    choose_backend,
    holders,
)
from possibility.core.newsletter.backends.base import GONE_FOR_GOOD, odd_status
from possibility.core.newsletter.due import decide, digest_preview, rehearsal
from possibility.core.newsletter.email_checks import check_email
from possibility.core.newsletter.ledger import (
    IN_PROGRESS,
    PRE_SEND,
    LedgerFile,
    destination_of,
    is_rehearsal,
    ledger_lock,
    new_ledger,
    parse_timestamp,
    read_ledger,
    view,
    with_baseline,
    write_ledger,
)
from possibility.core.newsletter.model import (
    PREVIEW_FILE,
    TEXT_FILE,
    Email,
    OutputError,
    load_posts,
    read_parts,
)
from possibility.core.newsletter.post_fields import (
    sample_text_problems,
    source_sample_problems,
)
from possibility.core.newsletter.render_email import render_digest
from possibility.core.text import html_to_text

MAX_PLANS = 8  # plans in one run: each after an email lost its posts to another's
MAX_STEPS = 40  # steps of one email in one run (a few more when drafts come and go)
MAX_REMAKES = 3  # drafts of one email made again in one run after being deleted
READY = ("checked", "testing", "tested", "sending")  # the first phase stops there
FOR_REAL = "set MAILCHIMP_API_KEY to send for real"


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


class SampleTextError(NewsletterError):
    """Posts that still have `invoke new-post`'s sample text: nothing is sent."""

    def __init__(self, problems):
        self.problems = tuple(problems)
        super().__init__(
            "nothing was sent: a post still has invoke new-post's sample text:\n"
            + "\n".join(f"  {p}" for p in self.problems))


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
    notes: tuple = ()
    destination: str = ""  # where it went, as the ledger records it (outbox: a rehearsal)

    @property
    def rehearsal(self):
        return is_rehearsal(self.destination)

    def line(self):
        what = f"digest of {len(self.slugs)} posts" if self.kind == "digest" else self.slugs[0]
        to = ", ".join(self.groups) or "the whole list"
        state = "rehearsed" if self.rehearsal and self.state == "sent" else self.state
        done = f"{state}: {what}: {self.subject!r} to {to}"
        if state == "rehearsed":
            done += (f": written to {self.location or self.destination}, not sent to "
                     "subscribers")
        if self.campaign_id:
            done += f" (campaign {self.campaign_id}"
            done += f", {self.location})" if self.location else ")"
        if self.resumed_from:
            done += f", resumed after '{self.resumed_from}'"
        if self.tested_to:
            done += f", test sent to {', '.join(self.tested_to)}"
        if self.scheduled_for:
            done += f", goes out {self.scheduled_for.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        for note in self.notes:
            done += f", {note}"
        return done


@dataclass
class SendReport:
    backend: str
    dry_run: bool
    decision: object
    ledger_path: Path
    destination: str = ""
    results: list = field(default_factory=list)
    synced: list = field(default_factory=list)  # scheduled campaigns now seen as sent
    waiting: list = field(default_factory=list)  # due, but not in `only`: next run
    found: list = field(default_factory=list)  # posts the backend shows went out elsewhere
    notes: list = field(default_factory=list)  # drafts deleted, emails planned again
    stopped: str | None = None  # why the send stopped (printed after these lines)

    @property
    def sent(self):
        return [r for r in self.results if r.state in ("sent", "scheduled")]

    @property
    def rehearsal(self):
        return is_rehearsal(self.destination)

    def lines(self):
        where = f"via {self.backend}"
        if self.rehearsal:
            where = (f"rehearsal in the {self.destination}: nothing reaches subscribers; "
                     f"{FOR_REAL}")
        head = f"Newsletter {where}; ledger {self.ledger_path}"
        if self.dry_run:
            head = f"Dry run (newsletter {where}): nothing is sent or recorded."
        out = [head]
        out += [f"  {r.line()}" for r in self.results]
        out += [f"  {line}" for line in self.found]
        out += [f"  now sent (was scheduled): {slug}" for slug in self.synced]
        out += [f"  left for the next run (not verified): {slug}" for slug in self.waiting]
        for state in ("changed since sent", "held"):
            out += [f"  {state}: {row.post.slug}: {row.reason}"
                    for row in self.decision.rows if row.state == state]
        out += [f"  {note}" for note in self.notes]
        if not self.results and not self.stopped:
            out.append("  nothing to send.")
        return out


@dataclass
class StatusReport:
    """Every post, as the destination a send goes to now sees it, with what the other
    destinations got (sent to the list, rehearsed in the outbox) and the posts held back
    by their date (not built yet)."""

    decision: object
    ledger_path: Path
    ledger_exists: bool
    destination: str = ""
    elsewhere: dict = field(default_factory=dict)  # post id -> [lines: other destinations]
    held_back: tuple = ()  # (name, when it goes out) of each post held back by its date
    problems: tuple = ()  # due posts that cannot be sent as they are (sample text)

    def lines(self):
        rows = self.decision.rows
        out = [f"Newsletter status: {len(rows)} post(s); ledger {self.ledger_path}"
               + ("" if self.ledger_exists else " (not created yet)")]
        if self.destination:
            out.append(f"Sends go to {describe_destination(self.destination)}.")
        if not rows and not self.held_back:
            return out + ["  no posts."]
        width = max(len(name) for name in [r.post.slug for r in rows]
                    + [name for name, _ in self.held_back])
        for row in rows:
            out.append(f"  {row.state:<18}  {row.post.slug:<{width}}  {row.reason}")
            out += [f"  {'':<18}  {'':<{width}}  {line}"
                    for line in self.elsewhere.get(row.post.post_id, ())]
        out += [f"  {'held back':<18}  {name:<{width}}  {text}" for name, text in self.held_back]
        out += [f"  not sendable: {problem}" for problem in self.problems]
        if self.decision.first_run:
            out.append("First run: nothing will be sent until you run invoke newsletter-baseline.")
        return out


def describe_destination(destination):
    """Where emails go, in words: 'the Mailchimp list 7c9e1a4b2d', 'the local outbox: a
    rehearsal, not sent to subscribers (set MAILCHIMP_API_KEY to send for real)'."""
    if is_rehearsal(destination):
        return (f"the local {destination}: a rehearsal, not sent to subscribers ({FOR_REAL})")
    kind, _, list_id = str(destination).partition(":")
    if kind == "mailchimp":
        return f"the Mailchimp list {list_id}" if list_id else "a Mailchimp list"
    return destination


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


def destination_now(settings, environ=None):
    """Where a send would go now (the backend `choose_backend` picks), without a request:
    `mailchimp:<list_id>`, or `outbox`; "mailchimp" when the list is not known yet."""
    try:
        return choose_backend(settings, environ).destination
    except BackendError:
        return "mailchimp"


def plan(output_path, settings, *, now=None, destination=None):
    """What a send to `destination` (default: where a send would go now) would do now (no
    lock, no writes)."""
    posts = load(output_path, settings)
    destination = destination or destination_now(settings)
    return decide(posts, view(read_ledger(settings.ledger_path), destination),
                  now=now or _now(None),
                  digest_threshold=settings.digest_threshold)


def status(output_path, settings, *, now=None, destination=None, held_back=(),
           content_path=None):
    """Every post's newsletter state for `destination` (default: where a send would go
    now), what the other destinations got, and `held_back`: (name, when it goes out) of
    the posts held back by their date, which a production build leaves out."""
    destination = destination or destination_now(settings)
    data = read_ledger(settings.ledger_path)
    decision = plan(output_path, settings, now=now, destination=destination)
    elsewhere = {row.post.post_id: _elsewhere(data, row, destination) for row in decision.rows}
    return StatusReport(decision, settings.ledger_path, settings.ledger_path.exists(),
                        destination, {k: v for k, v in elsewhere.items() if v},
                        tuple(held_back), tuple(sample_text_in(decision.to_send, content_path)))


def _elsewhere(data, row, destination):
    """What the ledger says of the post of `row` at the destinations other than the one
    its row is about: 'rehearsed: in the outbox ...', 'to subscribers (mailchimp:...): ...'."""
    if not data:
        return []
    post_id, lines = row.post.post_id, []
    real = data["posts"].get(post_id)
    if real and real.get("state") != "baseline" and real != row.entry:
        lines.append(f"to subscribers ({destination_of(real)}): {real['state']} "
                     f"{_when(real)}, campaign {real.get('campaign_id', 'none')}")
    for where, entries in sorted(data["rehearsals"].items()):
        entry = entries.get(post_id)
        if entry and not (where == destination and entry == row.entry):
            lines.append(f"rehearsed: {rehearsal(entry)}")
    return lines


def _when(entry):
    try:
        return f"{parse_timestamp(entry['times'][entry['state']]):%Y-%m-%d %H:%M} UTC"
    except (KeyError, TypeError, ValueError):
        return "at a time not recorded"


def sample_text_in(posts, content_path=None):
    """'content/posts/x.md: field 'Summary' is still new-post's sample text: ...' for each
    post of `posts` (PostRecords) that still has `invoke new-post`'s sample text: read
    from its source under `content_path` (Pelican's PATH), else from its built email."""
    problems = []
    for post in posts:
        source = Path(content_path) / post.source if content_path and post.source else None
        if source is not None and source.is_file():
            found, _ = source_sample_problems(source.read_text(encoding="utf-8"))
            shown = f"{Path(content_path).name}/{post.source}"
        else:
            summary = html_to_text(post.summary_html) if post.summary_html else None
            found = sample_text_problems(summary, f"{summary or ''}\n{_built_text(post)}")
            shown = post.source or post.slug
        problems += [f"{shown}: {problem}" for problem in found]
    return problems


def _built_text(post):
    try:
        return read_parts(post)[1] if post.has_email else ""
    except OutputError:
        return ""


def _refuse_sample_text(decision, content_path):
    problems = sample_text_in(decision.to_send, content_path)
    if problems:
        raise SampleTextError(problems)


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
         clock=None, content_path=None):
    """Deliver every due email (resuming half-done ones first); return a SendReport.

    `only`: post identities allowed to go out (e.g. those whose pages were just verified
    live); an email carrying any other post waits for the next run.
    Raises FirstRunError on a site with posts but no ledger, SampleTextError when a post
    to send still has new-post's sample text, LedgerLocked when another run is going,
    SendError (with the partial report) when a step fails.
    """
    test_to = tuple(test_to) or settings.test_to
    posts = load(output_path, settings)
    backend = backend or choose_backend(settings, clock=clock)
    destination = backend.destination
    if dry_run:
        decision = decide(posts, view(read_ledger(settings.ledger_path), destination),
                          now=_now(clock), digest_threshold=settings.digest_threshold)
        if decision.first_run:
            raise FirstRunError(decision, settings.ledger_path)
        _refuse_sample_text(decision, content_path)
        report = SendReport(backend.name, True, decision, settings.ledger_path, destination)
        for planned in _allowed(decision.emails, only, report):
            email = compose(planned, settings)
            report.results.append(_result(planned, email, "would send", backend))
        return report
    with ledger_lock(settings.ledger_path):
        data = read_ledger(settings.ledger_path)
        decision = decide(posts, view(data, destination), now=_now(clock),
                          digest_threshold=settings.digest_threshold)
        if decision.first_run:
            raise FirstRunError(decision, settings.ledger_path)
        _refuse_sample_text(decision, content_path)
        ledger = LedgerFile(settings.ledger_path, data or new_ledger(_now(clock)), destination)
        if data is None:
            ledger.save()
        report = SendReport(backend.name, False, decision, settings.ledger_path, destination)
        try:
            _sync_scheduled(ledger, backend, report, clock)
            if decision.emails:
                _Run(posts, settings, backend, ledger, report, test_to, only, clock).go()
        except (BackendError, NewsletterError) as exc:
            report.stopped = str(exc)
            raise SendError(str(exc), report) from exc
        return report


def _allowed(emails, only, report):
    """The emails whose every post is in `only` (all when None); the others wait."""
    for planned in emails:
        if only is None or all(p.post_id in only for p in planned.posts):
            yield planned
        else:
            report.waiting.extend(p.slug for p in planned.posts)


class _Run:
    """One send: look at what the backend has, record what went out elsewhere, then plan
    and send, planning again whenever an email loses posts to another publisher's."""

    def __init__(self, posts, settings, backend, ledger, report, test_to, only, clock):
        self.posts, self.settings, self.backend = posts, settings, backend
        self.ledger, self.report, self.clock = ledger, report, clock
        self.test_to, self.only = test_to, only

    def now(self):
        return _now(self.clock)

    def go(self):
        self.reconcile(self.backend.survey())
        finished = set()
        for _ in range(MAX_PLANS):
            decision = self.decide()
            pending = [e for e in decision.emails if e.key not in finished
                       and (self.only is None or all(p.post_id in self.only for p in e.posts))]
            if not pending:
                break
            emails = [_EmailRun(self, planned) for planned in pending]
            for email in emails:  # every draft made and checked, then each one sent:
                outcome = email.advance(until=READY)  # their fences run out together
                if outcome is not None:
                    finished.add(email.key)
                    self.report.results.append(outcome)
            for email in emails:
                if email.key in finished:
                    continue
                outcome = email.advance()
                if outcome is _RELEASED:
                    break
                finished.add(email.key)
                self.report.results.append(outcome)
            self.reconcile(self.backend.known())
        else:
            raise NewsletterError(
                f"the campaigns in {self.backend.name} kept changing while this run planned "
                f"its emails ({MAX_PLANS} plans): another publisher is sending at the same "
                "time. Run again when it is done; nothing is sent twice.")
        self.report.decision = decision = self.decide()
        for planned in decision.emails:
            if self.only is not None and not all(p.post_id in self.only for p in planned.posts):
                self.report.waiting.extend(p.slug for p in planned.posts)

    def decide(self):
        """The plan, with the posts that drafts made elsewhere carry given to them."""
        held, _ = holders(self.backend.known())
        mine = {e.get("campaign_id") for e in self.ledger.data["posts"].values()}
        taken = {post_id: campaign for post_id, campaign in held.items()
                 if campaign.status == "draft" and campaign.id not in mine}
        return decide(self.posts, self.ledger.data, now=self.now(),
                      digest_threshold=self.settings.digest_threshold, taken=taken)

    def reconcile(self, campaigns):
        """Record every post of the site that the backend shows sent or scheduled and the
        ledger does not (another machine's send, or a ledger commit that was lost). An
        email of this ledger that had not gone out gives such a post up: its draft is
        deleted (it lost for good) and its other posts are planned again. Drafts of this
        ledger's emails that lost to a sent campaign (strays) are deleted."""
        held, winners = holders(campaigns)
        for post in self.posts:
            holder = held.get(post.post_id)
            entries = self.ledger.data["posts"]
            entry = entries.get(post.post_id)
            state = entry["state"] if entry else None
            if holder is None or holder.status == "draft" or state not in (None, *IN_PROGRESS):
                continue
            if holder.status not in GONE_FOR_GOOD:
                raise odd_status(self.backend.name, holder)
            if entry is not None and entry.get("campaign_id") == holder.id:
                continue  # its own campaign went out: the email's run records it
            where = _where(holder.location)
            if state == "sending":
                raise NewsletterError(
                    f"{post.slug} went out in campaign {holder.id} while this checkout was "
                    f"sending campaign {entry.get('campaign_id')} (its ledger stopped at "
                    f"'sending'): look at both in {self.backend.name}, then correct the ledger "
                    "by hand.")
            if entry is not None:
                self.give_up(entry, campaigns, winners)
            self.ledger.record_found(post=post, state=holder.status, key=holder.key,
                                     kind=holder.kind, campaign_id=holder.id,
                                     backend=self.backend.name, now=self.now(),
                                     destination=self.backend.destination, **where)
            self.report.found.append(f"already {holder.status}, in campaign {holder.id} "
                                     f"(recorded now, not sent again): {post.slug}")
        keys = {e.get("email") for e in self.ledger.data["posts"].values()}
        for campaign in campaigns:
            beaten_by = [held[p] for p in campaign.posts
                         if held.get(p, campaign).id != campaign.id]
            if (campaign.status == "draft" and campaign.key in keys and campaign.id not in winners
                    and any(b.status in GONE_FOR_GOOD for b in beaten_by)):
                self.backend.delete(campaign.id)
                self.report.notes.append(f"deleted draft campaign {campaign.id}: a duplicate "
                                         "of an email that went out")

    def give_up(self, entry, campaigns, winners):
        """Take a not-yet-sent email out of the ledger; delete its draft if it lost."""
        own = {c.id: c for c in campaigns}.get(entry.get("campaign_id"))
        deleted = own is not None and own.status == "draft" and own.id not in winners
        if deleted:
            self.backend.delete(own.id)
        self.ledger.release(key=entry["email"], now=self.now())
        self.report.notes.append(
            f"planned again: {entry.get('slug')}'s email lost a post to another campaign"
            + (f" (its draft {own.id} deleted)" if deleted else ""))


_RELEASED = object()  # the email lost posts to another's and left the ledger: plan again
_AGAIN = object()  # the email moved back (a deleted draft, another's campaign): go on


class _EmailRun:
    """One email taken from its ledger state to sent (or scheduled), a recorded step at
    a time.

    Irreversible calls are bracketed: `creating` is recorded before `create`, `testing`
    before the test email and `sending` before `send`; resuming from one of them asks the
    backend what happened instead of repeating the call (a test cannot be asked about:
    it is not sent again, and the report says so). Immediately before the test and before
    the send, the backend looks again (`Backend.standing`): only a campaign that holds all
    its posts goes on; one that lost is deleted and the email carries on with the winner,
    or gives its posts up and is planned again. Everything before `sending` follows
    today's posts: a draft whose groups, subject or content changed is updated first, and
    a draft deleted in the backend is made again.
    """

    def __init__(self, run, planned):
        self.run, self.planned, self.key = run, planned, planned.key
        self.backend, self.ledger = run.backend, run.ledger
        self.email = compose(planned, run.settings)
        self.state = planned.resume_from
        self.notes = []
        self.tested = ()
        self.remade = 0
        self.test_left = False  # the campaign was made at the same time elsewhere
        entry = self.ledger.email_entry(self.key) if self.state else None
        if entry and entry.get("backend") != self.backend.name:
            raise NewsletterError(
                f"{self.email.name} was started with the {entry.get('backend')} backend and "
                f"stopped at '{self.state}'; finish it with that backend (or cancel its "
                "campaign).")
        self.campaign_id = entry.get("campaign_id") if entry else None
        if self.state in PRE_SEND and self._outdated(entry):
            back = "created" if self.campaign_id and self.state != "creating" else "creating"
            self.ledger.rewind(key=self.key, state=back, now=run.now(),
                               groups=planned.groups, subject=self.email.subject)
            self.state = back

    def _outdated(self, entry):
        """Whether the post's front matter or content changed since the email started."""
        if list(entry.get("groups", [])) != list(self.planned.groups):
            return True
        if entry.get("subject") != self.email.subject:
            return True
        entries = self.ledger.data["posts"]
        return self.state != "creating" and any(
            entries[p.post_id].get("content_hash") != p.content_hash
            for p in self.planned.posts)

    def step(self, state, **fields):
        fields.setdefault("destination", self.backend.destination)
        self.ledger.record(key=self.key, state=state, now=self.run.now(),
                           posts=self.planned.posts, **fields)
        self.state = state

    def advance(self, until=()):
        """Go on until a state in `until` (None then), or to the end: the EmailResult,
        or _RELEASED when the email gave its posts up."""
        for _ in range(MAX_STEPS):
            state = self.state
            if state in until:
                return None
            if state is None:
                self.step("creating", backend=self.backend.name, kind=self.planned.kind,
                          subject=self.email.subject, groups=self.planned.groups)
            elif state == "creating":
                found = self.backend.find(self.key)
                if found is not None and found.status != "draft":
                    return self.finished(found, "made by another publisher")
                if found is not None and found.id != self.campaign_id:
                    self.notes.append(f"carried on with the draft campaign {found.id} "
                                      "already in " + self.backend.name)
                self.campaign_id = found.id if found else self.backend.create(self.email)
                self.step("created", campaign_id=self.campaign_id)
            elif state in ("created", "content_set") and self.gone_out():
                return self.finished(self.gone_out(), "by another publisher")
            elif state == "created":
                try:
                    self.backend.set_content(self.campaign_id, self.email)
                except CampaignGone:
                    self.remake()
                    continue
                except NotDraft as error:
                    return self.finished(error.campaign, "by another publisher")
                self.step("content_set", content_hash=True, subject=self.email.subject,
                          groups=self.planned.groups)
            elif state == "content_set":
                try:
                    problems = self.backend.check(self.campaign_id)
                except CampaignGone:
                    self.remake()
                    continue
                except NotDraft as error:
                    return self.finished(error.campaign, "by another publisher")
                if problems:
                    raise NewsletterError(f"{self.backend.name} says {self.email.name} is not "
                                          "ready to send: " + "; ".join(problems))
                self.step("checked")
            elif state == "testing":  # a run stopped during the test: it may have gone
                self.unconfirmed_test()
            elif state in ("checked", "tested"):
                outcome = self.look()
                if outcome is _AGAIN:
                    continue
                if outcome is not None:
                    return outcome
                if state == "checked" and self.run.test_to and not self.test_left:
                    self.test()
                    continue
                self.step("sending")
                return self.delivered(self.backend.send(self.campaign_id))
            elif state == "sending":
                return self.resume_sending()
        raise NewsletterError(f"{self.email.name} kept changing state in {self.backend.name} "
                              f"({MAX_STEPS} steps): run again.")

    def gone_out(self):
        """This email's campaign, when the last look showed it sent or scheduled."""
        for campaign in self.backend.known():
            if campaign.id == self.campaign_id and campaign.status != "draft":
                return campaign
        return None

    def look(self):
        """Look again before an irreversible step: None to go on, _AGAIN, _RELEASED, or
        the EmailResult of a campaign that went out already."""
        standing = self.backend.standing(self.campaign_id, self.key)
        for loser in standing.losers:
            self.backend.delete(loser)
            if loser != self.campaign_id:
                self.notes.append(f"deleted the duplicate draft campaign {loser}")
        verdict = standing.verdict
        if verdict == "win":
            return None
        if verdict == "done":
            return self.finished(standing.campaign, "by another publisher")
        if verdict == "gone":
            self.remake()
            return _AGAIN
        if verdict == "adopt":
            winner = standing.campaign
            if winner.status != "draft":
                return self.finished(winner, "by another publisher")
            self.notes.append(f"carried on with campaign {winner.id}, made at the same time "
                              f"elsewhere (this run's draft {self.campaign_id} "
                              + ("deleted)" if self.campaign_id in standing.losers
                                 else "lost)"))
            self.campaign_id = winner.id
            if self.run.test_to and not self.test_left:  # one test email, not one each
                self.test_left = True
                self.notes.append("its test email left to the publisher that made it")
            self.ledger.rewind(key=self.key, state="created", now=self.run.now(),
                               campaign_id=winner.id)
            self.state = "created"
            return _AGAIN
        taken = ", ".join(sorted({f"{c.id} ({c.status})" for _, c in standing.taken}))
        deleted = "deleted" if self.campaign_id in standing.losers else "left, lost"
        self.run.report.notes.append(
            f"planned again: the email of {', '.join(p.slug for p in self.planned.posts)} "
            f"lost posts to campaign {taken}; its draft {self.campaign_id} {deleted}")
        self.ledger.release(key=self.key, now=self.run.now())
        return _RELEASED

    def test(self):
        to = tuple(self.run.test_to)
        self.step("testing", tested_to=to)
        try:
            self.backend.send_test(self.campaign_id, self.email, to)
        except Unconfirmed:
            self.unconfirmed_test()
            return
        except CampaignGone:
            self.remake()
            return
        except NotDraft:
            self.ledger.rewind(key=self.key, state="checked", now=self.run.now())
            self.state = "checked"  # the look before the send records how it went out
            return
        except BackendError:
            self.ledger.rewind(key=self.key, state="checked", now=self.run.now())
            raise
        self.tested = to
        self.step("tested")

    def unconfirmed_test(self):
        """The test's answer was lost: it may have gone. Never sent again blindly."""
        entry = self.ledger.email_entry(self.key) or {}
        to = ", ".join(entry.get("tested_to") or self.run.test_to)
        self.notes.append(f"test to {to}: its answer was lost; not sent again (it may not "
                          "have arrived)")
        self.step("tested", test_unconfirmed=True)

    def remake(self):
        """The draft is gone (deleted in the backend): back to `creating`."""
        self.remade += 1
        if self.remade > MAX_REMAKES:
            raise NewsletterError(f"the draft of {self.email.name} was deleted in "
                                  f"{self.backend.name} {self.remade} times during this run: "
                                  "run again when nobody is deleting it.")
        self.notes.append(f"its draft {self.campaign_id} was deleted in {self.backend.name}: "
                          "made again")
        self.ledger.rewind(key=self.key, state="creating", now=self.run.now())
        self.state, self.campaign_id = "creating", None

    def resume_sending(self):
        """The last run may or may not have sent it: ask, never guess."""
        campaign = self.backend.get(self.campaign_id)
        if campaign is None:
            raise NewsletterError(f"campaign {self.campaign_id} of {self.email.name} no longer "
                                  "exists, and it may have gone out: look in "
                                  f"{self.backend.name}, then correct the ledger by hand.")
        if campaign.status != "draft":
            return self.delivered(_delivery(campaign))
        standing = self.backend.standing(self.campaign_id, self.key)
        if standing.verdict == "done":
            return self.delivered(_delivery(standing.campaign))
        if standing.verdict != "win":
            raise NewsletterError(
                f"{self.email.name} stopped at 'sending' and its campaign {self.campaign_id} "
                f"no longer holds all its posts in {self.backend.name}: look at it there, "
                "then correct the ledger by hand.")
        return self.delivered(self.backend.send(self.campaign_id))

    def finished(self, campaign, how):
        """A campaign of this email that went out already (another publisher sent it)."""
        if campaign.status not in GONE_FOR_GOOD:
            raise odd_status(self.backend.name, campaign)
        self.notes.append(f"{campaign.status} {how}")
        self.campaign_id = campaign.id
        self.step(campaign.status, campaign_id=campaign.id, **_where(campaign.location))
        return self.result(campaign.status, campaign.location)

    def delivered(self, delivery):
        scheduled_for = delivery.at if delivery.state == "scheduled" else None
        when = {}
        if scheduled_for:
            when["scheduled_for"] = f"{scheduled_for.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
        self.step(delivery.state, **_where(delivery.location), **when)
        # Its public web copy (the archive, README "Newsletter"): a digest's HTML exists only now.
        store_web_copy(self.run.settings, self.email, self.backend.name, self.run.now())
        return self.result(delivery.state, delivery.location, scheduled_for=scheduled_for)

    def result(self, state, location, **extra):
        return _result(self.planned, self.email, state, self.backend, self.campaign_id,
                       location, resumed_from=self.planned.resume_from, tested_to=self.tested,
                       notes=tuple(self.notes), **extra)


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
        campaign_id=campaign_id or "", location=location,
        destination=getattr(backend, "destination", ""), **extra,
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
class EmailTestReport:
    """What `send_tests` did: a test of each due email, to the given addresses only."""

    backend: str
    destination: str
    addresses: tuple
    tested: list = field(default_factory=list)  # one line per test email sent
    left: list = field(default_factory=list)  # due emails not tested, and why

    def lines(self):
        out = [f"Test emails via {self.backend} to {', '.join(self.addresses)} only: nothing "
               "is sent to the list, and the ledger is unchanged."]
        out += [f"  tested: {line}" for line in self.tested]
        out += [f"  not tested: {line}" for line in self.left]
        if not self.tested and not self.left:
            out.append("  nothing is due: no test email sent.")
        return out


def send_tests(output_path, settings, addresses, *, backend=None, clock=None,
               content_path=None):
    """Send a test of each email a send would make now to `addresses`, and only to them
    (invoke newsletter-test; the pull request's preview).

    Each email gets a draft campaign of its own: made, given its content, checked, tested,
    then deleted, so no draft is left for a later send to carry on with (a test draft of
    posts that change before they are published would hold them). The campaign is never
    sent or scheduled, and the ledger is read, never written: a test changes nothing of
    what the list gets. Emails already under way (a send stopped part-way) or that the
    backend shows sent are left out, said why. Raises as `send` does before it sends
    anything: FirstRunError, SampleTextError.
    """
    addresses = addresses_of(addresses)
    posts = load(output_path, settings)
    backend = backend or choose_backend(settings, clock=clock)
    decision = decide(posts, view(read_ledger(settings.ledger_path), backend.destination),
                      now=_now(clock), digest_threshold=settings.digest_threshold)
    if decision.first_run:
        raise FirstRunError(decision, settings.ledger_path)
    _refuse_sample_text(decision, content_path)
    report = EmailTestReport(backend.name, backend.destination, addresses)
    if not decision.emails:
        return report
    held, _ = holders(backend.survey())
    for planned in decision.emails:
        name = ", ".join(p.slug for p in planned.posts)
        if planned.resume_from:
            report.left.append(f"{name}: its send stopped at '{planned.resume_from}'; invoke "
                               "newsletter-send finishes it")
            continue
        gone = sorted({f"{held[p.post_id].status} in campaign {held[p.post_id].id}"
                       for p in planned.posts if p.post_id in held
                       and held[p.post_id].status in GONE_FOR_GOOD})
        if gone:
            report.left.append(f"{name}: already {', '.join(gone)}")
            continue
        report.tested.append(_test_email(backend, compose(planned, settings), addresses))
    return report


def addresses_of(values):
    """The addresses of `--to` (each may list several, separated by commas or spaces)."""
    found = tuple(dict.fromkeys(
        part for value in values or () for part in str(value).replace(",", " ").split()))
    bad = [a for a in found if "@" not in a.strip("@")]
    if not found or bad:
        raise NewsletterError(
            (f"{', '.join(map(repr, bad))} is not an email address" if bad else
             "no address to send the test emails to")
            + ": invoke newsletter-test --to you@example.org [--to ...]. Nothing was sent.")
    return found


def _test_email(backend, email, addresses):
    """Make a draft of `email`, send its test to `addresses`, delete the draft."""
    campaign_id = backend.create(email)
    notes = []
    try:
        backend.set_content(campaign_id, email)
        problems = backend.check(campaign_id)
        if problems:
            notes.append(f"{backend.name} says it is not ready to send: {'; '.join(problems)}")
        try:
            backend.send_test(campaign_id, email, addresses)
        except Unconfirmed:
            notes.append("the test's answer was lost: it may not have arrived")
    finally:
        try:
            backend.delete(campaign_id)
            draft = f"draft {campaign_id} deleted after its test"
        except BackendError as exc:
            draft = f"its draft {campaign_id} is left in {backend.name} ({exc}): delete it there"
    to = ", ".join(email.groups) or "the whole list"
    size = len(email.html.encode("utf-8"))
    return "; ".join([f"{email.name}: {email.subject!r} (for {to}; {size / 1024:.1f} KB of "
                      f"HTML), {draft}", *notes])


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
        ledger = LedgerFile(settings.ledger_path,
                            read_ledger(settings.ledger_path) or new_ledger(now),
                            backend.destination)
        matches = [e for pid, e in ledger.data["posts"].items()
                   if slug in (pid, e.get("slug"))]
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
        ledger.record(key=entry["email"], state="cancelled", now=now)
        lines.append(f"{slug}: cancelled in the ledger {settings.ledger_path}; it will not be "
                     "sent. Commit the ledger.")
        return lines
