"""iCalendar (RFC 5545) text for the site's events: pure functions, no Pelican, no clock.

`event_ics(event, ...)` is one event's `.ics` file, `calendar_ics(events, ...)` the feed of
many. Both return bytes that are identical for identical input, so an unchanged site
rebuilds to identical files:

- lines end in CRLF and are folded at 75 octets (a UTF-8 character is never split);
- TEXT values escape backslash, `;`, `,` and newlines;
- DTSTART and DTEND are local times with a TZID, and each zone used gets a VTIMEZONE
  listing its offset changes (read from the zoneinfo database) over the years of the
  events, from the year before the first: no RRULE guessing, exact for every date;
- DTSTAMP (and LAST-MODIFIED) come from the event's own front matter, never the clock;
- the UID is stable: the `Event-Id:` UUID, else one derived from the file's path
  (`event_uid`), as `possibility.core.identity` does for posts.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from zoneinfo import ZoneInfo

from .identity import FALLBACK_NAMESPACE

LINE_OCTETS = 75
STATUSES = {"open": "CONFIRMED", "full": "CONFIRMED", "cancelled": "CANCELLED"}


@dataclass(frozen=True)
class CalendarEvent:
    """One VEVENT, as plain values."""

    uid: str
    summary: str
    start: datetime  # aware
    end: datetime  # aware, after start
    zone: str  # IANA name the times are shown in (TZID)
    stamp: datetime  # aware: DTSTAMP
    description: str = ""
    location: str = ""
    url: str = ""
    status: str = "CONFIRMED"  # or "CANCELLED"
    modified: datetime | None = None  # LAST-MODIFIED


def event_uid(event_id, relative_source_path):
    """The event's UID: its `Event-Id:` UUID, else a UUID derived from its file's path
    relative to the content folder (stable while the file keeps its name)."""
    if event_id:
        return str(uuid.UUID(str(event_id).strip()))
    key = PurePath(relative_source_path).as_posix()
    return str(uuid.uuid5(FALLBACK_NAMESPACE, key))


def escape_text(value):
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def fold(line):
    """`line` folded as RFC 5545 3.1 asks: no line longer than 75 octets (CRLF excluded),
    each continuation starting with one space; UTF-8 characters are kept whole."""
    parts, current, size = [], [], 0
    limit = LINE_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            parts.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += octets
    parts.append("".join(current))
    return "\r\n".join(parts)


def _utc(when):
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(when, zone):
    return when.astimezone(ZoneInfo(zone)).strftime("%Y%m%dT%H%M%S")


def _offset(delta):
    seconds = int(delta.total_seconds())
    sign = "+" if seconds >= 0 else "-"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


def _transitions(zone, first_year, last_year):
    """[(utc instant, offset before, offset after, name after, is_dst)] of `zone` from the
    start of `first_year` to the end of `last_year`, found by day and then to the minute."""
    tz = ZoneInfo(zone)
    start = datetime(first_year, 1, 1, tzinfo=tz).astimezone(UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    found = []
    moment, before = start, start.astimezone(tz).utcoffset()
    while moment < end:
        step = moment + timedelta(days=1)
        after = step.astimezone(tz).utcoffset()
        if after != before:
            low, high = moment, step  # offset(low) == before, offset(high) == after
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                middle = middle.replace(second=0, microsecond=0)
                if middle <= low:
                    break
                if middle.astimezone(tz).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            local = high.astimezone(tz)
            found.append((high, before, after, local.tzname(), bool(local.dst())))
        moment, before = step, after
    return found


def vtimezone(zone, first_year, last_year):
    """The VTIMEZONE lines for `zone`, exact from the start of `first_year` to the end of
    `last_year`: the observance in force at the start, then one per offset change."""
    start = datetime(first_year, 1, 1, tzinfo=ZoneInfo(zone))
    observances = [(
        "DAYLIGHT" if start.dst() else "STANDARD",
        start.replace(tzinfo=None), start.utcoffset(), start.utcoffset(), start.tzname(),
    )]
    for instant, before, after, name, is_dst in _transitions(zone, first_year, last_year):
        # DTSTART is the onset in the local time in force before it (TZOFFSETFROM).
        onset = (instant + before).replace(tzinfo=None)
        observances.append(("DAYLIGHT" if is_dst else "STANDARD", onset, before, after, name))
    lines = ["BEGIN:VTIMEZONE", f"TZID:{zone}"]
    for kind, onset, before, after, name in observances:
        lines += [
            f"BEGIN:{kind}",
            f"DTSTART:{onset.strftime('%Y%m%dT%H%M%S')}",
            f"TZOFFSETFROM:{_offset(before)}",
            f"TZOFFSETTO:{_offset(after)}",
        ]
        if name:
            lines.append(f"TZNAME:{escape_text(name)}")
        lines.append(f"END:{kind}")
    lines.append("END:VTIMEZONE")
    return lines


def vevent(event):
    """The VEVENT lines of one CalendarEvent (unfolded)."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{_utc(event.stamp)}",
        f"DTSTART;TZID={event.zone}:{_local(event.start, event.zone)}",
        f"DTEND;TZID={event.zone}:{_local(event.end, event.zone)}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    lines.append(f"STATUS:{event.status}")
    if event.modified is not None:
        lines.append(f"LAST-MODIFIED:{_utc(event.modified)}")
    lines.append("END:VEVENT")
    return lines


def calendar_ics(events, *, prodid, name=None):
    """A VCALENDAR holding `events` (in the order given) and the VTIMEZONE of each zone
    they use, as bytes: UTF-8, CRLF line endings, folded."""
    events = list(events)
    years = {}
    for event in events:
        first, last = years.get(event.zone, (event.start.year, event.end.year))
        years[event.zone] = (min(first, event.start.year), max(last, event.end.year))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{prodid}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH"]
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for zone in sorted(years):
        first, last = years[zone]
        lines += vtimezone(zone, first - 1, last)
    for event in events:
        lines += vevent(event)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")


def event_ics(event, *, prodid):
    """One event's .ics file (bytes)."""
    return calendar_ics([event], prodid=prodid)
