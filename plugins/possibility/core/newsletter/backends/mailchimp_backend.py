"""Mailchimp as a newsletter backend: each email becomes one regular campaign, and each
post goes out once, even when two publishers (two checkouts, each with its own ledger
and its own lock) send at the same moment to one account.

Marking. Every campaign made here names the posts it carries in `settings.title`, which
GET /campaigns returns: "<name> [p <id>]" for one post, "<name> [d <id> <id> ...]" for
a digest, each <id> a post's Post-Id (a UUID: 16 bytes) in URL-safe base64, 22
characters. Mailchimp's OpenAPI document sets no limit on the title; titles here keep to
TITLE_MAX (100) characters: the tag takes 27 for one post and 3 + 23 per post for a
digest, so a digest names at most 4 posts (`due.DIGEST_MAX_POSTS` splits bigger ones
into even parts) and the readable name is cut to what is left. Titles of earlier
versions are still read: "<name> [urn:uuid:...]" names its post, "[digest:urn:uuid:...]"
only its email's key.

The rule (`base.holders`): campaigns sent or scheduled come first, then drafts by
create_time, then id; each holds its posts unless an earlier one holds any of them. A
campaign may be tested, sent or scheduled only when it holds all its posts at a look
*fenced* for it: a listing read at least `settle` seconds (SETTLE) after this run first
saw it, or any campaign at least as new (a create's answer, or a listing that showed it).
Mailchimp stamps create_time in whole seconds; once a second has passed since a campaign
was created, any campaign created later carries a later create_time, so it comes after
it in the order. The wait is seldom felt: the fence starts at the create's answer, and
content and checklist come in between.

The protocol, with no lock shared between machines:
1. Survey: read the list's campaigns, oldest first (1,000 a page, read again if the
   count changed meanwhile). The sender records in its ledger every post the survey
   shows sent or scheduled, leaves those posts out of every email (a digest too), and
   gives a post that another publisher's draft carries to that draft's email.
2. Find or create: the email's campaign found in the survey (same posts, same kind) is
   carried on with; else one is created. A create whose answer is lost is looked for,
   never repeated blindly.
3. Content (subject, groups, HTML, text) and Mailchimp's send checklist.
4. Immediately before the test email, and again before the send or schedule: wait for
   the fence, read what was created since the last look (one request), and judge
   (`base.standing_of`): "win": go on; "done": already sent (by another publisher that
   carried on with it): record; "gone": deleted in Mailchimp: make it again; "adopt": an
   earlier campaign of the same email holds the posts: delete ours, carry on with that
   one (from step 3; its test email is left to the publisher that made it); "lost":
   another email holds some of its posts: delete ours, take the email out of the ledger
   and plan again. Drafts of the email that lost for good (ours, a stray of a lost
   create, a rival's duplicate) are deleted on the way.

Why no post is sent twice. Three facts about a look fenced for a campaign X:
(V) it shows every campaign whose create_time is not later than X's (each was created at
    least `settle` - 1 s before it);
(F) a campaign created after it has a later create_time than X, so, while a draft, it
    comes after X and after everything before X in the order;
(H) so who holds what among X and the campaigns before it is final from then on: nothing
    new comes before them (F); deleting a draft that lost moves no post; a holder that
    goes out only moves to the front; and a campaign that shares a post with one of them
    but comes after it never goes out, because that takes a fenced look at which it holds
    the post, and there (by H, by induction over time) the earlier holder still holds it.
Now take two campaigns C and D that share a post p and both went out, each after a
fenced look at which it held p (L_C, L_D), and say D comes after C in the order of drafts
(create_time, then id). L_D shows C (V). If L_C came first, C held p at L_C, and by H
still held it at L_D: D cannot have held p there. If L_D came first, then at L_D, where C
is before D, D held p and C did not, and by H that is final: C cannot have held p at L_C.
Either way one of them did not go out. Two publishers sending the same campaign send it
once: Mailchimp refuses a second send ("already sent"), which is read back as done; that
refusal is the last line of defence, not the protocol.

Why no post is lost. Only drafts that lost for good are deleted (their loss is fenced,
or the campaign that beat them is fenced or sent), and nothing can make them win again;
a campaign that holds its posts is never deleted here. So a due post is always either in
a campaign that holds it, whose publisher drives it to sent (or whose email any later
run adopts: step 1), or in none, and then the next plan gives it one. A draft deleted by
hand is made again. What can wait: a post held by a draft made elsewhere for an email
this checkout cannot send (it also carries a post this build lacks) waits for that
publisher, and the status says so.

Interleavings of two publishers A and B with the same new post:
- A creates, looks, sends; B surveys after: B records the post as sent, creates nothing.
- Both create, in the same second or not: both look after the fence and see both; the
  earlier (create_time, id) holds the post; its publisher sends it; the other deletes its
  own draft and carries on with the winner, which it finds sent (its content refused, its
  look, or its send refused as already sent): both ledgers name the winner.
- A looks before B's create: A holds the post and sends; B's campaign is in a later
  second, so it loses at B's look whether A's send has landed yet or not.
- Different emails (A's stale ledger plans a digest of posts 1 to 3, B sends post 3
  alone): the same rule per post; the loser deletes its draft, records what went out and
  plans the rest: its digest leaves out post 3.
- A run killed anywhere: the next run (on either machine) surveys first: a draft of a
  lost create is carried on with or, when it lost, deleted; a test email whose answer was
  lost is not sent again (the ledger says `testing`).

Assumed of Mailchimp: create_time comes from a clock that does not go back, in whole
seconds; a campaign shows in reads, and its servers' clocks agree, to within `settle` -
1 s (SETTLE is 2 s: a second of slack). Assumed of everyone: every publisher follows this
protocol (a campaign sent by hand with a marked title is honoured: it holds its posts);
nobody deletes a draft that holds its posts by hand while a publisher is sending it.

What it costs, measured by tests/test_newsletter_exactly_once.py: a run with something
due reads the survey (one request per 1,000 campaigns in the account, at least one), the
list's campaign defaults (1) and the interest group ids (2; none when
content/audience.json, synced by `invoke audience-sync`, is for this list). Each email
then costs 5 requests: create, content, checklist, look, send (7 with a test email: look,
test, look, send). One new post, or a digest of three: 9 requests (7 with the audience
file) with 10 campaigns in the account, 10 (8) with 2,000; two new posts: 14 (12). The
look reads only what was created since the survey, so it does not grow with the account.
A publisher that loses a race pays a delete and another look; the winner nothing more.

Irreversible calls (create, test, send, schedule, unschedule) are never repeated blindly:
after a 5xx or a lost answer the campaign is read back, and the call is repeated only if
Mailchimp shows it did not happen; a test email cannot be read back, so its lost answer
is reported, not retried. All talk with Mailchimp goes through
`mailchimp_api.MailchimpApi`; the decisions (title, status, segment, tracking, schedule
time, checklist) are pure functions below.

Targeting: a campaign goes to the email's interest groups, and, when it is for a group of
NEWSLETTER_NO_CHOICE_GROUPS (Articles), also to everyone in none of the groups of that
group's category (`segment_opts`: "Articles, or none of the groups"). Tracking
(NEWSLETTER_TRACK_*) goes in the campaign's `tracking`; the UTM query (NEWSLETTER_UTM)
is added to the links to the site when the content is set, at send time: the build's
files, the preview and the outbox keep the links as the post has them.
"""

