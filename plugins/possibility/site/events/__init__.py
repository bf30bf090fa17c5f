"""Events as content: each Markdown file in `content/events/` is an event with its own page,
its `.ics` file, a place in the `events.ics` feed and schema.org `Event` structured data.

Front matter (Pelican lowercases the names):

    Title: Executive Coaching Group: spring cohort
    Slug: executive-coaching-group-2026-05       default: made from the title
    Event-Id: 0b6f2f0e-...                       the calendar UID; default: from the file's path
    Start: 2026-05-12 18:00                      local date and time, where the event happens
    End: 2026-05-12 20:00                        the same; after Start
    Timezone: America/New_York                   IANA name; default: the site's TIMEZONE
    Place: 250 Park Avenue South, New York, NY   the address, or "online"
    Venue: The Possibility Practice studio       optional: the place's name
    Online-URL: https://zoom.us/j/123            optional, for "Place: online"
    Registration: https://example.com/register   a web address, a page of the site (/contact/),
                                                 or "signup:GROUP": the site's signup form
                                                 with that interest group chosen
    Status: open                                 open (default), full or cancelled
    Group: Executive Coaching Group              optional (or Category:): the group's page
                                                 lists this event
    Summary: One or two sentences.               the page's description, the calendar entry's
    Date: 2026-03-01 09:00                       optional: when it was announced, and
    Modified: 2026-03-02 10:00                   last changed (DTSTAMP, LAST-MODIFIED);
                                                 without them DTSTAMP is the Start

`Registration: signup:GROUP` links to the Subscribe page (EVENTS_SIGNUP_URL) as
`subscribe/?group=GROUP`; the signup form's script ticks that group (see README "Events").
Wrong front matter stops the build before anything is written, naming file, field and fix.

What a build writes (paths are settings, `possibility.site.events.settings`):
`events/<slug>/index.html` (template `event.html`), `events/<slug>/event.ics` and
`events.ics` (every event, upcoming and past), as `possibility.core.calendar` writes them.

For every template: `events` (all, by start), `upcoming_events` (not yet ended, soonest
first), `past_events` (ended, latest first), decided against the build's clock
(EVENTS_NOW), and `EVENTS` ({signup_url, feed_url, now}). Each event has, besides Pelican's
`title`, `slug`, `url`, `summary`, `content`: `start`, `end` (aware, in the event's zone),
`zone`, `zone_label`, `when_text`, `place`, `venue`, `online`, `online_url`,
`registration` (url, on_site, group), `registration_url`, `event_status`, `group`, `uid`,
`ics_url`, `is_past`, `in_progress`, `json_ld` (when written) and, from the share cards
plugin, `share_card`.

A post that announces an event (`Event: <slug>`, see `announcements`) and would be emailed
once the event has begun stops the build (`check_announcements`).
"""

from pelican import signals
from pelican.generators import ArticlesGenerator

from possibility.common import shown_path

from .announcements import announcement_problems
from .fields import EventErrors
from .generator import EventsGenerator


def get_generators(pelican):
    return EventsGenerator


def check_announcements(generators):
    """Signal handler (all_generators_finalized): every post is read, nothing written yet."""
    events = next((g for g in generators if isinstance(g, EventsGenerator)), None)
    articles = next((g for g in generators if isinstance(g, ArticlesGenerator)), None)
    if events is None or articles is None:
        return
    now, path = events.config.now, events.settings["PATH"]
    posts = [(a, "published") for a in articles.articles]
    posts += [(a, "not emailed") for a in articles.hidden_articles]
    for article in articles.drafts:
        authored = str(article.metadata.get("status") or "published").lower()
        date = getattr(article, "date", None)
        held_back = authored != "draft" and date is not None and date > now
        posts.append((article, "held back" if held_back else "not emailed"))
    problems = announcement_problems(
        [(shown_path(a.source_path, path), a.metadata, kind, getattr(a, "date", None))
         for a, kind in posts],
        {event.slug: event for event in events.events}, now)
    if problems:
        raise EventErrors(problems, "the site was not built: fix the posts that announce events")


def register():
    signals.get_generators.connect(get_generators)
    signals.all_generators_finalized.connect(check_announcements)
