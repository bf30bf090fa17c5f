"""A stateful stand-in for the Mailchimp Marketing API 3.0, on 127.0.0.1, for tests.

It keeps one audience (list) with one interest category and its members (each with the
interests they chose: GET/POST /lists/{list_id}/members), and campaigns that go through
Mailchimp's life cycle (save -> schedule -> sending -> sent) with Mailchimp's rules: the send
checklist, quarter-hour scheduling, "already sent" refusals, problem+json errors and HTTP Basic
auth. A campaign goes to the subscribed members its segment selects (Interests conditions:
interestcontains, interestcontainsall, interestnotcontains, matched "any" or "all"), and
`deliveries` records who received each send. Its report (/reports/{campaign_id} and
/click-details) is made from the opens, clicks, unsubscribes and bounces a test records
(`record_open`, `record_click`, ...). Responses follow the official OpenAPI document
(tests/mailchimp_spec/mailchimp.json), so Prism can sit in front of it (see tests/prism.py).
Faults (429, 500, 503, empty 500, connection reset, slow answers, "applied but the answer
was lost", and a request held until the test releases it) can be injected per request,
hooks run test code when a request arrives or has been applied (events, not sleeps, order
what happens), and every request is logged so tests can count API calls.

    with MailchimpServer() as server:
        client.api_client.host = server.url       # http://127.0.0.1:PORT/3.0
        server.faults.add(method="POST", path_regex=r"/actions/send$", kind="500")
        held = server.faults.add("hold", method="POST", path_regex=r"^/campaigns$")
        server.hooks.add(lambda record: held.release.set(), method="GET",
                         path_regex=r"^/campaigns$")

Campaign titles longer than TITLE_MAX are refused: Mailchimp's document sets no limit on
`settings.title`, and the pipeline keeps its titles to 100 characters; the server holds it
to that.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import json
import random
import re
import socket
import struct
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

PREFIX = "/3.0"
ERROR_TYPE = "https://mailchimp.com/developer/marketing/docs/errors/"
JSON_TYPE = "application/json; charset=utf-8"
PROBLEM_TYPE = "application/problem+json; charset=utf-8"
DEFAULT_API_KEY = "0123456789abcdef0123456789abcdef-us1"
DEFAULT_LIST_ID = "abc123def4"
DEFAULT_INTERESTS = ("Articles", "Events", "Executive Coaching Group")
DEFAULT_CATEGORY_TITLE = "I would like to receive:"
UNSUB_TAG = re.compile(r"\*\|UNSUB(:[^|]*)?\|\*")
ADDRESS_TAGS = ("*|LIST:ADDRESS|*", "*|LIST:ADDRESSLINE|*", "*|HTML:LIST_ADDRESS_HTML|*")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
INTEREST_OPS = ("interestcontains", "interestcontainsall", "interestnotcontains")
FAULT_KINDS = ("429", "500", "503", "500_empty", "reset", "slow", "hold")
MEMBER_STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")
TRACKING_FLAGS = ("opens", "html_clicks", "text_clicks")
MAX_SLOW_SECONDS = 30.0
MAX_HOLD_SECONDS = 60.0
TITLE_MAX = 100


class ApiError(Exception):
    """An error answered as Mailchimp does: application/problem+json."""

    def __init__(self, status, title, detail, errors=None, headers=None):
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    def body(self):
        problem = {
            "type": ERROR_TYPE,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": str(uuid.uuid4()),
        }
        if self.errors is not None:
            problem["errors"] = self.errors
        return problem


def invalid(errors):
    """Mailchimp's 400 for a body that does not validate, with per-field errors."""
    return ApiError(
        400,
        "Invalid Resource",
        "The resource submitted could not be validated. "
        "For field-specific details, see the 'errors' array.",
        errors=[{"field": f, "message": m} for f, m in errors],
    )


def bad_request(detail):
    return ApiError(400, "Bad Request", detail)


def not_found():
    return ApiError(404, "Resource Not Found", "The requested resource could not be found.")


@dataclass
class Fault:
    """One injected failure; `times=None` means every matching request.

    Events a test can wait on instead of sleeping: `arrived` (a matching request came in),
    `applied` (the server made its change; for after=True faults). A "hold" fault keeps the
    request (before or after applying it) until the test sets `release`; the connection is
    reset if the server is reset or stopped first, or after MAX_HOLD_SECONDS.
    """

    kind: str
    method: str | None = None
    path_regex: str = ""
    times: int | None = 1
    after: bool = False
    retry_after: int | None = None
    seconds: float = 2.0
    hits: int = 0
    arrived: threading.Event = field(default_factory=threading.Event, repr=False)
    applied: threading.Event = field(default_factory=threading.Event, repr=False)
    release: threading.Event = field(default_factory=threading.Event, repr=False)
    aborted: bool = False

    def matches(self, method, path):
        if self.method and self.method.upper() != method:
            return False
        return re.search(self.path_regex, path) is not None

    def abort(self):
        self.aborted = True
        self.release.set()


class Faults:
    """Thread-safe registry of faults; the first live match wins and is used up."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, kind, method=None, path_regex="", times=1, after=False, retry_after=None,
            seconds=2.0):
        """Fail matching requests (path relative to /3.0, e.g. "/campaigns/abc/actions/send").

        after=True applies the request first, then answers with the fault (the change is made
        but the client never learns it). kind="slow" sleeps `seconds` (at most 30) before
        answering normally; other requests are served meanwhile.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {FAULT_KINDS}")
        if kind == "slow" and not 0 < seconds <= MAX_SLOW_SECONDS:
            raise ValueError(f"slow faults sleep between 0 and {MAX_SLOW_SECONDS} s")
        fault = Fault(kind, method, path_regex, times, after, retry_after, seconds)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method, path):
        with self._lock:
            for fault in self._faults:
                if (fault.times is None or fault.hits < fault.times) and fault.matches(
                    method, path
                ):
                    fault.hits += 1
                    return fault
        return None

    def clear(self):
        with self._lock:
            for fault in self._faults:
                fault.abort()
            self._faults.clear()


