"""What the site says about an event, as plain values: its date in words, its structured
data (schema.org `Event`, as Google's event guidelines ask) and its calendar entry."""

from possibility.core.calendar import STATUSES, CalendarEvent

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
SCHEMA = "https://schema.org/"


def _day(when):
    return f"{DAYS[when.weekday()]}, {MONTHS[when.month - 1]} {when.day}, {when.year}"


def _time(when):
    hour = when.hour % 12 or 12
    return f"{hour}:{when:%M} {'am' if when.hour < 12 else 'pm'}"


def zone_label(zone):
    """'America/New_York' -> 'New York time'; 'UTC' -> 'UTC'."""
    city = zone.rsplit("/", 1)[-1].replace("_", " ")
    return city if city.upper() in ("UTC", "GMT") else f"{city} time"


def when_text(start, end):
    """The event's date and time in words, in its own zone, with the zone's abbreviation:
    'Saturday, April 20, 2019, 6:00 pm – 8:00 pm EDT'."""
    start_zone, end_zone = start.tzname(), end.tzname()
    if start.date() == end.date():
        if start_zone == end_zone:
            return f"{_day(start)}, {_time(start)} – {_time(end)} {end_zone}"
        return f"{_day(start)}, {_time(start)} {start_zone} – {_time(end)} {end_zone}"
    return f"{_day(start)}, {_time(start)} {start_zone} – {_day(end)}, {_time(end)} {end_zone}"


def absolute(url, siteurl):
    """A link of the site (relative to SITEURL) made absolute, when the build knows how."""
    return f"{siteurl}/{url}" if siteurl else url


def event_json_ld(event, *, siteurl, sitename, performer, description, image):
    """The schema.org `Event` of `event` (an Event content object) as a dict: the properties
    Google requires (name, startDate, location) and those it recommends (description,
    endDate, eventStatus, eventAttendanceMode, image, offers, organizer, performer)."""
    page = absolute(event.url, siteurl)
    if event.online:
        location = {"@type": "VirtualLocation", "url": event.online_url or page}
        mode = "OnlineEventAttendanceMode"
    else:
        location = {"@type": "Place", "name": event.venue or event.place,
                    "address": event.place}
        mode = "OfflineEventAttendanceMode"
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "url": page,
        "startDate": event.start.isoformat(),
        "endDate": event.end.isoformat(),
        "eventStatus": SCHEMA + ("EventCancelled" if event.event_status == "cancelled"
                                 else "EventScheduled"),
        "eventAttendanceMode": SCHEMA + mode,
        "location": location,
    }
    if description:
        data["description"] = description
    if image:
        data["image"] = [image]
    registration = event.registration
    if registration and not registration.is_signup and event.event_status != "cancelled":
        data["offers"] = {
            "@type": "Offer",
            "url": absolute(registration.url, siteurl) if registration.on_site
            else registration.url,
            "availability": SCHEMA + ("SoldOut" if event.event_status == "full" else "InStock"),
        }
    organizer = {"@type": "Organization", "name": sitename}
    if siteurl:
        organizer["url"] = siteurl + "/"
    data["organizer"] = organizer
    if performer:
        data["performer"] = {"@type": "Person", "name": performer}
    return data


def calendar_event(event, *, siteurl, description):
    """The CalendarEvent (possibility.core.calendar) of an Event content object."""
    page = absolute(event.url, siteurl) if siteurl else ""
    if event.online:
        location = "Online" + (f": {event.online_url}" if event.online_url else "")
    else:
        location = ", ".join(part for part in (event.venue, event.place) if part)
    details = description
    if page:
        details = f"{description}\n\n{page}" if description else page
    return CalendarEvent(
        uid=event.uid, summary=event.title, start=event.start, end=event.end, zone=event.zone,
        stamp=event.stamp, description=details, location=location, url=page,
        status=STATUSES[event.event_status], modified=getattr(event, "modified", None),
    )
