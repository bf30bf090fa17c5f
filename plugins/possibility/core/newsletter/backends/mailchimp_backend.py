"""Mailchimp as a newsletter backend: each email becomes one regular campaign, once.

Every campaign made here carries its email's key in `settings.title` ("<name> [<key>]"),
so a run that lost track of one (killed mid-step, or on a machine whose ledger lags)
finds it again instead of creating a second. Finding one means reading the list's
campaigns, newest first, once per run (`count=1000` a page: one request per thousand
campaigns); each later lookup in the run reads only what is newer than what it has seen
(one request). A new post then costs five requests: that lookup, create, content,
send-checklist and send (six with a test email).

Irreversible calls (create, send, schedule, unschedule) are never repeated blindly: after
a 5xx or a lost answer (timeout, reset) the campaign is read back, and the call is
repeated only if Mailchimp shows it did not happen; a create whose answer was lost
altogether may still arrive, so the run stops there and the next one looks first.
Mailchimp never sends one campaign twice, so "one campaign per email" is "one send per
email".

All talk with Mailchimp goes through `mailchimp_api.MailchimpApi`; the decisions
(title, status, segment, schedule time, checklist) are pure functions below.
"""

import json
import logging
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .base import Backend, BackendError, Campaign, Delivery
from .mailchimp_api import MailchimpApi, NotFound, Refused, RetryPolicy, Unavailable, retry_delay

INDEX_PAGE = 1000  # the most Mailchimp returns at once
DELTA_PAGE = 10  # campaigns made since the last look: usually just ours
GROUP_PAGE = 100
QUARTER = timedelta(minutes=15)
CAMPAIGN_FIELDS = ["id", "settings.title", "status", "create_time", "send_time", "archive_url"]
TITLE_NAME_LENGTH = 40
STATES = {"save": "draft", "paused": "draft", "schedule": "scheduled", "sending": "sent",
          "sent": "sent"}

log = logging.getLogger(__name__)


# Decisions -------------------------------------------------------------------------------


def campaign_title(email):
    """The campaign's name in Mailchimp: readable first, the key last and whole."""
    return f"{email.name[:TITLE_NAME_LENGTH]} [{email.key}]"


def key_of(title):
    """The key in a title made by `campaign_title`, or None for anyone else's campaign."""
    found = re.search(r"\[([^\[\]\s]+)\]$", title or "")
    return found.group(1) if found else None


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
    """A Campaign from Mailchimp's campaign JSON (any subset with id and status)."""
    return Campaign(
        id=data["id"],
        key=key_of((data.get("settings") or {}).get("title")) or "",
        status=campaign_state(data.get("status"), data["id"]),
        sent_at=mailchimp_time(data.get("send_time")),
        location=data.get("archive_url") or None,
    )


def best_campaign(candidates):
    """Of several campaigns with one key, the one furthest along (sent over a draft)."""
    rank = {"sent": 2, "scheduled": 1, "draft": 0}
    return max(candidates, key=lambda c: rank[c.status], default=None)


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


def segment_opts(groups, interests):
    """Mailchimp's segment_opts for subscribers in any of `groups` (names), or None for
    the whole list. `interests` maps names to (category id, interest id); an unknown
    name raises, before anything is created."""
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
    return {"match": "any", "conditions": [
        {"condition_type": "Interests", "field": f"interests-{category_id}",
         "op": "interestcontains", "value": ids}
        for category_id, ids in by_category.items()
    ]}


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


# The backend -----------------------------------------------------------------------------