@dataclass
class Hook:
    callback: Any
    method: str | None = None
    path_regex: str = ""
    when: str = "applied"
    times: int | None = 1
    hits: int = 0

    def matches(self, method, path):
        if self.method and self.method.upper() != method:
            return False
        return re.search(self.path_regex, path) is not None


class Hooks:
    """Test code run in the request's thread: when a matching request arrives (before it
    is applied), or once it has been applied (before its answer is sent). The first live
    match runs; `times=None` runs on every match."""

    WHEN = ("arrived", "applied")

    def __init__(self):
        self._lock = threading.Lock()
        self._hooks: list[Hook] = []

    def add(self, callback, method=None, path_regex="", when="applied", times=1):
        if when not in self.WHEN:
            raise ValueError(f"hooks run when a request is one of {self.WHEN}")
        hook = Hook(callback, method, path_regex, when, times)
        with self._lock:
            self._hooks.append(hook)
        return hook

    def run(self, when, record):
        with self._lock:
            for hook in self._hooks:
                if (hook.when == when and (hook.times is None or hook.hits < hook.times)
                        and hook.matches(record.method, record.path)):
                    hook.hits += 1
                    break
            else:
                return
        hook.callback(record)

    def clear(self):
        with self._lock:
            self._hooks.clear()


@dataclass
class RecordedRequest:
    """A request as the server saw it; path is relative to /3.0."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int | None = None  # as answered (None: no answer)
    fault: str | None = None
    applied_status: int | None = None  # as applied, whatever the answer was
    headers: dict[str, str] = field(default_factory=dict, repr=False)


def now_utc():
    return datetime.now(UTC)


def iso(moment):
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_time(text):
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError, AttributeError):
        return None
    return moment if moment.tzinfo else None


def select_fields(obj, fields, exclude):
    """Mailchimp's `fields=` / `exclude_fields=` with dot paths (a.b.c) through lists."""

    def tree(paths):
        root: dict = {}
        for path in paths:
            node = root
            parts = path.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
                if node is True:
                    break
            else:
                node[parts[-1]] = True
        return root

    def keep(value, spec):
        if spec is True:
            return value
        if isinstance(value, list):
            return [keep(item, spec) for item in value]
        if isinstance(value, dict):
            return {k: keep(value[k], sub) for k, sub in spec.items() if k in value}
        return value

    def drop(value, spec):
        if isinstance(value, list):
            return [drop(item, spec) for item in value]
        if isinstance(value, dict):
            return {
                k: (v if k not in spec else drop(v, spec[k]))
                for k, v in value.items()
                if spec.get(k) is not True
            }
        return value

    if fields:
        obj = keep(obj, tree(fields))
    if exclude:
        obj = drop(obj, tree(exclude))
    return obj


def csv_param(query, name):
    value = query.get(name)
    return [part for part in value.split(",") if part] if value else []


