"""Pelican glue: read the events, decide upcoming and past, write pages and calendars."""

import logging
import os

from pelican.contents import Content
from pelican.generators import Generator
from pelican.readers import MarkdownReader

from possibility.common import shown_path, write_if_changed
from possibility.core.calendar import calendar_ics, event_ics, event_uid
from possibility.core.text import html_to_text

from .describe import (
    calendar_event,
    event_json_ld,
    when_text,
    zone_label,
)
from .fields import EventErrors, read_fields
from .settings import read_settings

logger = logging.getLogger(__name__)

DESCRIPTION_LENGTH = 300
CONTEXT_KEYS = ("events", "upcoming_events", "past_events", "EVENTS")


class Event(Content):
    """An event: Pelican content (its Markdown body, links resolved like a page's) with
    the fields of its front matter (`possibility.site.events.fields`) as attributes."""

    mandatory_properties = ("title",)
    default_template = "event"


class EventReader(MarkdownReader):
    """Pelican's Markdown reader, as it is (not the site's checked reader, whose rules are
    for posts and pages: an event's `Status:` is open, full or cancelled). A date Pelican
    cannot read becomes a problem for the author instead of a crash."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.problems = []

    def process_metadata(self, name, value):
        try:
            return super().process_metadata(name, value)
        except (ValueError, OverflowError):
            label = name.capitalize()
            self.problems.append(
                f"field '{label}' is {value!r}, which is not a date. Write it as "
                f"'{label}: 2026-04-02 09:00' (YYYY-MM-DD HH:MM).")
            return None


class EventsGenerator(Generator):
    """Reads content/events/*.md in `generate_context` (so every template, the home page's
    included, has `upcoming_events` and `past_events`), writes in `generate_output`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.config = read_settings(self.settings)
        self.events = []

    def generate_context(self):
        config = self.config
        groups = _signup_groups(self.context)
        events, problems = [], []
        names = self.get_files(list(config.paths), extensions=MarkdownReader.file_extensions)
        for name in sorted(names):
            event, file_problems = self._read(name, groups)
            where = shown_path(os.path.join(self.path, name), self.settings["PATH"])
            problems += [f"{where}: {problem}" for problem in file_problems]
            if event is not None:
                events.append(event)
        by_slug = {}
        for event in events:
            if event.slug in by_slug:
                problems.append(
                    f"{event.source_shown}: has the slug {event.slug!r}, like "
                    f"{by_slug[event.slug].source_shown}: give one of them another 'Slug:'.")
            by_slug[event.slug] = event
        if problems:
            raise EventErrors(problems)
        now = config.now
        events.sort(key=lambda e: (e.start, e.slug))
        for event in events:
            event.is_past = event.end <= now
            event.in_progress = event.start <= now < event.end
            self.add_source_path(event)
        self.events = events
        self.context["events"] = events
        self.context["upcoming_events"] = [e for e in events if not e.is_past]
        self.context["past_events"] = sorted(
            (e for e in events if e.is_past), key=lambda e: (e.start, e.slug), reverse=True)
        self.context["EVENTS"] = {
            "signup_url": config.signup_url,
            "feed_url": config.feed_save_as,
            "now": now,
        }

    def _read(self, name, groups):
        """(Event or None, problems) for the file `name` (relative to the content folder)."""
        path = os.path.join(self.path, name)
        reader = EventReader(self.settings)
        content, metadata = reader.read(path)
        problems = list(reader.problems)
        metadata = {key: value for key, value in metadata.items() if value is not None}
        fields, field_problems = read_fields(
            metadata, site_timezone=self.config.timezone, signup_url=self.config.signup_url,
            groups=groups)
        problems += field_problems
        if problems:
            return None, problems
        kept = {key: value for key, value in metadata.items()
                if key not in ("status", "timezone", "start", "end", "registration")}
        kept["timezone"] = fields.zone  # Date and Modified are read in the event's zone
        kept["status"] = "published"
        event = Event(content, kept, settings=self.settings, source_path=path,
                      context=self.context)
        self._describe(event, fields)
        event.source_shown = shown_path(path, self.settings["PATH"])
        return event, []

    def _describe(self, event, fields):
        config = self.config
        event.start, event.end, event.zone = fields.start, fields.end, fields.zone
        event.place, event.online, event.online_url = fields.place, fields.online, fields.online_url
        event.venue, event.registration = fields.venue, fields.registration
        event.event_status, event.group = fields.status, fields.group
        event.uid = event_uid(fields.uid_source, event.relative_source_path)
        event.stamp = (getattr(event, "modified", None) or getattr(event, "date", None)
                       or fields.start)
        event.override_url = config.url.format(slug=event.slug)
        event.override_save_as = config.save_as.format(slug=event.slug)
        event.ics_url = config.ics_save_as.format(slug=event.slug)
        event.when_text = when_text(fields.start, fields.end)
        event.zone_label = zone_label(fields.zone)
        registration = fields.registration
        event.registration_url = None
        if registration is not None:
            event.registration_url = registration.url if not registration.on_site else None
        summary = event.metadata.get("summary")
        event.description = html_to_text(summary) if summary else ""

    def generate_output(self, writer):
        config = self.config
        relative = self.settings.get("RELATIVE_URLS", False)
        for event in self.events:
            description = self._description(event)
            event.json_ld = event_json_ld(
                event, siteurl=config.siteurl, sitename=config.sitename,
                performer=config.performer, description=description,
                image=getattr(event, "share_card", None))
            writer.write_file(
                event.save_as, self.get_template(event.template), self.context,
                relative_urls=relative, url=event.url, event=event)
            self._write(event.ics_url, event_ics(
                calendar_event(event, siteurl=config.siteurl, description=description),
                prodid=config.prodid))
        if config.feed_save_as:
            entries = [calendar_event(e, siteurl=config.siteurl,
                                      description=self._description(e)) for e in self.events]
            self._write(config.feed_save_as, calendar_ics(
                entries, prodid=config.prodid, name=f"{config.sitename}: events"))
        if self.events:
            logger.info("Events: %d pages and calendars (%d upcoming)", len(self.events),
                        len(self.context["upcoming_events"]))

    def _description(self, event):
        """The event in a few sentences: its Summary, else the start of its text."""
        text = event.description or html_to_text(event.content or "")
        if len(text) > DESCRIPTION_LENGTH:
            text = text[: DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"
        return text

    def _write(self, relative, data):
        # Touched when unchanged: the build owns the file (output_sync prunes by age).
        target = os.path.join(self.output_path, relative)
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        write_if_changed(target, data, touch=True)


def _signup_groups(context):
    """The interest groups of the site's signup form, or None when it has none."""
    form = (context.get("SIGNUP") or {}).get("form")
    if not form:
        return None
    return [group["name"] for category in form.get("categories", ())
            for group in category.get("groups", ())]