class MailchimpBackend(Backend):
    name = "mailchimp"

    def __init__(self, api, *, list_id, from_name="", reply_to="", send_mode="send",
                 schedule_delay=timedelta(minutes=60), interests=None, clock=None,
                 sleep=time.sleep):
        self.api = api
        self.list_id = list_id
        self.from_name = from_name
        self.reply_to = reply_to
        self.send_mode = send_mode
        self.schedule_delay = schedule_delay
        self.clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep
        self._interests = interests  # from the audience file, else read once when needed
        self._list = None  # the list's name and campaign defaults, read once per run
        self._index = None  # key -> [campaign JSON], read once per run, then topped up
        self._seen = set()  # ids of every campaign of the list read so far
        self._newest = None  # the latest create_time among them
        self._given = {}  # campaign id -> settings this run gave it (saves a PATCH)

    def __repr__(self):
        return f"MailchimpBackend(list {self.list_id} via {self.api!r})"

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
                   interests=interests_from_audience(audience, list_id))

    # Backend ------------------------------------------------------------------------------

    def find(self, key):
        if self._index is None:
            self._read_index()
        else:
            self._top_up_index()
        return best_campaign([to_campaign(data) for data in self._index.get(key, ())])

    def create(self, email):
        settings = self._settings(email)
        recipients = {"list_id": self.list_id}
        segment = segment_opts(email.groups, self._interest_ids()) if email.groups else None
        if segment:
            recipients["segment_opts"] = segment
        body = {"type": "regular", "recipients": recipients, "settings": settings}
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
        self._note(created, email.key)
        self._given[created["id"]] = settings
        return created["id"]

    def set_content(self, campaign_id, email):
        settings = self._settings(email)
        if self._given.get(campaign_id) != settings:
            self.api.call(f"update the campaign of {email.name}",
                          lambda mc: mc.campaigns.update(campaign_id, {"settings": settings}),
                          missing=f"campaign {campaign_id}")
            self._given[campaign_id] = settings
        content = {"html": email.html, "plain_text": email.text}
        self.api.call(f"set the content of {email.name}",
                      lambda mc: mc.campaigns.set_content(campaign_id, content),
                      missing=f"campaign {campaign_id}")

    def check(self, campaign_id):
        checklist = self.api.call(
            f"read the send checklist of campaign {campaign_id}",
            lambda mc: mc.campaigns.get_send_checklist(campaign_id),
            missing=f"campaign {campaign_id}")
        return checklist_problems(checklist or {})

    def send_test(self, campaign_id, email, addresses):
        body = {"test_emails": list(addresses), "send_type": "html"}
        self.api.call(f"send a test of {email.name} to {', '.join(addresses)}",
                      lambda mc: mc.campaigns.send_test_email(campaign_id, body),
                      missing=f"campaign {campaign_id}")

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
        return to_campaign(data)

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

    def _read_index(self):
        """Every campaign of the list this pipeline made, by key: one full read a run."""
        self._index = {}
        offset = 0
        while True:
            page = self._campaign_page(INDEX_PAGE, offset)
            batch = page.get("campaigns") or []
            for data in batch:
                self._note(data)
            offset += len(batch)
            if not batch or offset >= page.get("total_items", 0):
                return

    def _top_up_index(self):
        """Campaigns made since the index was read: newest first, down to the first one
        older than the newest already seen. Not down to the first one seen: Mailchimp's
        create_time has whole seconds, and campaigns of one second come in any order."""
        newest = self._newest
        offset = 0
        while True:
            page = self._campaign_page(DELTA_PAGE, offset)
            batch = page.get("campaigns") or []
            for data in batch:
                if data["id"] not in self._seen:
                    self._note(data)
            offset += len(batch)
            older = newest is not None and any(
                (mailchimp_time(data.get("create_time")) or newest) < newest for data in batch)
            if older or not batch or offset >= page.get("total_items", 0):
                return

    def _campaign_page(self, count, offset):
        fields = [f"campaigns.{name}" for name in CAMPAIGN_FIELDS] + ["total_items"]
        return self.api.call(
            f"list the campaigns of list {self.list_id}",
            lambda mc: mc.campaigns.list(fields=fields, count=count, offset=offset,
                                         list_id=self.list_id, sort_field="create_time",
                                         sort_dir="DESC")) or {}

    def _note(self, data, key=None):
        """Remember a campaign of the list; index it (as Mailchimp gave it) by its key."""
        self._seen.add(data["id"])
        created = mailchimp_time(data.get("create_time"))
        if created and (self._newest is None or created > self._newest):
            self._newest = created
        key = key or key_of((data.get("settings") or {}).get("title"))
        if key is None or self._index is None:
            return
        entries = self._index.setdefault(key, [])
        if all(known["id"] != data["id"] for known in entries):
            entries.append(data)

    def _location(self, campaign_id):
        for entries in (self._index or {}).values():
            for data in entries:
                if data["id"] == campaign_id:
                    return data.get("archive_url") or None
        return None

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


# invoke newsletter-cancel ----------------------------------------------------------------