import base64
import binascii
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from possibility.core.newsletter.due import digest_key
from possibility.core.newsletter.html_transform import utm_query, with_utm

from .base import (
    Backend,
    BackendError,
    Campaign,
    CampaignGone,
    Delivery,
    NotDraft,
    Unconfirmed,
    standing_of,
)
from .mailchimp_api import MailchimpApi, NotFound, Refused, RetryPolicy, Unavailable, retry_delay

PAGE = 1000  # the most Mailchimp returns at once
GROUP_PAGE = 100
SURVEY_TRIES = 3  # reads of the whole list while campaigns come and go meanwhile
SETTLE = 2.0  # seconds: create_time has whole seconds, plus a margin for clocks
QUARTER = timedelta(minutes=15)
CAMPAIGN_FIELDS = ["id", "settings.title", "status", "create_time", "send_time", "archive_url"]
TITLE_MAX = 100
TITLE_NAME_LENGTH = 40
STATES = {"save": "draft", "paused": "draft", "schedule": "scheduled", "sending": "sent",
          "sent": "sent"}
SHORT_ID = r"[A-Za-z0-9_-]{22}"
TAG = re.compile(rf"\[(p|d) ({SHORT_ID}(?: {SHORT_ID})*)\]$")
OLD_TAG = re.compile(r"\[([^\[\]\s]+)\]$")

log = logging.getLogger(__name__)


# Decisions -------------------------------------------------------------------------------


