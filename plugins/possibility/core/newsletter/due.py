"""Which emails are due: a pure decision over the built posts, the ledger and the clock.

    decide(posts, ledger, now=..., digest_threshold=..., taken=...) -> Decision

`ledger` is the view of one destination (`ledger.view`): for the list, what went to
subscribers; for the outbox, what was rehearsed there too ("rehearsed", never "sent").

Rules, in order, for each post (by its stable identity, so a new slug, title or date
never makes a post look new):
- already in the ledger: sent (or "changed since sent" when its content hash differs:
  reported, never sent again), rehearsed, scheduled, baselined, cancelled, or half-way
  through its steps (resumed, as the same email, before anything new, for the groups its
  front matter names today; held when one of its posts is no longer publishable);
- else skipped when it is a draft, hidden, future-dated or says `Newsletter: no`;
- else due. No ledger at all with posts due is a first run: nothing is sent until the
  author baselines (`Decision.first_run`).
A due post that a draft in the backend already carries (`taken`: made by another
publisher, or by a run of this one whose record was lost) goes out in that campaign's
email when every post of it is due here too, and is held otherwise (left to the
publisher that made it). The other new due posts that target the same interest groups
go out as one digest when there are at least `digest_threshold` of them (0: never), at
most DIGEST_MAX_POSTS to a digest, else one email each, oldest first.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass

from possibility.core.held_back import until

from .ledger import IN_PROGRESS, destination_of, is_rehearsal, parse_timestamp
from .post_fields import shorten

DIGEST_NAMESPACE = uuid.UUID("0c3f6a52-9a8e-4d1b-8f7e-3b6d2a1c9e44")
DIGEST_MAX_POSTS = 4  # a Mailchimp campaign title names at most four posts (100 chars)


@dataclass(frozen=True)
class Row:
    """One post in the status table."""

    post: object  # PostRecord
    state: str  # due | sent | rehearsed | changed since sent | scheduled | in progress |
    #             held | skipped
    reason: str = ""
    entry: dict | None = None


@dataclass(frozen=True)
class PlannedEmail:
    key: str  # post identity, or digest:urn:uuid:... for a digest
    kind: str  # "post" or "digest"
    posts: tuple  # PostRecords, oldest first
    groups: tuple  # interest groups targeted; () = the whole list
    resume_from: str | None = None  # the ledger state it stopped at; None: new
    adopts: str | None = None  # the id of a draft made elsewhere that carries its posts

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
        return (f"future-dated: goes out with the first send after "
                f"{post.date:%Y-%m-%d %H:%M} ({until(post.date, now)})")
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


def decide(posts, ledger, *, now, digest_threshold=3, taken=None):
    """`taken`: post identity -> the draft Campaign (backends.base) that carries it."""
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
        elif entry["state"] not in IN_PROGRESS:
            rows.append(_settled_row(post, entry))
    resumed = []
    for key, members in _in_progress(entries).items():
        email, held = _resume(key, members, entries, by_id, now)
        if email:
            resumed.append(email)
        rows += held
    adopted, due, held = _adopt(due, taken or {}, by_id)
    rows += held
    rows += [Row(p, "due", _targets(p.groups)) for p in due]
    rows += [Row(p, "due", f"{_targets(e.groups)}, in the campaign {e.adopts} made elsewhere")
             for e in adopted for p in e.posts]
    new = sorted(adopted + _group(due, digest_threshold),
                 key=lambda e: (e.posts[0].date, e.posts[0].slug))
    order = {p.post_id: i for i, p in enumerate(posts)}
    rows.sort(key=lambda row: order[row.post.post_id])
    first_run = ledger is None and bool(due or adopted)
    return Decision(tuple(rows), tuple(resumed + new), first_run=first_run)


def _settled_row(post, entry):
    state = entry["state"]
    when = entry.get("times", {}).get(state, "")
    if state == "baseline":
        return Row(post, "skipped", f"published before the newsletter started "
                                    f"(baseline {_day(when)})", entry)
    if state == "cancelled":
        return Row(post, "skipped", f"its campaign was cancelled ({_day(when)})", entry)
    if is_rehearsal(destination_of(entry)):
        changed = entry.get("content_hash") not in (None, post.content_hash)
        return Row(post, "rehearsed", f"{rehearsal(entry)}"
                   + ("; edited since" if changed else ""), entry)
    where = f"via {entry.get('backend', '?')}, campaign {entry.get('campaign_id', '?')}"
    if entry.get("destination"):
        where += f" ({entry['destination']})"
    if state == "scheduled":
        return Row(post, "scheduled", f"scheduled {where}", entry)
    if entry.get("content_hash") and entry["content_hash"] != post.content_hash:
        return Row(post, "changed since sent",
                   f"edited after it was sent on {_day(when)} {where}; not sent again", entry)
    return Row(post, "sent", f"{_day(when)} {where}", entry)


def rehearsal(entry):
    """What a rehearsal entry says: 'in the outbox 2026-11-24 14:00 UTC
    (outbox/2026-11-24-x.eml): not sent to subscribers'."""
    state = entry.get("state")
    when = _day(entry.get("times", {}).get(state, ""))
    where = f" ({entry['location']})" if entry.get("location") else ""
    done = "" if state in ("sent", "scheduled") else f", stopped at '{state}'"
    return (f"in the {destination_of(entry)} {when}{where}{done}: not sent to "
            "subscribers")


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
    email = PlannedEmail(key, kind, tuple(present), merged_groups(present), state)
    rows = [Row(post, "in progress", f"resumes after '{state}'", entries[post.post_id])
            for post in present]
    return email, rows


