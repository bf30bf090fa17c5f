"""Events as content: pages with schema.org Event data, valid .ics files and feed, upcoming
and past by the build's clock, the group page, and announcements that come too late."""

import json
import re
import shutil
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from bs4 import BeautifulSoup
from conftest import PRODUCTION_URL, ROOT
from test_html_valid import nu_errors

from possibility.commands.publish.build import BuildError
from possibility.core.calendar import CalendarEvent, calendar_ics, escape_text, fold, vtimezone

BEFORE_ALL = "2026-01-10T09:00"  # the build's clock in most tests: before the new events

SPRING = """Title: Leading Through Change, a workshop; in person
Slug: leading-through-change
Event-Id: 6a4d2b1e-1111-4c3d-9e8f-0a1b2c3d4e5f
Start: 2026-03-12 18:30
End: 2026-03-12 20:30
Place: The Studio, 250 Park Avenue South, New York, NY 10003
Venue: The Possibility Practice studio
Registration: https://tickets.example.com/leading-through-change
Status: full
Date: 2026-01-02 09:00
Summary: An evening on leading a team through change, with Karen Steinberg.

How to lead when the ground moves. A long line to be folded: {}
""".format("Curiosity, courage and care; " * 6)

COHORT = """Title: Executive Coaching Group: spring 2026
Slug: executive-coaching-group-2026-04
Start: 2026-04-14 12:00
End: 2026-04-14 13:30
Timezone: Europe/Paris
Place: online
Online-URL: https://meet.example.com/ecg
Registration: signup:Executive Coaching Group
Group: Executive Coaching Group
Summary: A new group begins, online.

Six sessions over twelve weeks.
"""

CANCELLED = """Title: A Cancelled Talk
Slug: a-cancelled-talk
Start: 2026-05-01 09:00
End: 2026-05-01 10:00
Place: online
Status: cancelled
Registration: https://tickets.example.com/talk

Sorry.
"""


def write_event(site, name, text):
    folder = site.content / "events"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def events_site(site):
    write_event(site, "leading-through-change.md", SPRING)
    write_event(site, "executive-coaching-group-2026-04.md", COHORT)
    write_event(site, "a-cancelled-talk.md", CANCELLED)
    return site


def json_ld(html):
    soup = BeautifulSoup(html, "html.parser")
    return [json.loads(s.string) for s in soup.find_all("script", type="application/ld+json")]


def parse_ics(data):
    calendar = icalendar.Calendar.from_ical(data)
    return calendar, [c for c in calendar.walk("VEVENT")]


def assert_rfc5545_lines(data):
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF, never a bare LF or CR
    assert b"\r" not in data.replace(b"\r\n", b"")
    lines = data.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    return lines