def short_id(post_id):
    """A post identity (urn:uuid:...) in 22 characters of URL-safe base64."""
    raw = uuid.UUID(post_id.removeprefix("urn:uuid:")).bytes
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def long_id(text):
    return uuid.UUID(bytes=base64.urlsafe_b64decode(text + "==")).urn


def campaign_title(email):
    """The campaign's name in Mailchimp: readable first, then the posts it carries."""
    kind = "d" if email.kind == "digest" else "p"
    tag = f"[{kind} {' '.join(short_id(p.post_id) for p in email.posts)}]"
    if len(tag) > TITLE_MAX:
        raise BackendError(f"{email.name}: a campaign names at most 4 posts; this email "
                           f"carries {len(email.posts)}.")
    name = email.name[:min(TITLE_NAME_LENGTH, TITLE_MAX - len(tag) - 1)].strip()
    return f"{name} {tag}" if name else tag


def read_title(title):
    """(key, kind, post identities) of a title made by `campaign_title` (or by an
    earlier version), or None for anyone else's campaign."""
    title = title or ""
    found = TAG.search(title)
    if found:
        try:
            posts = tuple(long_id(text) for text in found.group(2).split())
        except (ValueError, binascii.Error):
            return None
        if found.group(1) == "p":
            return (posts[0], "post", posts) if len(posts) == 1 else None
        return digest_key(posts), "digest", posts
    found = OLD_TAG.search(title)
    if not found:
        return None
    key = found.group(1)
    if key.startswith("urn:uuid:"):
        return key, "post", (key,)
    return key, "digest", ()  # an old digest: only its email's key is known


def key_of(title):
    """The email key in a title, or None for anyone else's campaign."""
    read = read_title(title)
    return read[0] if read else None


def campaign_state(status, campaign_id):
    """Mailchimp's status as a backend state: draft, scheduled or sent.

    `sending` is as good as sent (it cannot be stopped from here). A campaign whose send
    was cancelled half-way is for a human to judge, so it stops the run.
    """
    if status in STATES:
        return STATES[status]
    raise BackendError(
        f"Mailchimp campaign {campaign_id} is '{status}', which this pipeline never makes: "
        "look at it in Mailchimp, then mark the post in the ledger by hand "
        "(or invoke newsletter-cancel SLUG).")


