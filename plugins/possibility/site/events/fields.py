"""An event's front matter, read and checked: pure functions over the metadata Pelican read.

Every problem names the field and what to write instead; `EventErrors` lists them all,
file by file, and stops the build before anything is written.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from possibility.common import ProblemsError, is_absolute_url
from possibility.core.identity import is_uuid

STATUSES = ("open", "full", "cancelled")
EXAMPLE_START = "2026-05-12 18:00"
EXAMPLE_END = "2026-05-12 20:00"
SIGNUP = "signup:"
FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


class EventErrors(ProblemsError):
    """Events whose front matter must be fixed, or posts announcing events they cannot."""

    headline = "the site was not built: fix the front matter of these events"


@dataclass(frozen=True)
class Registration:
    """How to register: `url` (absolute, or relative to SITEURL when `on_site`), and for
    the signup form the interest group it pre-chooses."""

    url: str
    on_site: bool
    group: str | None = None

    @property
    def is_signup(self):
        return self.group is not None


@dataclass(frozen=True)
class EventFields:
    start: datetime  # aware, in `zone`
    end: datetime
    zone: str
    place: str | None  # the address; None when online
    online: bool
    online_url: str | None
    venue: str | None
    registration: Registration | None
    status: str  # open, full or cancelled
    group: str | None
    uid_source: str | None  # the Event-Id, if any


def text(metadata, name):
    value = metadata.get(name)
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = " ".join(str(v) for v in value)
    return str(value).strip()


def read_fields(metadata, *, site_timezone, signup_url, groups=None):
    """(EventFields or None, problems) from an event's metadata (keys lowercased).
    `groups`: the interest groups `signup:GROUP` may name, or None for any."""
    problems = []
    if not text(metadata, "title"):
        problems.append("field 'Title' is missing. Add a first line such as "
                        "'Title: Executive Coaching Group: spring cohort'.")
    zone = text(metadata, "timezone") or site_timezone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"field 'Timezone' is {zone!r}, which is not a time zone. Write an IANA "
                        "name such as 'Timezone: America/New_York' (or leave it out for the "
                        f"site's {site_timezone}).")
        zone = None
    start = _local_time(metadata, "start", EXAMPLE_START, zone, problems)
    end = _local_time(metadata, "end", EXAMPLE_END, zone, problems)
    if start and end and end <= start:
        problems.append(f"field 'End' ({text(metadata, 'end')}) is not after 'Start' "
                        f"({text(metadata, 'start')}). Write when the event ends, such as "
                        f"'End: {EXAMPLE_END}'.")
    place = text(metadata, "place")
    online = place.lower() == "online"
    if not place:
        problems.append("field 'Place' is missing. Write the address, such as 'Place: 250 "
                        "Park Avenue South, New York, NY 10003', or 'Place: online'.")
    online_url = text(metadata, "online-url") or None
    if online_url and not is_absolute_url(online_url):
        problems.append(f"field 'Online-URL' is {online_url!r}, which is not a web address. "
                        "Write the meeting's link, such as 'Online-URL: https://zoom.us/j/123'.")
    elif online_url and place and not online:
        problems.append("field 'Online-URL' is for online events. Write 'Place: online', or "
                        "leave 'Online-URL' out.")
    status = (text(metadata, "status") or "open").lower()
    if status not in STATUSES:
        problems.append(f"field 'Status' is {text(metadata, 'status')!r}. Write one of: "
                        f"{', '.join(STATUSES)} (or leave it out: open).")
    registration = _registration(text(metadata, "registration"), signup_url, groups, problems)
    event_id = text(metadata, "event-id") or None
    if event_id and not is_uuid(event_id):
        problems.append(f"field 'Event-Id' is {event_id!r}, which is not a UUID. Do not edit it "
                        f"by hand; write a new one such as 'Event-Id: {uuid.uuid4()}'.")
    group = text(metadata, "group") or text(metadata, "category") or None
    if problems:
        return None, problems
    return EventFields(
        start=start, end=end, zone=zone, place=None if online else place, online=online,
        online_url=online_url, venue=text(metadata, "venue") or None,
        registration=registration, status=status, group=group, uid_source=event_id,
    ), []


def _local_time(metadata, name, example, zone, problems):
    label = name.capitalize()
    value = text(metadata, name)
    if not value:
        problems.append(f"field '{label}' is missing. Add a line such as '{label}: {example}' "
                        "(the local time where the event happens; the zone goes in "
                        "'Timezone:').")
        return None
    for fmt in FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=ZoneInfo(zone)) if zone else None
    problems.append(f"field '{label}' is {value!r}, which is not a local date and time. Write "
                    f"it as '{label}: {example}' (YYYY-MM-DD HH:MM, without an offset: the "
                    "zone goes in 'Timezone:').")
    return None


def _registration(value, signup_url, groups, problems):
    if not value:
        return None
    if value.lower().startswith(SIGNUP):
        group = value[len(SIGNUP):].strip()
        if not group:
            problems.append("field 'Registration' names no group. Write "
                            "'Registration: signup:Executive Coaching Group'.")
            return None
        if groups is not None and group not in groups:
            problems.append(f"field 'Registration' names the group {group!r}, which the signup "
                            f"form does not have. Write one of: {', '.join(groups)}.")
            return None
        return Registration(f"{signup_url}?group={quote(group)}", True, group)
    if is_absolute_url(value):
        return Registration(value, False)
    if not urlsplit(value).scheme and value.startswith("/"):
        return Registration(value.lstrip("/"), True)
    problems.append(f"field 'Registration' is {value!r}. Write a web address "
                    "('Registration: https://example.com/register'), a page of the site "
                    "('Registration: /contact/'), or the signup form with an interest group "
                    "chosen ('Registration: signup:Executive Coaching Group').")
    return None