def merged_groups(posts):
    """The groups an email of `posts` targets: theirs, as today's front matter says. A
    digest whose posts came to disagree (edited since it started) goes to all of them;
    () (the whole list) when any post targets the whole list."""
    if any(not p.groups for p in posts):
        return ()
    merged = []
    for post in posts:
        merged += [g for g in post.groups if g not in merged]
    return tuple(merged)


def _adopt(due, taken, by_id):
    """(emails for drafts made elsewhere, the due posts left, held rows)."""
    due_ids = {p.post_id for p in due}
    adopted, held, done = [], [], set()
    for post in due:
        campaign = taken.get(post.post_id)
        if campaign is None or campaign.id in done:
            continue
        done.add(campaign.id)
        mine = [p for p in due if taken.get(p.post_id) is campaign]
        missing = [pid for pid in campaign.posts if pid not in due_ids]
        if missing:
            names = ", ".join(by_id[p].slug if p in by_id else p for p in missing)
            held += [Row(p, "held", f"in the draft campaign {campaign.id} made elsewhere, "
                                    f"which also carries {names} (not due here): left to "
                                    "the publisher that made it") for p in mine]
            continue
        posts = tuple(sorted(mine, key=lambda p: (p.date, p.slug)))
        kind = campaign.kind or ("post" if len(posts) == 1 else "digest")
        adopted.append(PlannedEmail(campaign.key, kind, posts, merged_groups(posts),
                                    adopts=campaign.id))
    claimed = {p.post_id for e in adopted for p in e.posts} | {r.post.post_id for r in held}
    return adopted, [p for p in due if p.post_id not in claimed], held


def _group(due, threshold):
    """One email per post, or digests (at most DIGEST_MAX_POSTS posts, evenly split) per
    set of posts for the same groups."""
    by_groups = defaultdict(list)
    for post in due:
        by_groups[post.groups].append(post)
    emails = []
    for groups, posts in by_groups.items():
        posts = sorted(posts, key=lambda p: (p.date, p.slug))
        if threshold and len(posts) >= threshold:
            parts = -(-len(posts) // DIGEST_MAX_POSTS)
            start = 0
            for n in range(parts):
                size = len(posts) // parts + (n < len(posts) % parts)
                part = posts[start:start + size]
                start += size
                key = digest_key(p.post_id for p in part)
                emails.append(PlannedEmail(key, "digest", tuple(part), groups))
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