def mailchimp_time(text):
    """A time from Mailchimp as a datetime, or None (send_time is missing or "" until the
    campaign is scheduled or sent)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_campaign(data):
    """A Campaign from Mailchimp's campaign JSON (any subset with id and status). A
    status this pipeline never makes is kept as Mailchimp says it ("canceled")."""
    key, kind, posts = read_title((data.get("settings") or {}).get("title")) or ("", "", ())
    status = data.get("status")
    return Campaign(
        id=data["id"], key=key, status=STATES.get(status, status or "unknown"),
        sent_at=mailchimp_time(data.get("send_time")),
        location=data.get("archive_url") or None, posts=posts, kind=kind,
        created=mailchimp_time(data.get("create_time")),
    )


def interests_from_audience(audience, list_id):
    """{group name: (category id, interest id)} from the audience file (invoke
    audience-sync), or None when it is for another list or lacks some ids."""
    if not audience or audience.get("list_id") != list_id:
        return None
    found = {}
    for category in audience.get("interest_categories") or ():
        for group in category.get("groups") or ():
            if not category.get("category_id") or not group.get("interest_id"):
                return None
            found[group["name"]] = (category["category_id"], group["interest_id"])
    return found or None


def segment_opts(groups, interests, no_choice=()):
    """Mailchimp's segment_opts for subscribers in any of `groups` (names), or None for
    the whole list. `interests` maps names to (category id, interest id); an unknown
    name raises, before anything is created.

    `no_choice` (NEWSLETTER_NO_CHOICE_GROUPS): when the email is for one of these groups,
    it also goes to everyone in none of the groups of that group's category, so a reader
    who ticked nothing gets every article. Mailchimp's Interests conditions (its OpenAPI
    document: `op` is one of interestcontains, interestcontainsall, interestnotcontains;
    `value` a list of interest ids) say it with `match: "any"`: interestcontains [the
    email's groups], or interestnotcontains [every group of the category]; the API has
    no "interestnone", and interestnotcontains with all of a category's groups is "in
    none of them". The category's groups are all those `interests` holds for its id.
    """
    if not groups:
        return None
    by_name = {_name_key(name): ids for name, ids in interests.items()}
    unknown = [g for g in groups if _name_key(g) not in by_name]
    if unknown:
        raise BackendError(
            f"the list has no interest group {', '.join(map(repr, unknown))}; it has "
            f"{', '.join(map(repr, interests)) or 'none'}. Fix Newsletter-Groups (or "
            "NEWSLETTER_CATEGORY_GROUPS), or run invoke audience-sync. Nothing was created.")
    by_category = {}
    for group in groups:
        category_id, interest_id = by_name[_name_key(group)]
        by_category.setdefault(category_id, []).append(interest_id)
    conditions = [
        {"condition_type": "Interests", "field": f"interests-{category_id}",
         "op": "interestcontains", "value": ids}
        for category_id, ids in by_category.items()
    ]
    wanted = {_name_key(name) for name in no_choice}
    unchosen = dict.fromkeys(by_name[_name_key(g)][0] for g in groups
                             if _name_key(g) in wanted)
    for category_id in unchosen:
        every = list(dict.fromkeys(interest_id for cid, interest_id in interests.values()
                                   if cid == category_id))
        conditions.append({"condition_type": "Interests", "field": f"interests-{category_id}",
                           "op": "interestnotcontains", "value": every})
    return {"match": "any", "conditions": conditions}


def tracking_opts(opens=True, clicks=True):
    """The campaign's `tracking` (NEWSLETTER_TRACK_OPENS, NEWSLETTER_TRACK_CLICKS): clicks
    are tracked in both parts, HTML and plain text, or in neither."""
    return {"opens": bool(opens), "html_clicks": bool(clicks), "text_clicks": bool(clicks)}


def schedule_time(now, delay):
    """The first quarter-hour (:00, :15, :30, :45) at or after `now + delay`, and in the
    future: Mailchimp schedules on quarter-hours only."""
    moment = (now + delay).astimezone(UTC)
    base = moment.replace(minute=0, second=0, microsecond=0)
    quarters = -(-(moment - base) // QUARTER)
    when = base + quarters * QUARTER
    return when if when > now else when + QUARTER


def checklist_problems(checklist):
    """The send-checklist's errors in Mailchimp's words (warnings do not stop a send)."""
    problems = [f"{item.get('heading', '?')}: {item.get('details', '')}".strip()
                for item in checklist.get("items") or () if item.get("type") == "error"]
    if not checklist.get("is_ready", False) and not problems:
        problems.append("Mailchimp says the campaign is not ready, without a reason")
    return problems


def _name_key(name):
    return " ".join(str(name).split()).casefold()


def _since(moment):
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# The backend -----------------------------------------------------------------------------


class MailchimpBackend(Backend):
    name = "mailchimp"

    def __init__(self, api, *, list_id, from_name="", reply_to="", send_mode="send",
                 schedule_delay=timedelta(minutes=60), interests=None, clock=None,
                 sleep=time.sleep, settle=SETTLE, monotonic=time.monotonic, no_choice=(),
                 track_opens=True, track_clicks=True, utm="", siteurl=""):
        self.api = api
        self.list_id = list_id
        self.no_choice = tuple(no_choice)  # NEWSLETTER_NO_CHOICE_GROUPS
        self.tracking = tracking_opts(track_opens, track_clicks)
        self.utm = utm  # NEWSLETTER_UTM ({slug}), added to links to `siteurl` at set_content
        self.siteurl = siteurl
        self.from_name = from_name
        self.reply_to = reply_to
        self.send_mode = send_mode
        self.schedule_delay = schedule_delay
        self.settle = settle
        self.clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep
        self._monotonic = monotonic
        self._interests = interests  # from the audience file, else read once when needed
        self._list = None  # the list's name and campaign defaults, read once per run
        self._index = None  # id -> Campaign made by this pipeline, from the last reads
        self._stamps = {}  # id -> (create_time, when this run first saw it) of every
        #                   campaign of the list seen (time.monotonic)
        self._covered = None  # the newest create_time the last reads showed
        self._given = {}  # campaign id -> (settings, recipients, tracking) this run gave it

    def __repr__(self):
        return f"MailchimpBackend(list {self.list_id} via {self.api!r})"

    @property
    def destination(self):
        """The list, as the ledger records where an email went."""
        return f"mailchimp:{self.list_id}"

    @classmethod
    def from_settings(cls, settings, environ):
        """The backend for NEWSLETTER_MAILCHIMP_* settings and MAILCHIMP_* variables."""
        mc = settings.mailchimp
        audience = _read_audience(mc.audience_path)
        list_id = (environ.get("MAILCHIMP_LIST_ID") or mc.list_id
                   or (audience or {}).get("list_id"))
        if not list_id:
            raise BackendError(
                "no Mailchimp list to send to: set MAILCHIMP_LIST_ID (environment or .env) "
                "or NEWSLETTER_MAILCHIMP_LIST_ID, or import the audience (invoke "
                "audience-import).")
        api = MailchimpApi(
            environ.get("MAILCHIMP_API_KEY", ""), environ.get("MAILCHIMP_API_URL") or None,
            timeout=mc.timeout, retry=RetryPolicy(mc.attempts, mc.backoff, mc.backoff_cap),
        )
        return cls(api, list_id=list_id, from_name=mc.from_name, reply_to=mc.reply_to,
                   send_mode=mc.send_mode, schedule_delay=timedelta(minutes=mc.schedule_delay),
                   interests=interests_from_audience(audience, list_id),
                   no_choice=settings.no_choice_groups, track_opens=settings.track_opens,
                   track_clicks=settings.track_clicks, utm=settings.utm,
                   siteurl=settings.siteurl)

    # Backend ------------------------------------------------------------------------------

    def survey(self):
        """Every campaign of the list this pipeline made: the whole list, oldest first
        (new campaigns land on the last page, so paging does not skip any), read again
        when its count changed while paging."""
        seen = self._read_steadily(sort_dir="ASC")
        self._index, self._covered = {}, None
        self._remember(seen, read=True)
        return list(self._index.values())

    def known(self):
        if self._index is None:
            return self.survey()
        return list(self._index.values())

    def standing(self, campaign_id, key):
        """Wait for the campaign's fence, read what was created since the last look (and
        the campaign itself), and judge."""
        if self._index is None:
            self.survey()
        for _ in range(2):  # twice when the campaign was first seen by this look
            wait = self._fence(self._index.get(campaign_id)) - self._monotonic()
            if wait > 0:
                self._sleep(wait)
            started = self._monotonic()
            self._look(campaign_id)
            mine = self._index.get(campaign_id)
            if mine is None or self._fence(mine) <= started:
                break

        def fenced(campaign):
            return self._fence(campaign) <= started

        return standing_of(self._index.values(), campaign_id, key, fenced)

    def _fence(self, campaign):
        """When (monotonic) a look starts late enough that a campaign made after it has a
        later create_time than `campaign`: `settle` after this run first saw a campaign
        at least as new (its create had answered by then, so its second was over
        `settle` later); so a campaign seen long ago, or older than one that was, needs
        no wait. Unknown campaigns: `settle` from now."""
        now = self._monotonic()
        if campaign is None:
            return now + self.settle
        seen = [at for created, at in self._stamps.values()
                if campaign.created is not None and created is not None
                and created >= campaign.created]
        seen.append(self._stamps.get(campaign.id, (None, now))[1])
        return min(seen) + self.settle

    def create(self, email):
        settings = self._settings(email)
        recipients = self._recipients(email)
        body = {"type": "regular", "recipients": recipients, "settings": settings,
                "tracking": self.tracking}
        action = f"create the campaign for {email.name}"
        attempt = 0
        while True:
            attempt += 1
            try:
                created = self.api.call(action, lambda mc: mc.campaigns.create(body),
                                        unsafe=True)
                break
            except Unavailable as error:
                if not error.ambiguous:
                    raise
                self._look(None)
                found = self.find(email.key)
                if found is not None:
                    return found.id  # made by the lost request: set_content updates it
                # An error answer means the request is over, and it made nothing: try
                # again. A lost answer may still arrive: creating again could make two.
                lost = error.status is None
                delay = None if lost else retry_delay(self.api.retry, attempt)
                if delay is None:
                    raise BackendError(
                        f"{error} Mailchimp shows no campaign for {email.name} yet, and "
                        "creating another could make two: run again; the next run looks "
                        "for it first.") from None
                self._retrying(action, delay)
        if self._index is None:
            self.survey()
        self._remember([created])
        self._given[created["id"]] = (settings, recipients, self.tracking)
        return created["id"]

    def set_content(self, campaign_id, email):
        given = (self._settings(email), self._recipients(email), self.tracking)
        if self._given.get(campaign_id) != given:
            body = {"settings": given[0], "recipients": given[1], "tracking": given[2]}
            self._on_campaign(campaign_id, f"update the campaign of {email.name}",
                              lambda mc: mc.campaigns.update(campaign_id, body))
            self._given[campaign_id] = given
            self._retitle(campaign_id, email)
        html, text = with_utm(email.html, email.text, self.siteurl,
                              utm_query(self.utm, email.name))
        content = {"html": html, "plain_text": text}
        self._on_campaign(campaign_id, f"set the content of {email.name}",
                          lambda mc: mc.campaigns.set_content(campaign_id, content))

    def check(self, campaign_id):
        checklist = self._on_campaign(
            campaign_id, f"read the send checklist of campaign {campaign_id}",
            lambda mc: mc.campaigns.get_send_checklist(campaign_id))
        return checklist_problems(checklist or {})

    def send_test(self, campaign_id, email, addresses):
        """Mailchimp keeps no trace of a test email, so one whose answer was lost (no
        answer, a 500, 502 or 504) cannot be read back: Unconfirmed, never a second
        test. A 429 or a 503 says the request was not taken: tried again."""
        body = {"test_emails": list(addresses), "send_type": "html"}
        action = f"send a test of {email.name} to {', '.join(addresses)}"
        attempt = 0
        while True:
            attempt += 1
            try:
                self._on_campaign(campaign_id, action, lambda mc: mc.campaigns.send_test_email(
                    campaign_id, body), unsafe=True)
                return
            except Unavailable as error:
                if error.status != 503:
                    if error.ambiguous:
                        raise Unconfirmed(str(error)) from None
                    raise
                delay = retry_delay(self.api.retry, attempt)
                if delay is None:
                    raise
                log.warning("Mailchimp: '%s' answered 503 (not taken); trying again in "
                            "%.2f s", action, delay)
                self._sleep(delay)

    def send(self, campaign_id):
        if self.send_mode == "schedule":
            return self._schedule(campaign_id)
        campaign = self._irreversibly(f"send campaign {campaign_id}", campaign_id,
                                      lambda mc: mc.campaigns.send(campaign_id))
        if campaign is not None:
            return Delivery(campaign.status, campaign.sent_at, campaign.location)
        return Delivery("sent", self.clock(), self._location(campaign_id))

    def get(self, campaign_id):
        try:
            data = self.api.call(
                f"read campaign {campaign_id}",
                lambda mc: mc.campaigns.get(campaign_id, fields=CAMPAIGN_FIELDS))
        except NotFound:
            return None
        campaign = to_campaign(data)
        if campaign.status not in STATES.values():
            campaign_state(data.get("status"), campaign_id)  # raises, for a human
        return campaign

    def delete(self, campaign_id):
        try:
            self.api.call(f"delete the draft campaign {campaign_id}, which lost",
                          lambda mc: mc.campaigns.remove(campaign_id))
        except NotFound:
            pass  # deleted already (by the publisher that made it, say)
        if self._index is not None:
            self._index.pop(campaign_id, None)

    def unschedule(self, campaign_id):
        """Take a scheduled campaign back to a draft (invoke newsletter-cancel). When the
        answer is lost or refused, Mailchimp's state decides: a draft is what was wanted,
        a sent campaign cannot be cancelled."""
        try:
            self.api.call(f"unschedule campaign {campaign_id}",
                          lambda mc: mc.campaigns.unschedule(campaign_id), unsafe=True,
                          missing=f"campaign {campaign_id}")
        except (Unavailable, Refused) as error:
            if isinstance(error, Unavailable) and not error.ambiguous:
                raise
            campaign = self.get(campaign_id)
            if campaign is not None and campaign.status == "sent":
                raise BackendError(f"campaign {campaign_id} was already sent; it cannot be "
                                   "cancelled.") from None
            if campaign is None or campaign.status == "scheduled":
                raise

    # Steps --------------------------------------------------------------------------------

    def _schedule(self, campaign_id):
        now = self.clock()
        when = schedule_time(now, self.schedule_delay)
        asked = (now + self.schedule_delay).astimezone(UTC)
        if when != asked:
            log.warning("Mailchimp schedules on quarter-hours only: campaign %s goes out at "
                        "%s UTC (the next quarter-hour after %s UTC, %d min from now).",
                        campaign_id, f"{when:%Y-%m-%d %H:%M}", f"{asked:%H:%M:%S}",
                        self.schedule_delay.total_seconds() // 60)
        body = {"schedule_time": when.isoformat()}
        try:
            campaign = self._irreversibly(f"schedule campaign {campaign_id}", campaign_id,
                                          lambda mc: mc.campaigns.schedule(campaign_id, body))
        except Refused as error:
            if self._cannot_schedule():
                raise BackendError(
                    f"this Mailchimp account cannot schedule campaigns (Mailchimp schedules "
                    f"only on paid plans; it said: {error.detail or error}). Set "
                    "NEWSLETTER_MAILCHIMP_SEND = 'send' to send at once, or upgrade the "
                    "plan. Nothing was sent.") from None
            raise
        if campaign is not None:
            return Delivery(campaign.status, campaign.sent_at, campaign.location)
        return Delivery("scheduled", when, self._location(campaign_id))

    def _irreversibly(self, action, campaign_id, operation):
        """Run send or schedule so that it happens once: None when it was done now, or the
        Campaign when Mailchimp shows it was done already (its answer lost, or a second
        try). Trying again after even a lost answer is safe: Mailchimp refuses to send or
        schedule a campaign twice, and that refusal is read back as "done"."""
        attempt = 0
        while True:
            attempt += 1
            try:
                self.api.call(action, operation, unsafe=True, missing=f"campaign {campaign_id}")
                return None
            except (Unavailable, Refused) as error:
                if isinstance(error, Unavailable) and not error.ambiguous:
                    raise
                campaign = self.get(campaign_id)
                if campaign is None:
                    raise BackendError(f"Mailchimp has no campaign {campaign_id} any more.") \
                        from None
                if campaign.status != "draft":
                    return campaign
                if isinstance(error, Refused):
                    raise
                delay = retry_delay(self.api.retry, attempt)
                if delay is None:
                    raise BackendError(
                        f"{error} Mailchimp still shows campaign {campaign_id} as not sent: "
                        "run again; the next run checks it before sending.") from None
                self._retrying(action, delay)

    def _on_campaign(self, campaign_id, action, operation, unsafe=False):
        """A call about one draft campaign; CampaignGone when Mailchimp no longer has it,
        NotDraft when it refused because the campaign went out meanwhile (another
        publisher sent it)."""
        try:
            return self.api.call(action, operation, unsafe=unsafe,
                                 missing=f"campaign {campaign_id}")
        except NotFound as error:
            if self._index is not None:
                self._index.pop(campaign_id, None)
            raise CampaignGone(str(error)) from None
        except Refused as error:
            campaign = self.get(campaign_id)
            if campaign is not None and campaign.status != "draft":
                raise NotDraft(str(error), campaign) from None
            raise

    def _retrying(self, action, delay):
        log.warning("Mailchimp: '%s' failed and Mailchimp shows it was not done; trying "
                    "again in %.2f s", action, delay)
        self._sleep(delay)

    def _settings(self, email):
        defaults = self._list_info().get("campaign_defaults") or {}
        settings = {
            "title": campaign_title(email),
            "subject_line": email.subject,
            "preview_text": email.preview,
            "from_name": self.from_name or defaults.get("from_name", ""),
            "reply_to": self.reply_to or defaults.get("from_email", ""),
        }
        missing = [name for name in ("from_name", "reply_to") if not settings[name]]
        if missing:
            raise BackendError(
                f"no {' or '.join(missing)} for the campaign: the list has no default; set "
                "NEWSLETTER_MAILCHIMP_FROM_NAME and NEWSLETTER_MAILCHIMP_REPLY_TO.")
        return settings

    def _recipients(self, email):
        recipients = {"list_id": self.list_id}
        segment = segment_opts(email.groups, self._interest_ids(),
                               self.no_choice) if email.groups else None
        if segment:
            recipients["segment_opts"] = segment
        return recipients

    def _list_info(self):
        if self._list is None:
            self._list = self.api.call(
                f"read list {self.list_id}",
                lambda mc: mc.lists.get_list(self.list_id,
                                             fields=["id", "name", "campaign_defaults"]),
                missing=f"list {self.list_id} (check MAILCHIMP_LIST_ID or "
                        "NEWSLETTER_MAILCHIMP_LIST_ID)")
        return self._list

    def _interest_ids(self):
        if self._interests is None:
            found = {}
            categories = self._all(
                "categories", f"read the interest categories of list {self.list_id}",
                lambda mc, **page: mc.lists.get_list_interest_categories(
                    self.list_id, fields=["categories.id", "total_items"], **page))
            for category in categories:
                interests = self._all(
                    "interests", f"read the interest groups of list {self.list_id}",
                    lambda mc, cid=category["id"], **page: mc.lists
                    .list_interest_category_interests(
                        self.list_id, cid, fields=["interests.id", "interests.name",
                                                   "total_items"], **page))
                for interest in interests:
                    found[interest["name"]] = (category["id"], interest["id"])
            self._interests = found
        return self._interests

    def _all(self, key, action, operation):
        items = []
        while True:
            offset = len(items)
            page = self.api.call(action, lambda mc, offset=offset: operation(
                mc, count=GROUP_PAGE, offset=offset)) or {}
            batch = page.get(key) or []
            items += batch
            if not batch or len(items) >= page.get("total_items", 0):
                return items

    # The list's campaigns, as this run has read them -----------------------------------------

    def _look(self, campaign_id):
        """Read the campaigns created since the last read (and since `campaign_id` was,
        when it is older), newest first: usually one request whatever the account's size.
        What is no longer there within that span was deleted."""
        if self._index is None:
            self.survey()
            return
        since = self._covered  # None: the list was empty; read it all
        mine = self._index.get(campaign_id)
        if since is not None and mine is not None and mine.created and mine.created < since:
            since = mine.created
        seen = self._read_steadily(sort_dir="DESC", since=since)
        listed = {data["id"] for data in seen}
        for campaign in list(self._index.values()):
            if campaign.id not in listed and (since is None or (
                    campaign.created is not None and campaign.created >= since)):
                del self._index[campaign.id]
        self._remember(seen, read=True)

    def _read_steadily(self, sort_dir, since=None):
        """The campaigns (see `_read_pages`), read again while their count changes under
        the paging: a page read after a deletion could skip one."""
        for _ in range(SURVEY_TRIES):
            seen, steady = self._read_pages(sort_dir, since)
            if steady:
                return seen
        raise BackendError(
            f"the campaigns of list {self.list_id} kept changing while they were read "
            f"({SURVEY_TRIES} times): run again in a minute.")

    def _read_pages(self, sort_dir, since=None):
        """(campaigns, whether the list's count held still while paging). With `since`,
        newest first, only down to the first campaign older than it."""
        seen, total = [], None
        while True:
            page = self._campaign_page(len(seen), sort_dir, since)
            batch = page.get("campaigns") or []
            seen += batch
            if total is not None and page.get("total_items") != total:
                return seen, False
            total = page.get("total_items", 0)
            older = since is not None and any(
                (mailchimp_time(data.get("create_time")) or since) < since for data in batch)
            if older or not batch or len(seen) >= total:
                return seen, True

    def _campaign_page(self, offset, sort_dir, since):
        fields = [f"campaigns.{name}" for name in CAMPAIGN_FIELDS] + ["total_items"]
        options = {"since_create_time": _since(since - timedelta(seconds=1))} if since else {}
        return self.api.call(
            f"list the campaigns of list {self.list_id}",
            lambda mc: mc.campaigns.list(fields=fields, count=PAGE, offset=offset,
                                         list_id=self.list_id, sort_field="create_time",
                                         sort_dir=sort_dir, **options)) or {}

    def _remember(self, found, read=False):
        """Index the campaigns this pipeline made among `found` (Mailchimp's JSON). After
        a read of the list, every campaign created later is at least as new as the
        newest one it showed (`_covered`): the next look starts there."""
        now = self._monotonic()
        for data in found:
            campaign = to_campaign(data)
            self._stamps.setdefault(campaign.id, (campaign.created, now))
            if read and campaign.created and (
                    self._covered is None or campaign.created > self._covered):
                self._covered = campaign.created
            if campaign.key:
                self._index[campaign.id] = campaign
            else:
                self._index.pop(campaign.id, None)

    def _retitle(self, campaign_id, email):
        """After an update, the index shows the campaign with the posts it now names."""
        known = (self._index or {}).get(campaign_id)
        if known is not None:
            key, kind, posts = read_title(campaign_title(email))
            self._index[campaign_id] = Campaign(
                known.id, key, known.status, known.sent_at, known.location, posts, kind,
                known.created)

    def _location(self, campaign_id):
        known = (self._index or {}).get(campaign_id)
        return known.location if known else None

    def _cannot_schedule(self):
        root = self.api.call("read the account's plan",
                             lambda mc: mc.root.get_root(fields=["pricing_plan_type"])) or {}
        return root.get("pricing_plan_type") == "forever_free"


def _read_audience(path):
    """The audience file's data, or None when there is none (its ids are then read from
    Mailchimp). A broken file is the settings' business: they fail first."""
    if not path or not Path(path).is_file():
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
