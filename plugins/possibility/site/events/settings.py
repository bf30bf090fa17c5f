"""Every setting the events plugin reads, checked in one place, with its default.

EVENTS_PATHS [["events"]]
    Folders of the content folder whose Markdown files are events.
EVENTS_URL ["events/{slug}/"], EVENTS_SAVE_AS ["events/{slug}/index.html"]
    Where each event's page is linked and written; `{slug}` is the event's slug.
EVENTS_ICS_SAVE_AS ["events/{slug}/event.ics"]
    Each event's iCalendar file ("Add to calendar").
EVENTS_FEED_SAVE_AS ["events.ics"]
    The iCalendar feed of every event, upcoming and past; empty or None: not written.
EVENTS_SIGNUP_URL ["subscribe/"]
    The page with the signup form, relative to SITEURL: `Registration: signup:GROUP` links
    to it as `subscribe/?group=GROUP`.
EVENTS_NOW [None: the build's clock]
    The moment upcoming and past are decided against, and announcements checked: an aware
    datetime or an ISO 8601 text such as "2026-05-01T09:00" (read in TIMEZONE when it has
    no offset). For tests, and to preview the site as it will be on a given day.
EVENTS_PERFORMER [AUTHOR]
    The `performer` of every event in its structured data (Karen Steinberg).

Also read: TIMEZONE (an event's default `Timezone:`), SITENAME (the organizer, the
calendars' names), SITEURL (absolute: the links inside .ics files and structured data).
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from possibility.common import SettingsError, absolute_siteurl, names

DEFAULTS = {
    "EVENTS_PATHS": ["events"],
    "EVENTS_URL": "events/{slug}/",
    "EVENTS_SAVE_AS": "events/{slug}/index.html",
    "EVENTS_ICS_SAVE_AS": "events/{slug}/event.ics",
    "EVENTS_FEED_SAVE_AS": "events.ics",
    "EVENTS_SIGNUP_URL": "subscribe/",
    "EVENTS_NOW": None,
}


class EventsSettingsError(SettingsError):
    """An events setting has a value the plugin cannot use; the message says which."""


@dataclass(frozen=True)
class EventsSettings:
    paths: tuple
    url: str
    save_as: str
    ics_save_as: str
    feed_save_as: str | None
    signup_url: str
    now: datetime  # aware
    timezone: str
    siteurl: str | None  # absolute, without a trailing slash; None in a relative build
    sitename: str
    performer: str | None

    @property
    def prodid(self):
        return f"-//{self.sitename or 'Pelican'}//Events//EN"


def read_settings(settings, clock=None):
    """The plugin's settings from Pelican's `settings` dict, checked. `clock`: a function
    returning the aware current time (default: the system clock)."""
    get = lambda name: settings.get(name, DEFAULTS[name])  # noqa: E731
    timezone = str(settings.get("TIMEZONE") or "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise EventsSettingsError(
            f"TIMEZONE is {timezone!r}, which is not a time zone: write an IANA name such as "
            "'America/New_York'.") from exc
    paths = names("EVENTS_PATHS", get("EVENTS_PATHS"), ["events"], "folders",
                  error=EventsSettingsError)
    return EventsSettings(
        paths=paths,
        url=_pattern("EVENTS_URL", get("EVENTS_URL"), slash=True),
        save_as=_pattern("EVENTS_SAVE_AS", get("EVENTS_SAVE_AS")),
        ics_save_as=_pattern("EVENTS_ICS_SAVE_AS", get("EVENTS_ICS_SAVE_AS")),
        feed_save_as=_path("EVENTS_FEED_SAVE_AS", get("EVENTS_FEED_SAVE_AS")),
        signup_url=str(get("EVENTS_SIGNUP_URL") or "").lstrip("/"),
        now=_now(get("EVENTS_NOW"), timezone, clock),
        timezone=timezone,
        siteurl=absolute_siteurl(settings),
        sitename=str(settings.get("SITENAME") or ""),
        performer=settings.get("EVENTS_PERFORMER", settings.get("AUTHOR")) or None,
    )


def _now(value, timezone, clock):
    if value is None or value == "":
        return (clock or (lambda: datetime.now(UTC)))()
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, datetime):
        raise EventsSettingsError(
            f"EVENTS_NOW is {value!r}: write a date and time such as '2026-05-01T09:00', "
            "or leave it out to use the clock.")
    if value.utcoffset() is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value


def _path(name, value):
    if not value:
        return None
    pure = PurePosixPath(str(value))
    if pure.is_absolute() or ".." in pure.parts or str(value).endswith("/"):
        raise EventsSettingsError(
            f"{name} is {value!r}: write a file path inside the output folder, such as "
            f"{DEFAULTS[name]!r}.")
    return str(value)


def _pattern(name, value, slash=False):
    text = str(value or "")
    try:
        filled = text.format(slug="x")
    except (KeyError, IndexError, ValueError):
        filled = text
    if "{slug}" not in text or filled == text or (not slash and not _path(name, filled)):
        raise EventsSettingsError(
            f"{name} is {value!r}: write a path with {{slug}}, such as {DEFAULTS[name]!r}.")
    return text
