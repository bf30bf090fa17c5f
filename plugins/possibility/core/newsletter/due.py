"""Which emails are due: a pure decision over the built posts, the ledger and the clock.

    decide(posts, ledger, now=..., digest_threshold=...) -> Decision

Rules, in order, for each post (by its stable identity, so a new slug, title or date
never makes a post look new):
- already in the ledger: sent (or "changed since sent" when its content hash differs:
  reported, never sent again), scheduled, baselined, cancelled, or half-way through
  its steps (resumed, as the same email, before anything new; held when one of its
  posts is no longer publishable);
- else skipped when it is a draft, hidden, future-dated or says `Newsletter: no`;
- else due. No ledger at all with posts due is a first run: nothing is sent until the
  author baselines (`Decision.first_run`).
New due posts that target the same interest groups go out as one digest when there are
at least `digest_threshold` of them (0: never), else one email each, oldest first.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass

from .ledger import IN_PROGRESS, parse_timestamp
from .post_fields import shorten

DIGEST_NAMESPACE = uuid.UUID("0c3f6a52-9a8e-4d1b-8f7e-3b6d2a1c9e44")


@dataclass(frozen=True)
class Row:
    """One post in the status table."""

    post: object  # PostRecord
    state: str  # due | sent | changed since sent | scheduled | in progress | held | skipped
    reason: str = ""
    entry: dict | None = None


@dataclass(frozen=True)
class PlannedEmail:
    key: str  # post identity, or digest:urn:uuid:... for a digest
    kind: str  # "post" or "digest"
    posts: tuple  # PostRecords, oldest first
    groups: tuple  # interest groups targeted; () = the whole list
    resume_from: str | None = None  # the ledger state it stopped at; None: new

    @property
    def urls(self):
        return tuple(p.url for p in self.posts)


@dataclass(frozen=True)
class Decision:
    rows: tuple
    emails: tuple  # PlannedEmail: resumed ones first, then new ones
    first_run: bool  # no ledger yet and posts would be sent: refuse until baselined

    def posts_in(self, state):
        return tuple(row.post for row in self.rows if row.state == state)

    @property
    def due(self):
        return self.posts_in("due")

    @property
    def to_send(self):
        """Every post an email of this decision would carry (with its URL)."""
        return tuple(post for email in self.emails for post in email.posts)


def skip_reason(post, now):
    """Why a post is never emailed as it stands, or "" when it may be."""
    if post.date > now:
        return f"future-dated: goes out with the first send after {post.date:%Y-%m-%d %H:%M}"
    if post.status == "draft":
        return "draft (Status: draft)"
    if post.status == "hidden":
        return "hidden (Status: hidden)"
    if post.status != "published":
        return f"status {post.status}"
    if not post.newsletter:
        return "Newsletter: no"
    if not post.has_email:
        return "no email was rendered for it: rebuild the site"
    return ""


def digest_key(post_ids):
    """A digest's identity, the same for the same posts whatever their order."""
    return "digest:" + uuid.uuid5(DIGEST_NAMESPACE, "\n".join(sorted(post_ids))).urn


def decide(posts, ledger, *, now, digest_threshold=3):
    entries = ledger["posts"] if ledger else {}
    by_id = {p.post_id: p for p in posts}
    rows, due = [], []
    for post in posts:
        entry = entries.get(post.post_id)
        if entry is None:
            reason = skip_reason(post, now)
            if reason:
                rows.append(Row(post, "skipped", reason))
            else:
                due.append(post)
                rows.append(Row(post, "due", _targets(post.groups)))
        elif entry["state"] not in IN_PROGRESS:
            rows.append(_settled_row(post, entry))
    resumed = []
    for key, members in _in_progress(entries).items():
        email, held = _resume(key, members, entries, by_id, now)
        if email:
            resumed.append(email)
        rows += held
    new = _group(due, digest_threshold)
    order = {p.post_id: i for i, p in enumerate(posts)}
    rows.sort(key=lambda row: order[row.post.post_id])
    return Decision(tuple(rows), tuple(resumed + new), first_run=ledger is None and bool(due))


def _settled_row(post, entry):
    state = entry["state"]
    when = entry.get("times", {}).get(state, "")
    if state == "baseline":
        return Row(post, "skipped", f"published before the newsletter started "
                                    f"(baseline {_day(when)})", entry)
    if state == "cancelled":
        return Row(post, "skipped", f"its campaign was cancelled ({_day(when)})", entry)
    where = f"via {entry.get('backend', '?')}, campaign {entry.get('campaign_id', '?')}"
    if state == "scheduled":
        return Row(post, "scheduled", f"scheduled {where}", entry)
    if entry.get("content_hash") and entry["content_hash"] != post.content_hash:
        return Row(post, "changed since sent",
                   f"edited after it was sent on {_day(when)} {where}; not sent again", entry)
    return Row(post, "sent", f"{_day(when)} {where}", entry)


def _in_progress(entries):
    emails = defaultdict(list)
    for post_id, entry in sorted(entries.items()):
        if entry["state"] in IN_PROGRESS:
            emails[entry.get("email", post_id)].append(post_id)
    return emails


def _resume(key, members, entries, by_id, now):
    """The half-sent email `key` to finish, or the rows that say why it is held."""
    entry = entries[members[0]]
    state = entry["state"]
    problems = []
    for post_id in members:
        post = by_id.get(post_id)
        if post is None:
            problems.append(f"{entries[post_id].get('slug', post_id)} is no longer in the site")
        elif skip_reason(post, now):
            problems.append(f"{post.slug} is now {skip_reason(post, now)}")
    present = [by_id[p] for p in members if p in by_id]
    if problems:
        reason = (f"its email stopped at '{state}' (campaign {entry.get('campaign_id', 'none')})"
                  f" and cannot go on: {'; '.join(problems)}")
        return None, [Row(post, "held", reason, entries[post.post_id]) for post in present]
    present.sort(key=lambda p: (p.date, p.slug))
    kind = entry.get("kind") or ("digest" if key.startswith("digest:") else "post")
    email = PlannedEmail(key, kind, tuple(present), tuple(entry.get("groups", ())), state)
    rows = [Row(post, "in progress", f"resumes after '{state}'", entries[post.post_id])
            for post in present]
    return email, rows


def _group(due, threshold):
    """One email per post, or one digest per set of posts for the same groups."""
    by_groups = defaultdict(list)
    for post in due:
        by_groups[post.groups].append(post)
    emails = []
    for groups, posts in by_groups.items():
        posts = sorted(posts, key=lambda p: (p.date, p.slug))
        if threshold and len(posts) >= threshold:
            key = digest_key(p.post_id for p in posts)
            emails.append(PlannedEmail(key, "digest", tuple(posts), groups))
        else:
            emails += [PlannedEmail(p.post_id, "post", (p,), groups) for p in posts]
    return sorted(emails, key=lambda e: (e.posts[0].date, e.posts[0].slug))


def digest_preview(posts, limit=150):
    return shorten(" · ".join(p.title for p in posts), limit)


def _targets(groups):
    return f"to {', '.join(groups)}" if groups else "to the whole list"


def _day(text):
    try:
        return f"{parse_timestamp(text):%Y-%m-%d %H:%M} UTC"
    except ValueError:
        return text or "?"