class MailchimpServer:
    """The server and its state; see the module docstring."""

    def __init__(self, api_key=DEFAULT_API_KEY, list_id=DEFAULT_LIST_ID,
                 interests=DEFAULT_INTERESTS, category_title=DEFAULT_CATEGORY_TITLE,
                 list_name="The Possibility Practice", member_count=3, seed=0):
        self.api_key = api_key
        self.list_id = list_id
        self.list_name = list_name
        self._seed_members = member_count  # subscribers with every interest, at each reset
        self.category_title = category_title
        self._seed = seed
        ids = random.Random(f"{seed}:{list_id}")
        self.interest_category_id = f"{ids.getrandbits(40):010x}"
        self.interest_ids = {name: f"{ids.getrandbits(40):010x}" for name in interests}
        self.faults = Faults()
        self.hooks = Hooks()
        self._lock = threading.RLock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    def reset(self):
        """Back to the seed state: the seed subscribers; no campaigns, deliveries, activity,
        faults, logged requests or settings changes."""
        with self._lock:
            aborted = getattr(self, "_abort", None)
            if aborted is not None:
                aborted.set()
            self._abort = threading.Event()
            self._campaigns: dict[str, dict] = {}
            self._contents: dict[str, dict] = {}
            self._rng = random.Random(self._seed)
            self._web_ids = iter(range(1000001, 10**9))
            self._sequence = 0
            self.requests: list[RecordedRequest] = []
            self.test_sends: list[dict] = []
            self.can_schedule = True
            self.send_via_sending = False
            self.clock = now_utc
            self._members: dict[str, dict] = {}
            for number in range(1, self._seed_members + 1):
                self._add_member(f"subscriber{number}@example.com", "subscribed",
                                 dict.fromkeys(self.interest_ids.values(), True))
            self.deliveries: dict[str, list[str]] = {}  # campaign id -> who received it
            self._activity: dict[str, list[dict]] = {}  # campaign id -> opens, clicks...
            self.faults.clear()
            self.hooks.clear()

    @property
    def member_count(self):
        """Subscribed members: what a campaign without a segment goes to."""
        with self._lock:
            return sum(1 for m in self._members.values() if m["status"] == "subscribed")

    @property
    def members(self):
        """A snapshot: {email address: {"status", "interests": {name: bool}}}."""
        names = {interest_id: name for name, interest_id in self.interest_ids.items()}
        with self._lock:
            return {m["email_address"]: {"status": m["status"], "interests": {
                names[i]: chosen for i, chosen in m["interests"].items()}}
                for m in self._members.values()}

    def clear_members(self):
        """An empty list (the seed subscribers gone): tests then add their own."""
        with self._lock:
            self._members.clear()

    def record_open(self, campaign_id, email, at=None):
        self._record(campaign_id, "open", email, at)

    def record_click(self, campaign_id, email, url, at=None):
        self._record(campaign_id, "click", email, at, url=url)

    def record_unsubscribe(self, campaign_id, email, at=None):
        self._record(campaign_id, "unsubscribe", email, at)

    def record_bounce(self, campaign_id, email, hard=True, at=None):
        self._record(campaign_id, "hard_bounce" if hard else "soft_bounce", email, at)

    def _record(self, campaign_id, kind, email, at, **extra):
        """What a recipient did with a sent campaign (its report counts it)."""
        with self._lock:
            campaign = self._campaign(campaign_id)
            if email not in self.deliveries.get(campaign_id, ()):
                raise ValueError(f"{email} did not receive campaign {campaign_id}")
            when = at or self.clock()
            if when < parse_time(campaign["send_time"]):
                raise ValueError("activity before the campaign was sent")
            self._activity.setdefault(campaign_id, []).append(
                {"kind": kind, "email": email, "at": when, **extra})

    @property
    def campaigns(self):
        """A snapshot of the campaigns by id, each with its `content` (html, plain_text)."""
        with self._lock:
            for campaign in self._campaigns.values():
                self._settle(campaign)
            snapshot = copy.deepcopy(self._campaigns)
            for campaign_id, campaign in snapshot.items():
                campaign["content"] = copy.deepcopy(self._contents[campaign_id])
                campaign.pop("_seq", None)
                campaign.pop("_sending_seen", None)
            return snapshot

    def calls(self, method=None, path_regex=None):
        """Logged requests, filtered by method and a regex searched in the path."""
        with self._lock:
            return [
                r for r in self.requests
                if (method is None or r.method == method.upper())
                and (path_regex is None or re.search(path_regex, r.path))
            ]

    @property
    def port(self):
        return self._httpd.server_address[1]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    def start(self):
        handler = type("Handler", (_Handler,), {"app": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is None:
            return
        self._abort.set()
        self.faults.clear()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- state ---------------------------------------------------------------------------

    def _new_id(self):
        while True:
            candidate = f"{self._rng.getrandbits(40):010x}"
            if candidate not in self._campaigns:
                return candidate

    def _campaign(self, campaign_id):
        campaign = self._campaigns.get(campaign_id)
        if campaign is None:
            raise not_found()
        return self._settle(campaign)

    def _settle(self, campaign):
        """Let time act: a scheduled campaign whose time has come (per `clock`) is sent."""
        if campaign["status"] == "schedule" and parse_time(campaign["send_time"]) <= self.clock():
            campaign["status"] = "sent"
            self._deliver(campaign)
        return campaign

    def _deliver(self, campaign):
        """Send: the campaign goes to the members its segment selects, once."""
        received = self._selected(campaign["recipients"].get("segment_opts"))
        self.deliveries[campaign["id"]] = received
        campaign["emails_sent"] = len(received)

    def _add_member(self, email, status, interests, merge_fields=None):
        member_id = hashlib.md5(email.lower().encode()).hexdigest()
        moment = iso(self.clock())
        member = {
            "id": member_id,
            "email_address": email,
            "unique_email_id": member_id[:10],
            "contact_id": member_id,
            "full_name": "",
            "web_id": 200000 + len(self._members),
            "email_type": "html",
            "status": status,
            "merge_fields": dict(merge_fields or {}),
            "interests": {i: bool(interests.get(i)) for i in self.interest_ids.values()},
            "stats": {"avg_open_rate": 0, "avg_click_rate": 0},
            "ip_signup": "",
            "timestamp_signup": moment,
            "ip_opt": "",
            "timestamp_opt": moment,
            "member_rating": 2,
            "last_changed": moment,
            "language": "",
            "vip": False,
            "email_client": "",
            "source": "API - Generic",
            "tags_count": 0,
            "tags": [],
            "list_id": self.list_id,
        }
        self._members[member_id] = member
        return member

    def _selected(self, segment):
        """The subscribed members (addresses, in the order they joined) a segment selects."""
        subscribed = [m for m in self._members.values() if m["status"] == "subscribed"]
        conditions = (segment or {}).get("conditions") or []
        if not conditions:
            return [m["email_address"] for m in subscribed]
        test = all if segment.get("match", "any") == "all" else any
        return [m["email_address"] for m in subscribed
                if test(_meets(m, condition) for condition in conditions)]

    def _list(self, list_id):
        if list_id != self.list_id:
            raise not_found()
        return self._list_body()

    def _list_body(self):
        return {
            "id": self.list_id,
            "web_id": 100001,
            "name": self.list_name,
            "contact": {
                "company": "The Possibility Practice",
                "address1": "1 Example Street",
                "address2": "",
                "city": "Springfield",
                "state": "IL",
                "zip": "62701",
                "country": "US",
                "phone": "",
            },
            "permission_reminder": "You signed up on our website.",
            "use_archive_bar": True,
            "campaign_defaults": {
                "from_name": "The Possibility Practice",
                "from_email": "hello@thepossibilitypractice.com",
                "subject": "",
                "language": "en",
            },
            "notify_on_subscribe": "",
            "notify_on_unsubscribe": "",
            "date_created": "2020-01-01T00:00:00+00:00",
            "list_rating": 0,
            "email_type_option": False,
            "subscribe_url_short": "http://eepurl.com/example",
            "subscribe_url_long": f"https://example.us1.list-manage.com/subscribe?id={self.list_id}",
            "beamer_address": "us1-example@inbound.mailchimp.com",
            "visibility": "pub",
            "double_optin": True,
            "has_welcome": False,
            "marketing_permissions": False,
            "modules": [],
            "stats": {
                "member_count": self.member_count,
                "total_contacts": self.member_count,
                "unsubscribe_count": 0,
                "cleaned_count": 0,
                "member_count_since_send": 0,
                "unsubscribe_count_since_send": 0,
                "cleaned_count_since_send": 0,
                "campaign_count": len(self._campaigns),
                "merge_field_count": 2,
                "avg_sub_rate": 0,
                "avg_unsub_rate": 0,
                "target_sub_rate": 0,
                "open_rate": 0,
                "click_rate": 0,
            },
        }

    def _category(self):
        return {
            "list_id": self.list_id,
            "id": self.interest_category_id,
            "title": self.category_title,
            "display_order": 0,
            "type": "checkboxes",
        }

    def _interests(self):
        return [
            {
                "category_id": self.interest_category_id,
                "list_id": self.list_id,
                "id": interest_id,
                "name": name,
                "subscriber_count": "0",
                "display_order": order,
            }
            for order, (name, interest_id) in enumerate(self.interest_ids.items())
        ]

    def _recipients(self, recipients):
        """Validate `recipients` (list and Interests segment) and give Mailchimp's shape."""
        if not isinstance(recipients, dict) or not recipients.get("list_id"):
            raise invalid([("recipients.list_id", "This value should not be blank.")])
        if recipients["list_id"] != self.list_id:
            raise invalid([("recipients.list_id", "The list_id is invalid.")])
        out = {
            "list_id": self.list_id,
            "list_is_active": True,
            "list_name": self.list_name,
            "segment_text": "",
            "recipient_count": len(self._selected(None)),
        }
        segment = recipients.get("segment_opts")
        if segment is None:
            return out
        if not isinstance(segment, dict):
            raise invalid([("recipients.segment_opts", "Schema describes object.")])
        match = segment.get("match", "any")
        if match not in ("any", "all"):
            raise invalid([("recipients.segment_opts.match", "Must be one of: any, all.")])
        conditions = segment.get("conditions", [])
        if not isinstance(conditions, list):
            raise invalid([("recipients.segment_opts.conditions", "Schema describes array.")])
        names = {interest_id: name for name, interest_id in self.interest_ids.items()}
        texts = []
        for index, condition in enumerate(conditions):
            where = f"recipients.segment_opts.conditions.item:{index}"
            if not isinstance(condition, dict) or condition.get("condition_type") != "Interests":
                raise invalid([(where, "Only Interests conditions are supported here.")])
            if condition.get("field") != f"interests-{self.interest_category_id}":
                raise invalid([(f"{where}.field", "The interest category is invalid.")])
            if condition.get("op") not in INTEREST_OPS:
                raise invalid([(f"{where}.op", "The operator is invalid.")])
            value = condition.get("value")
            if not isinstance(value, list) or not value:
                raise invalid([(f"{where}.value", "Choose at least one interest.")])
            unknown = [v for v in value if v not in names]
            if unknown:
                listed = ", ".join(map(str, unknown))
                raise invalid([(f"{where}.value", f"Unknown interest ids: {listed}")])
            texts.append(f"{self.category_title} {condition['op']} "
                         + ", ".join(names[v] for v in value))
        out["segment_opts"] = {"match": match, "conditions": copy.deepcopy(conditions)}
        out["segment_text"] = f" {match} of: ".join(texts) if len(texts) > 1 else "".join(texts)
        out["recipient_count"] = len(self._selected(out["segment_opts"]))
        return out

    def _tracking(self, tracking, current=None):
        """The campaign's tracking options: Mailchimp's defaults, then what the body says."""
        out = dict(current or {"opens": True, "html_clicks": True, "text_clicks": False,
                               "goal_tracking": False, "ecomm360": False,
                               "google_analytics": "", "clicktale": ""})
        if tracking is None:
            return out
        if not isinstance(tracking, dict):
            raise invalid([("tracking", "Schema describes object.")])
        for key in TRACKING_FLAGS:
            if key in tracking:
                if not isinstance(tracking[key], bool):
                    raise invalid([(f"tracking.{key}", "Schema describes boolean.")])
                out[key] = tracking[key]
        return out

    def _settings(self, settings, current=None):
        if settings is None:
            settings = {}
        if not isinstance(settings, dict):
            raise invalid([("settings", "Schema describes object.")])
        out = dict(current or {
            "subject_line": "",
            "preview_text": "",
            "title": "",
            "from_name": "",
            "reply_to": "",
            "use_conversation": False,
            "to_name": "",
            "folder_id": "",
            "authenticate": True,
            "auto_footer": False,
            "inline_css": False,
            "auto_tweet": False,
            "fb_comments": True,
            "timewarp": False,
            "template_id": 0,
            "drag_and_drop": False,
        })
        for key in ("subject_line", "preview_text", "title", "from_name", "reply_to", "to_name"):
            if key in settings:
                if not isinstance(settings[key], str):
                    raise invalid([(f"settings.{key}", "Schema describes string.")])
                out[key] = settings[key]
        if len(out["title"]) > TITLE_MAX:
            raise invalid([("settings.title", f"Use at most {TITLE_MAX} characters.")])
        if out["reply_to"] and not EMAIL.match(out["reply_to"]):
            raise invalid([("settings.reply_to", "This value should be a valid email.")])
        return out

    def _checklist(self, campaign):
        content = self._contents[campaign["id"]]
        settings = campaign["settings"]
        items = []

        def item(kind, heading, details):
            items.append({"type": kind, "id": len(items) + 1, "heading": heading,
                          "details": details})

        item("success", "Audience", f"This campaign will be sent to {self.list_name}.")
        if settings["subject_line"]:
            item("success", "Subject line", "Your campaign has a subject line.")
        else:
            item("error", "Subject line", "You need to add a subject line.")
        if settings["from_name"] and settings["reply_to"]:
            item("success", "From", "Your campaign has a from name and a reply-to address.")
        else:
            item("error", "From", "You need to add a from name and a reply-to address.")
        body = content["html"]
        if not body:
            item("error", "Content", "You need to add content to your campaign.")
        else:
            missing = []
            if not UNSUB_TAG.search(body):
                missing.append("*|UNSUB|*")
            if not any(tag in body for tag in ADDRESS_TAGS):
                missing.append("*|HTML:LIST_ADDRESS_HTML|*")
            if missing:
                item("error", "Required merge tags",
                     "Your content is missing required merge tags: " + ", ".join(missing))
            else:
                item("success", "Content", "Your content has the required merge tags.")
        if not settings["preview_text"]:
            item("warning", "Preview text", "Consider adding preview text.")
        return {"is_ready": all(i["type"] != "error" for i in items), "items": items}

    def _view(self, campaign):
        """The campaign as a reader sees it; a 'sending' campaign is 'sent' from the next read."""
        if campaign["status"] == "sending":
            if campaign.get("_sending_seen"):
                campaign["status"] = "sent"
            else:
                campaign["_sending_seen"] = True
                view = copy.deepcopy(campaign)
                view["status"] = "sending"
                return _public(view)
        return _public(copy.deepcopy(campaign))

    def _editable(self, campaign):
        if campaign["status"] not in ("save", "paused"):
            raise bad_request(
                f"This campaign cannot be changed while its status is '{campaign['status']}'."
            )

    # --- endpoints -------------------------------------------------------------------------

    def ep_root(self, query, body):
        return 200, {
            "account_id": "0123456789abcdef01234567",
            "login_id": "12345678",
            "account_name": "The Possibility Practice",
            "email": "hello@thepossibilitypractice.com",
            "first_name": "Test",
            "last_name": "Account",
            "username": "possibility",
            "avatar_url": "",
            "role": "owner",
            "member_since": "2020-01-01T00:00:00+00:00",
            "pricing_plan_type": "monthly" if self.can_schedule else "forever_free",
            "account_timezone": "UTC",
            "account_industry": "Coaching",
            "contact": {"company": "The Possibility Practice", "addr1": "1 Example Street",
                        "addr2": "", "city": "Springfield", "state": "IL", "zip": "62701",
                        "country": "US"},
            "pro_enabled": False,
            "last_login": "2020-01-01T00:00:00+00:00",
            "total_subscribers": self.member_count,
        }

    def ep_ping(self, query, body):
        return 200, {"health_status": "Everything's Chimpy!"}

    def ep_lists(self, query, body):
        lists = [self._list_body()]
        offset, count = _paging(query)
        return 200, {
            "lists": lists[offset:offset + count],
            "total_items": len(lists),
            "constraints": {"may_create": False, "max_instances": 1,
                            "current_total_instances": 1},
        }

    def ep_list(self, query, body, list_id):
        return 200, self._list(list_id)

    def ep_categories(self, query, body, list_id):
        self._list(list_id)
        categories = [self._category()]
        offset, count = _paging(query)
        return 200, {"list_id": list_id, "categories": categories[offset:offset + count],
                     "total_items": len(categories)}

    def ep_interests(self, query, body, list_id, category_id):
        self._list(list_id)
        if category_id != self.interest_category_id:
            raise not_found()
        interests = self._interests()
        offset, count = _paging(query)
        return 200, {"interests": interests[offset:offset + count], "list_id": list_id,
                     "category_id": category_id, "total_items": len(interests)}

    def ep_members(self, query, body, list_id):
        self._list(list_id)
        members = list(self._members.values())
        if query.get("status"):
            members = [m for m in members if m["status"] == query["status"]]
        offset, count = _paging(query)
        return 200, {"members": copy.deepcopy(members[offset:offset + count]),
                     "list_id": list_id, "total_items": len(members)}

    def ep_add_member(self, query, body, list_id):
        self._list(list_id)
        body = _object(body)
        email = body.get("email_address")
        if not isinstance(email, str) or not EMAIL.match(email):
            raise invalid([("email_address", "Please provide a valid email address.")])
        if body.get("status") not in MEMBER_STATUSES:
            raise invalid([("status", "Must be one of: " + ", ".join(MEMBER_STATUSES) + ".")])
        interests = body.get("interests") or {}
        if not isinstance(interests, dict) or not all(
                isinstance(v, bool) for v in interests.values()):
            raise invalid([("interests", "Schema describes an object of booleans.")])
        unknown = sorted(set(interests) - set(self.interest_ids.values()))
        if unknown:
            raise invalid([("interests", f"Invalid interest ID: {', '.join(unknown)}")])
        if hashlib.md5(email.lower().encode()).hexdigest() in self._members:
            raise ApiError(400, "Member Exists", f"{email} is already a list member. Use PUT "
                           "to insert or update list members.")
        member = self._add_member(email, body["status"], interests, body.get("merge_fields"))
        return 200, copy.deepcopy(member)

    def _sent_campaign(self, campaign_id):
        """A campaign that has gone out: only those have a report."""
        campaign = self._campaign(campaign_id)
        if campaign["status"] not in ("sending", "sent"):
            raise not_found()
        return campaign

    def ep_report(self, query, body, campaign_id):
        campaign = self._sent_campaign(campaign_id)
        events = self._activity.get(campaign_id, [])
        sent = campaign.get("emails_sent", 0)

        def of(kind):
            return [e for e in events if e["kind"] == kind]

        opens, clicks = of("open"), of("click")
        bounced = {e["email"] for e in events if e["kind"].endswith("_bounce")}
        delivered = max(sent - len(bounced), 0)
        unique_openers = {e["email"] for e in opens}
        unique_clickers = {e["email"] for e in clicks}
        report = {
            "id": campaign_id,
            "campaign_title": campaign["settings"]["title"],
            "type": "regular",
            "list_id": self.list_id,
            "list_is_active": True,
            "list_name": self.list_name,
            "subject_line": campaign["settings"]["subject_line"],
            "preview_text": campaign["settings"]["preview_text"],
            "emails_sent": sent,
            "abuse_reports": 0,
            "unsubscribed": len({e["email"] for e in of("unsubscribe")}),
            "send_time": campaign["send_time"],
            "bounces": {"hard_bounces": len(of("hard_bounce")),
                        "soft_bounces": len(of("soft_bounce")), "syntax_errors": 0},
            "forwards": {"forwards_count": 0, "forwards_opens": 0},
            "opens": {"opens_total": len(opens), "unique_opens": len(unique_openers),
                      "open_rate": len(unique_openers) / delivered if delivered else 0},
            "clicks": {"clicks_total": len(clicks), "unique_clicks": len(
                {(e["email"], e["url"]) for e in clicks}),
                "unique_subscriber_clicks": len(unique_clickers),
                "click_rate": len(unique_clickers) / delivered if delivered else 0},
            "facebook_likes": {"recipient_likes": 0, "unique_likes": 0, "facebook_likes": 0},
            "list_stats": {"sub_rate": 0, "unsub_rate": 0, "open_rate": 0, "click_rate": 0},
            "timeseries": _timeseries(parse_time(campaign["send_time"]), sent, opens, clicks),
            "_links": [],
        }
        if opens:
            report["opens"]["last_open"] = iso(max(e["at"] for e in opens))
        if clicks:
            report["clicks"]["last_click"] = iso(max(e["at"] for e in clicks))
        return 200, report

    def ep_click_details(self, query, body, campaign_id):
        self._sent_campaign(campaign_id)
        clicks = [e for e in self._activity.get(campaign_id, []) if e["kind"] == "click"]
        total = len(clicks)
        by_url = {}
        for event in clicks:
            by_url.setdefault(event["url"], []).append(event)
        urls = []
        for url, events in by_url.items():
            unique = len({e["email"] for e in events})
            urls.append({
                "id": hashlib.md5(url.encode()).hexdigest()[:10],
                "url": url,
                "total_clicks": len(events),
                "click_percentage": len(events) / total,
                "unique_clicks": unique,
                "unique_click_percentage": unique / len({e["email"] for e in clicks}),
                "last_click": iso(max(e["at"] for e in events)),
                "campaign_id": campaign_id,
                "_links": [],
            })
        field = query.get("sort_field", "total_clicks")
        if field not in ("total_clicks", "unique_clicks"):
            raise invalid([("sort_field", "Must be one of: total_clicks, unique_clicks.")])
        urls.sort(key=lambda u: (u[field], u["url"]),
                  reverse=query.get("sort_dir", "DESC").upper() == "DESC")
        offset, count = _paging(query)
        return 200, {"urls_clicked": urls[offset:offset + count], "campaign_id": campaign_id,
                     "total_items": len(urls), "_links": []}

    def ep_campaigns(self, query, body):
        campaigns = [self._settle(c) for c in self._campaigns.values()]
        for name in ("status", "type"):
            if query.get(name):
                campaigns = [c for c in campaigns if c[name] == query[name]]
        if query.get("list_id"):
            campaigns = [c for c in campaigns if c["recipients"]["list_id"] == query["list_id"]]
        for name, keep in (("since_create_time", lambda made, at: made > at),
                           ("before_create_time", lambda made, at: made < at)):
            if name in query:
                at = parse_time(query[name])
                if at is None:
                    raise invalid([(name, "Use an ISO 8601 time with a UTC offset.")])
                campaigns = [c for c in campaigns if keep(parse_time(c["create_time"]), at)]
        sort_field = query.get("sort_field", "create_time")
        if sort_field not in ("create_time", "send_time"):
            raise invalid([("sort_field", "Must be one of: create_time, send_time.")])
        campaigns.sort(key=lambda c: (c.get(sort_field, ""), c["_seq"]),
                       reverse=query.get("sort_dir", "ASC").upper() == "DESC")
        offset, count = _paging(query)
        page = [self._view(c) for c in campaigns[offset:offset + count]]
        return 200, {"campaigns": page, "total_items": len(campaigns)}

    def ep_create_campaign(self, query, body):
        body = _object(body)
        if body.get("type") != "regular":
            raise invalid([("type", "Only regular campaigns are supported here.")])
        recipients = self._recipients(body.get("recipients"))
        settings = self._settings(body.get("settings"))
        tracking = self._tracking(body.get("tracking"))
        campaign_id = self._new_id()
        web_id = next(self._web_ids)
        self._sequence += 1
        campaign = {
            "id": campaign_id,
            "web_id": web_id,
            "type": "regular",
            "create_time": iso(self.clock()),
            "archive_url": f"http://eepurl.com/{campaign_id[:6]}",
            "long_archive_url": f"https://us1.campaign-archive.com/?u=0&id={campaign_id}",
            "status": "save",
            "emails_sent": 0,
            "content_type": body.get("content_type", "template"),
            "needs_block_refresh": False,
            "resendable": False,
            "recipients": recipients,
            "settings": settings,
            "tracking": tracking,
            "delivery_status": {"enabled": False},
            "_seq": self._sequence,
        }
        self._campaigns[campaign_id] = campaign
        self._contents[campaign_id] = {"html": "", "plain_text": ""}
        return 200, self._view(campaign)

    def ep_campaign(self, query, body, campaign_id):
        return 200, self._view(self._campaign(campaign_id))

    def ep_update_campaign(self, query, body, campaign_id):
        campaign = self._campaign(campaign_id)
        body = _object(body)
        self._editable(campaign)
        settings = self._settings(body.get("settings"), campaign["settings"])
        recipients = campaign["recipients"]
        if "recipients" in body:
            recipients = self._recipients(body["recipients"])
        tracking = self._tracking(body.get("tracking"), campaign["tracking"])
        campaign["settings"] = settings
        campaign["recipients"] = recipients
        campaign["tracking"] = tracking
        return 200, self._view(campaign)

    def ep_delete_campaign(self, query, body, campaign_id):
        campaign = self._campaign(campaign_id)
        if campaign["status"] == "sending":
            raise bad_request("This campaign cannot be deleted while it is sending.")
        del self._campaigns[campaign_id]
        del self._contents[campaign_id]
        return 204, None

    def ep_content(self, query, body, campaign_id):
        self._campaign(campaign_id)
        content = self._contents[campaign_id]
        return 200, {"plain_text": content["plain_text"], "html": content["html"],
                     "archive_html": content["html"]}

    def ep_set_content(self, query, body, campaign_id):
        campaign = self._campaign(campaign_id)
        body = _object(body)
        self._editable(campaign)
        errors = [(k, "Schema describes string.") for k in ("html", "plain_text")
                  if k in body and not isinstance(body[k], str)]
        if errors:
            raise invalid(errors)
        content = self._contents[campaign_id]
        if "html" in body:
            content["html"] = body["html"]
            content["plain_text"] = body.get("plain_text") or _text_from_html(body["html"])
        elif "plain_text" in body:
            content["plain_text"] = body["plain_text"]
        return self.ep_content(query, None, campaign_id)

    def ep_checklist(self, query, body, campaign_id):
        return 200, self._checklist(self._campaign(campaign_id))

    def ep_test(self, query, body, campaign_id):
        campaign = self._campaign(campaign_id)
        body = _object(body)
        emails = body.get("test_emails")
        if not isinstance(emails, list) or not emails:
            raise invalid([("test_emails", "This value should not be blank.")])
        if not all(isinstance(e, str) and EMAIL.match(e) for e in emails):
            raise invalid([("test_emails", "Each test email must be a valid email address.")])
        if body.get("send_type") not in ("html", "plaintext"):
            raise invalid([("send_type", "Must be one of: html, plaintext.")])
        if not self._contents[campaign_id]["html"]:
            raise bad_request("Your Campaign is not ready to send.")
        self.test_sends.append({"campaign_id": campaign["id"], "test_emails": list(emails),
                                "send_type": body["send_type"]})
        return 204, None

    def _refuse_if_sent(self, campaign):
        if campaign["status"] in ("sending", "sent"):
            raise bad_request("Cannot send a campaign that has already been sent.")

    def ep_send(self, query, body, campaign_id):
        campaign = self._campaign(campaign_id)
        self._refuse_if_sent(campaign)
        if campaign["status"] == "schedule":
            raise bad_request("This campaign is scheduled; unschedule it before sending.")
        if not self._checklist(campaign)["is_ready"]:
            raise bad_request("Your Campaign is not ready to send.")
        campaign["status"] = "sending" if self.send_via_sending else "sent"
        campaign["send_time"] = iso(self.clock())
        self._deliver(campaign)
        return 204, None

    def ep_schedule(self, query, body, campaign_id):
        campaign = self._campaign(campaign_id)
        body = _object(body)
        self._refuse_if_sent(campaign)
        if campaign["status"] == "schedule":
            raise bad_request("This campaign is already scheduled; unschedule it first.")
        if not self.can_schedule:
            raise bad_request("This campaign cannot be scheduled: .")
        when = parse_time(body.get("schedule_time"))
        if when is None:
            raise invalid([("schedule_time", "Use an ISO 8601 time with a UTC offset.")])
        if when.minute % 15 or when.second or when.microsecond:
            raise invalid([("schedule_time", "Campaigns may only be scheduled to send on the "
                                             "quarter-hour (:00, :15, :30, :45).")])
        if when <= self.clock():
            raise invalid([("schedule_time", "The schedule time must be in the future.")])
        if not self._checklist(campaign)["is_ready"]:
            raise bad_request("Your Campaign is not ready to send.")
        campaign["status"] = "schedule"
        campaign["send_time"] = iso(when)
        return 204, None

    def ep_unschedule(self, query, body, campaign_id):
        campaign = self._campaign(campaign_id)
        self._refuse_if_sent(campaign)
        if campaign["status"] != "schedule":
            raise bad_request("Cannot unschedule a campaign that is not scheduled.")
        campaign["status"] = "save"
        campaign.pop("send_time", None)
        return 204, None

    ROUTES = [
        ("GET", r"/?", "ep_root"),
        ("GET", r"/ping", "ep_ping"),
        ("GET", r"/lists", "ep_lists"),
        ("GET", r"/lists/([^/]+)", "ep_list"),
        ("GET", r"/lists/([^/]+)/interest-categories", "ep_categories"),
        ("GET", r"/lists/([^/]+)/interest-categories/([^/]+)/interests", "ep_interests"),
        ("GET", r"/lists/([^/]+)/members", "ep_members"),
        ("POST", r"/lists/([^/]+)/members", "ep_add_member"),
        ("GET", r"/campaigns", "ep_campaigns"),
        ("POST", r"/campaigns", "ep_create_campaign"),
        ("GET", r"/campaigns/([^/]+)", "ep_campaign"),
        ("PATCH", r"/campaigns/([^/]+)", "ep_update_campaign"),
        ("DELETE", r"/campaigns/([^/]+)", "ep_delete_campaign"),
        ("GET", r"/campaigns/([^/]+)/content", "ep_content"),
        ("PUT", r"/campaigns/([^/]+)/content", "ep_set_content"),
        ("GET", r"/campaigns/([^/]+)/send-checklist", "ep_checklist"),
        ("POST", r"/campaigns/([^/]+)/actions/test", "ep_test"),
        ("POST", r"/campaigns/([^/]+)/actions/send", "ep_send"),
        ("POST", r"/campaigns/([^/]+)/actions/schedule", "ep_schedule"),
        ("POST", r"/campaigns/([^/]+)/actions/unschedule", "ep_unschedule"),
        ("GET", r"/reports/([^/]+)", "ep_report"),
        ("GET", r"/reports/([^/]+)/click-details", "ep_click_details"),
    ]

    def dispatch(self, method, path, query, headers, raw_body):
        """Authenticate, route and apply one request; returns (status, json body or None)."""
        self._authenticate(headers.get("Authorization"))
        allowed = False
        for route_method, pattern, name in self.ROUTES:
            found = re.fullmatch(pattern, path)
            if not found:
                continue
            allowed = True
            if route_method == method:
                body = _json_body(raw_body)
                with self._lock:
                    status, payload = getattr(self, name)(query, body, *found.groups())
                if payload is not None:
                    payload = select_fields(payload, csv_param(query, "fields"),
                                            csv_param(query, "exclude_fields"))
                return status, payload
        if allowed:
            raise ApiError(405, "Method Not Allowed",
                           f"The requested method and resource are not compatible: {method}.")
        raise not_found()

    def _authenticate(self, header):
        if not header:
            raise ApiError(401, "API Key Missing", "Your request did not include an API key.")
        scheme, _, value = header.partition(" ")
        try:
            _, _, key = base64.b64decode(value, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            key = None
        if scheme.lower() != "basic" or key != self.api_key:
            raise ApiError(401, "API Key Invalid", "Your API key may be invalid, or you've "
                           "attempted to access the wrong datacenter.")


def _meets(member, condition):
    """Whether a member meets one Interests condition (validated by `_recipients`)."""
    chosen = {i for i, on in member["interests"].items() if on}
    wanted = set(condition["value"])
    if condition["op"] == "interestcontains":
        return bool(chosen & wanted)
    if condition["op"] == "interestcontainsall":
        return wanted <= chosen
    return not chosen & wanted  # interestnotcontains: in none of them


def _timeseries(sent_at, emails_sent, opens, clicks):
    """Mailchimp's hourly breakdown of the first 24 hours: each hour's emails sent, new
    unique opens and clicks."""
    start = sent_at.replace(minute=0, second=0, microsecond=0)
    first_open = {}
    for event in sorted(opens, key=lambda e: e["at"]):
        first_open.setdefault(event["email"], event["at"])
    hours = []
    for hour in range(24):
        begin, end = start + timedelta(hours=hour), start + timedelta(hours=hour + 1)
        hours.append({
            "timestamp": iso(begin),
            "emails_sent": emails_sent if hour == 0 else 0,
            "unique_opens": sum(1 for at in first_open.values() if begin <= at < end),
            "recipients_clicks": sum(1 for e in clicks if begin <= e["at"] < end),
        })
    return hours


def _public(campaign):
    for key in [k for k in campaign if k.startswith("_")]:
        del campaign[key]
    return campaign


def _paging(query):
    try:
        count = int(query.get("count", 10))
        offset = int(query.get("offset", 0))
    except ValueError:
        raise invalid([("count", "count and offset must be integers.")]) from None
    if count < 0 or offset < 0:
        raise invalid([("count", "count and offset must not be negative.")])
    return offset, min(count, 1000)


def _object(body):
    if not isinstance(body, dict):
        kind = "NULL" if body is None else type(body).__name__
        raise invalid([("", f"Schema describes object, {kind} found instead")])
    return body


def _json_body(raw):
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise bad_request("We encountered an unspecified JSON parsing error.") from None


def _text_from_html(markup):
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", markup)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</h\d>|</li>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(re.sub(r"\n{3,}", "\n\n", text)).strip()


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.0 (one request per connection) so a fault never poisons a pooled connection."""

    app: MailchimpServer
    server_version = "MailchimpTestServer/1.0"

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self):
        app = self.app
        abort = app._abort
        parts = urlsplit(self.path)
        raw = self._read_body()
        if parts.path != PREFIX and not parts.path.startswith(PREFIX + "/"):
            self._send(404, not_found().body(), PROBLEM_TYPE)
            return
        path = parts.path[len(PREFIX):] or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        try:
            logged_body = json.loads(raw) if raw.strip() else None
        except ValueError:
            logged_body = raw.decode("utf-8", "replace")
        record = RecordedRequest(self.command, path, query, logged_body,
                                 headers=dict(self.headers.items()))
        with app._lock:
            app.requests.append(record)
        fault = app.faults.take(self.command, path)
        if fault:
            record.fault = fault.kind
            fault.arrived.set()
        if fault and not fault.after and not self._delay(fault, abort, record):
            return
        app.hooks.run("arrived", record)
        try:
            status, payload = app.dispatch(self.command, path, query, self.headers, raw)
            extra = {}
            content_type = JSON_TYPE
        except ApiError as error:
            status, payload, extra, content_type = (
                error.status, error.body(), error.headers, PROBLEM_TYPE)
        record.applied_status = status
        if fault:
            fault.applied.set()
        app.hooks.run("applied", record)
        if fault and fault.after and not self._delay(fault, abort, record):
            return
        record.status = status
        self._send(status, payload, content_type, extra)

    def _delay(self, fault, abort, record):
        """Apply a fault's delay or failure; False when the request ends here."""
        if fault.kind == "hold":
            if fault.release.wait(MAX_HOLD_SECONDS) and not fault.aborted:
                return True
            self._reset()
            return False
        if fault.kind != "slow":
            record.status = self._fail(fault)
            return False
        if abort.wait(fault.seconds):
            self._reset()
            return False
        return True

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, payload, content_type, headers=None):
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _fail(self, fault):
        if fault.kind == "reset":
            self._reset()
            return None
        if fault.kind == "500_empty":
            self._send(500, None, None)
            return 500
        if fault.kind == "429":
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            error = ApiError(429, "Too Many Requests",
                             "You have exceeded the limit of 10 simultaneous connections.",
                             headers=headers)
        elif fault.kind == "503":
            error = ApiError(503, "Service Unavailable",
                             "The service is temporarily unavailable. Please try again later.")
        else:
            error = ApiError(500, "Internal Server Error",
                             "An unexpected internal error has occurred. Please try again.")
        self._send(error.status, error.body(), PROBLEM_TYPE, error.headers)
        return error.status

    def _reset(self):
        """Close with RST (SO_LINGER 0): the client sees a connection reset, no response."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()