def test_each_event_has_a_page_with_the_structured_data_google_asks_for(events_site):
    events_site.build(EVENTS_NOW=BEFORE_ALL)
    html = events_site.html("events/leading-through-change/index.html")
    [data] = json_ld(html)
    url = f"{PRODUCTION_URL}/events/leading-through-change/"
    assert data["@type"] == "Event"
    assert data["name"] == "Leading Through Change, a workshop; in person"
    assert data["startDate"] == "2026-03-12T18:30:00-04:00"  # the offset of that day (EDT)
    assert data["endDate"] == "2026-03-12T20:30:00-04:00"
    assert data["location"] == {"@type": "Place", "name": "The Possibility Practice studio",
                                "address": "The Studio, 250 Park Avenue South, New York, NY 10003"}
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["description"].startswith("An evening on leading")
    assert data["image"] == [f"{url}card.png"]
    assert (events_site.output / "events/leading-through-change/card.png").is_file()
    assert data["offers"] == {"@type": "Offer",
                              "url": "https://tickets.example.com/leading-through-change",
                              "availability": "https://schema.org/SoldOut"}
    assert data["organizer"] == {"@type": "Organization", "name": "The Possibility Practice",
                                 "url": f"{PRODUCTION_URL}/"}
    assert data["performer"] == {"@type": "Person", "name": "Karen Steinberg"}
    assert data["url"] == url
    soup = BeautifulSoup(html, "html.parser")
    facts = soup.select_one(".event-facts").get_text(" ", strip=True)
    assert "Thursday, March 12, 2026, 6:30 pm – 8:30 pm EDT (New York time)" in facts
    assert "250 Park Avenue South" in facts and "Full" in facts
    calendar = soup.find("a", string="Add to calendar")
    assert calendar["href"] == f"{PRODUCTION_URL}/events/leading-through-change/event.ics"
    assert soup.find("a", string="Register") is None  # full: no registration link

    online = json_ld(events_site.html("events/executive-coaching-group-2026-04/index.html"))[0]
    assert online["location"] == {"@type": "VirtualLocation",
                                  "url": "https://meet.example.com/ecg"}
    assert online["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert online["startDate"] == "2026-04-14T12:00:00+02:00"  # in the event's own zone
    assert "offers" not in online  # registration through the signup form
    page = BeautifulSoup(events_site.html("events/executive-coaching-group-2026-04/index.html"),
                         "html.parser")
    signup = page.select_one("a.event-register")
    assert signup["href"] == f"{PRODUCTION_URL}/subscribe/?group=Executive%20Coaching%20Group"
    assert "(Paris time)" in page.select_one(".event-facts").get_text()

    cancelled = json_ld(events_site.html("events/a-cancelled-talk/index.html"))[0]
    assert cancelled["eventStatus"] == "https://schema.org/EventCancelled"
    assert "offers" not in cancelled
    assert "This event is cancelled." in events_site.html("events/a-cancelled-talk/index.html")
    assert nu_errors(events_site.output / "events") == []


def test_every_ics_file_is_valid_icalendar_and_rebuilds_byte_for_byte(events_site):
    events_site.build(EVENTS_NOW=BEFORE_ALL)
    path = events_site.output / "events/leading-through-change/event.ics"
    data = path.read_bytes()
    lines = assert_rfc5545_lines(data)
    assert any(line.startswith(b" ") for line in lines)  # the long description is folded
    calendar, [event] = parse_ics(data)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(event["UID"]) == "6a4d2b1e-1111-4c3d-9e8f-0a1b2c3d4e5f"
    assert str(event["SUMMARY"]) == "Leading Through Change, a workshop; in person"
    assert b"SUMMARY:Leading Through Change\\, a workshop\\; in person" in data
    start = event.decoded("DTSTART")
    assert start == datetime(2026, 3, 12, 18, 30, tzinfo=ZoneInfo("America/New_York"))
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event.decoded("DTEND") == datetime(2026, 3, 12, 20, 30,
                                              tzinfo=ZoneInfo("America/New_York"))
    assert event.decoded("DTSTAMP") == datetime(2026, 1, 2, 14, 0, tzinfo=UTC)  # its Date:
    assert str(event["LOCATION"]) == ("The Possibility Practice studio, The Studio, 250 Park "
                                      "Avenue South, New York, NY 10003")
    assert str(event["URL"]) == f"{PRODUCTION_URL}/events/leading-through-change/"
    assert str(event["STATUS"]) == "CONFIRMED"
    description = str(event["DESCRIPTION"])
    assert description.startswith("An evening on leading a team through change")
    assert description.endswith(f"\n\n{PRODUCTION_URL}/events/leading-through-change/")
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "America/New_York"

    feed = (events_site.output / "events.ics").read_bytes()
    assert_rfc5545_lines(feed)
    calendar, events = parse_ics(feed)
    assert len(events) == 4  # the three above and the 2019 group, past ones included
    by_summary = {str(e["SUMMARY"]): e for e in events}
    assert str(by_summary["A Cancelled Talk"]["STATUS"]) == "CANCELLED"
    cohort = by_summary["Executive Coaching Group: spring 2026"]
    assert cohort.decoded("DTSTART").utcoffset().total_seconds() == 7200
    assert str(cohort["LOCATION"]) == "Online: https://meet.example.com/ecg"
    assert {str(z["TZID"]) for z in calendar.walk("VTIMEZONE")} == {
        "America/New_York", "Europe/Paris"}
    for other in (events_site.output / "events").glob("*/event.ics"):
        assert_rfc5545_lines(other.read_bytes())
        parse_ics(other.read_bytes())

    # Nothing comes from the clock: a later build writes the same bytes.
    events_site.build(EVENTS_NOW="2026-12-01T09:00")
    assert path.read_bytes() == data
    assert (events_site.output / "events.ics").read_bytes() == feed


def test_a_uid_without_event_id_is_derived_from_the_file_and_stays(events_site):
    events_site.build(EVENTS_NOW=BEFORE_ALL)
    first = parse_ics((events_site.output / "events/a-cancelled-talk/event.ics").read_bytes())
    events_site.build(EVENTS_NOW=BEFORE_ALL)
    again = parse_ics((events_site.output / "events/a-cancelled-talk/event.ics").read_bytes())
    assert str(first[1][0]["UID"]) == str(again[1][0]["UID"])
    assert re.fullmatch(r"[0-9a-f-]{36}", str(first[1][0]["UID"]))


def group_page(site):
    return BeautifulSoup(site.html("executive-coaching-group/index.html"), "html.parser")


def test_upcoming_and_past_follow_the_build_clock(events_site):
    events_site.build(EVENTS_NOW=BEFORE_ALL)
    page = group_page(events_site)
    upcoming = page.find(id="upcoming-heading").find_parent("section")
    assert [a.get_text() for a in upcoming.find_all("a")] == [
        "Executive Coaching Group: spring 2026"]
    past = page.find(id="past-heading").find_parent("section")
    assert [a.get_text() for a in past.find_all("a")] == ["Executive Coaching Group: April 2019"]

    events_site.build(EVENTS_NOW="2026-04-14T20:00")  # the cohort has ended (in Paris)
    page = group_page(events_site)
    upcoming = page.find(id="upcoming-heading").find_parent("section")
    assert "No group is scheduled at the moment." in upcoming.get_text()
    join = upcoming.find("a")
    assert join["href"] == f"{PRODUCTION_URL}/subscribe/?group=Executive%20Coaching%20Group"
    past = page.find(id="past-heading").find_parent("section")
    assert [a.get_text() for a in past.find_all("a")] == [
        "Executive Coaching Group: spring 2026", "Executive Coaching Group: April 2019"]
    assert "This event has ended." in events_site.html(
        "events/executive-coaching-group-2026-04/index.html")
    assert nu_errors(events_site.output / "executive-coaching-group") == []


def test_the_2019_announcement_is_a_past_event_with_its_year(site):
    site.build()  # the real content, the real clock
    page = group_page(site)
    text = page.select_one("article").get_text(" ", strip=True)
    assert "April 20th" not in text
    assert "No group is scheduled at the moment." in text
    past = page.find(id="past-heading").find_parent("section")
    assert "Saturday, April 20, 2019, 6:00 pm – 8:00 pm EDT" in past.get_text()
    event = site.html("events/executive-coaching-group-2019-04/index.html")
    assert "This event has ended." in event
    assert "Add to calendar" not in event
    [data] = json_ld(event)
    assert data["startDate"] == "2019-04-20T18:00:00-04:00"


def test_templates_get_upcoming_and_past_events(events_site, tmp_path):
    """Other templates (the home page) read `upcoming_events` and `past_events`."""
    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", theme)
    index = (theme / "templates" / "index.html").read_text()
    (theme / "templates" / "index.html").write_text(index.replace(
        "{% block content %}",
        "{% block content %}<p id=next>{% for e in upcoming_events %}{{ e.slug }} {% endfor %}"
        "| {% for e in past_events %}{{ e.slug }} {% endfor %}</p>", 1))
    events_site.build(EVENTS_NOW="2026-04-01T00:00", THEME=str(theme))
    line = BeautifulSoup(events_site.html("index.html"), "html.parser").find(id="next")
    assert line.get_text().split() == [
        "executive-coaching-group-2026-04", "a-cancelled-talk", "|",
        "leading-through-change", "executive-coaching-group-2019-04"]


BAD = """Title: Bad
Start: 12 March
End: 2026-03-12 20:00
Timezone: Mars/Olympus
Status: maybe
Registration: tickets please
Event-Id: not-a-uuid

Body.
"""


def test_bad_front_matter_stops_the_build_naming_file_field_and_fix(site):
    write_event(site, "bad.md", BAD)
    write_event(site, "worse.md", "Title: Worse\nStart: 2026-03-12 20:00\nEnd: 2026-03-12 "
                                  "19:00\n\nNo place.\n")
    with pytest.raises(BuildError) as failure:
        site.build()
    message = str(failure.value)
    assert "content/events/bad.md: field 'Timezone' is 'Mars/Olympus'" in message
    assert ("content/events/bad.md: field 'Start' is '12 March', which is not a local "
            "date") in message
    assert "'Start: 2026-05-12 18:00'" in message
    assert "content/events/bad.md: field 'Status' is 'maybe'. Write one of: open, full, " \
           "cancelled" in message
    assert "content/events/bad.md: field 'Registration' is 'tickets please'" in message
    assert "content/events/bad.md: field 'Event-Id' is 'not-a-uuid'" in message
    assert "content/events/bad.md: field 'Place' is missing" in message
    assert "content/events/worse.md: field 'End' (2026-03-12 19:00) is not after 'Start'" in message
    assert "content/events/worse.md: field 'Place' is missing" in message
    assert not (site.output / "index.html").exists()  # nothing written


def test_a_signup_registration_must_name_a_group_of_the_form(site):
    write_event(site, "x.md", COHORT.replace("signup:Executive Coaching Group",
                                             "signup:Book Club"))
    with pytest.raises(BuildError, match="names the group 'Book Club', which the signup form "
                                         "does not have. Write one of: Articles, Events"):
        site.build()


ANNOUNCEMENT = """Title: Join the Spring Group
Date: {date}
Slug: join-the-spring-group
Event: executive-coaching-group-2026-04
{extra}
Come along.
"""


def test_an_email_announcing_an_event_that_has_started_stops_the_build(events_site):
    events_site.write_post("join.md", ANNOUNCEMENT.format(date="2026-03-01 09:00", extra=""))
    events_site.build(EVENTS_NOW="2026-03-02T09:00")  # emailed before the event: fine
    events_site.build(EVENTS_NOW="2026-04-14T12:30+02:00")  # and still fine once it began
    events_site.write_post("join.md", ANNOUNCEMENT.format(date="2026-04-14 09:00", extra=""))
    with pytest.raises(BuildError) as failure:  # published after it began: too late
        events_site.build(EVENTS_NOW="2026-04-14T12:30+02:00")
    message = str(failure.value)
    assert ("content/posts/join.md: announces the event 'executive-coaching-group-2026-04' "
            "(content/events/executive-coaching-group-2026-04.md), which started at "
            "2026-04-14 12:00 CEST, but the post is dated 2026-04-14 15:00 CEST") in message
    assert "set 'Newsletter: no', or point 'Event:' at an upcoming event" in message

    events_site.write_post("join.md", ANNOUNCEMENT.format(date="2026-04-14 09:00",
                                                          extra="Newsletter: no\n"))
    events_site.build(EVENTS_NOW="2026-04-14T12:30+02:00")  # not emailed: fine


def test_a_post_held_back_until_after_the_event_stops_the_build(site):
    """A post dated in the future goes out at its date: after the event, too late."""
    write_event(site, "far.md", COHORT.replace("2026-04-14", "2999-04-14")
                .replace("executive-coaching-group-2026-04", "far-away"))
    site.write_post("join.md", ANNOUNCEMENT.format(date="2999-05-01 09:00", extra="")
                    .replace("executive-coaching-group-2026-04", "far-away"))
    with pytest.raises(BuildError, match="but the post is dated 2999-05-01 15:00 CEST, so its "
                                         "email would go out after the event started"):
        site.build()
    site.write_post("join.md", ANNOUNCEMENT.format(date="2999-04-01 09:00", extra="")
                    .replace("executive-coaching-group-2026-04", "far-away"))
    site.build()  # dated before the event: its email is in time


def test_an_event_line_must_name_an_event(events_site):
    events_site.write_post("join.md", ANNOUNCEMENT.format(date="2026-03-01 09:00", extra="")
                           .replace("executive-coaching-group-2026-04", "no-such-event"))
    with pytest.raises(BuildError, match="field 'Event' is 'no-such-event', which is no event's "
                                         "slug"):
        events_site.build(EVENTS_NOW=BEFORE_ALL)


# possibility.core.calendar on its own


def test_text_is_escaped_and_lines_are_folded_at_75_octets_without_splitting_characters():
    assert escape_text('a,b;c\\d\ne\r\nf') == "a\\,b\\;c\\\\d\\ne\\nf"
    line = "DESCRIPTION:" + "é" * 100
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def test_the_vtimezone_lists_each_change_of_offset():
    lines = vtimezone("America/New_York", 2025, 2026)
    assert lines[:2] == ["BEGIN:VTIMEZONE", "TZID:America/New_York"]
    text = "\n".join(lines)
    assert "DTSTART:20260308T020000\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0400\nTZNAME:EDT" in text
    assert "DTSTART:20261101T020000\nTZOFFSETFROM:-0400\nTZOFFSETTO:-0500\nTZNAME:EST" in text
    assert vtimezone("UTC", 2025, 2026) == [
        "BEGIN:VTIMEZONE", "TZID:UTC", "BEGIN:STANDARD", "DTSTART:20250101T000000",
        "TZOFFSETFROM:+0000", "TZOFFSETTO:+0000", "TZNAME:UTC", "END:STANDARD",
        "END:VTIMEZONE"]


def test_a_calendar_round_trips_through_the_icalendar_library():
    zone = ZoneInfo("Asia/Kolkata")
    event = CalendarEvent(
        uid="6a4d2b1e-2222-4c3d-9e8f-0a1b2c3d4e5f", summary="Tea, talk; and \\ more",
        start=datetime(2026, 7, 1, 10, 0, tzinfo=zone), end=datetime(2026, 7, 1, 11, 0,
                                                                      tzinfo=zone),
        zone="Asia/Kolkata", stamp=datetime(2026, 6, 1, tzinfo=UTC),
        description="Line one\nLine two, with a comma", location="Mumbai; India")
    data = calendar_ics([event], prodid="-//Test//EN")
    assert_rfc5545_lines(data)
    _, [parsed] = parse_ics(data)
    assert str(parsed["SUMMARY"]) == "Tea, talk; and \\ more"
    assert str(parsed["DESCRIPTION"]) == "Line one\nLine two, with a comma"
    assert str(parsed["LOCATION"]) == "Mumbai; India"
    assert parsed.decoded("DTSTART") == datetime(2026, 7, 1, 10, 0, tzinfo=zone)
    assert "URL" not in parsed


def test_the_sitemap_lists_every_event_page(site):
    site.build()
    sitemap = site.html("sitemap.xml")
    events = sorted((site.output / "events").glob("*/index.html"))
    assert events
    for page in events:
        assert f"<loc>{PRODUCTION_URL}/events/{page.parent.name}/</loc>" in sitemap
