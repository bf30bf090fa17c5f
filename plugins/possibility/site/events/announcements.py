"""A post that announces an event must not be emailed once the event has begun.

A post says which event it announces with `Event: <the event's slug>`. The newsletter
emails a published post at the first send after its `Date:` (unless `Newsletter: no`), so:

- a post dated at or after its event's start (published now, or held back by its date and
  going out then) would reach readers too late: the build stops;
- a post dated before the event went (or goes) out in time, so once the event has begun it
  is left alone: every later build, the hourly publish included, goes on;
- an `Event:` that names no event stops the build too, whatever the post's status.

Drafts and hidden posts are never emailed, so only the last rule applies to them.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from possibility.core.newsletter.post_fields import NO

FIX = "set 'Newsletter: no', or point 'Event:' at an upcoming event"


def _site_time(when, zone):
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def announcement_problems(posts, events, now):
    """Problems (one line each) of `posts` that announce `events`.

    `posts`: (shown path, metadata, kind, date) with kind "published", "held back" or
    "not emailed"; `events`: {slug: event} (objects with start, zone, source_shown)."""
    problems = []
    for where, metadata, kind, date in posts:
        slug = str(metadata.get("event") or "").strip()
        if not slug:
            continue
        event = events.get(slug)
        if event is None:
            known = ", ".join(sorted(events)) or "none yet: add one in content/events/"
            problems.append(f"{where}: field 'Event' is {slug!r}, which is no event's slug. "
                            f"Write the slug of an event (known: {known}), or remove the line.")
            continue
        if kind == "not emailed":
            continue
        if str(metadata.get("newsletter", "yes")).strip().lower() in NO:
            continue
        if isinstance(date, datetime) and event.start <= date:
            verb = "started" if event.start <= now else "starts"
            problems.append(
                f"{where}: announces the event {slug!r} ({event.source_shown}), which {verb} at "
                f"{_site_time(event.start, event.zone)}, but the post is dated "
                f"{_site_time(date, event.zone)}, so its email would go out after the event "
                f"started: {FIX}.")
    return problems
