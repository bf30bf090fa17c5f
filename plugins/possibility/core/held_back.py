"""When a post held back by its date goes out, in words: the site's time and from now.

A post whose `Date` is in the future is not published (WITH_FUTURE_DATES = False): the
first build after that date publishes it. Every build names such posts
(`possibility.site.held_back`), and so do the author's commands (the publish report), in
the same words:

    content/posts/x.md is dated 2026-12-01 14:30 EST (in 4 h 55 min): it is published by
    the first build after that

Pure: the post's date, now and the site's time zone in; text out. The machine's own time
zone plays no part (both datetimes are aware).
"""

import math
from datetime import datetime
from zoneinfo import ZoneInfo


def _plural(number, noun):
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def until(when, now):
    """`when` relative to `now` (both aware): "in 12 min", "in 4 h 55 min", "in 1 day 3 h",
    "in 12 days", "in 3 years"; "now" when it is not later. Rounded up: a post is never
    said to go out sooner than it does."""
    seconds = (when - now).total_seconds()
    if seconds <= 0:
        return "now"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"in {minutes} min"
    if minutes < 24 * 60:
        hours, minutes = divmod(minutes, 60)
        return f"in {hours} h" + (f" {minutes} min" if minutes else "")
    days, hours = divmod(math.ceil(seconds / 3600), 24)
    if days < 7:
        return f"in {_plural(days, 'day')}" + (f" {hours} h" if hours else "")
    if days < 365:
        return f"in {_plural(round(seconds / 86400), 'day')}"
    return f"in {_plural(days // 365, 'year')}"


def site_time(when, timezone):
    """`when` on the site's clock: '2026-12-01 14:30 EST'."""
    return when.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


def held_back_text(source, when, now, timezone):
    """The sentence that names a held-back post: its file, its date in the site's time
    zone, how long until then, and what publishes it."""
    return (f"{source} is dated {site_time(when, timezone)} ({until(when, now)}): "
            "it is published by the first build after that")


def is_held_back(when, now):
    """True when a post dated `when` is still in the future at `now` (as Pelican decides)."""
    return isinstance(when, datetime) and when.utcoffset() is not None and when > now
