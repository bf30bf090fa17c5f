"""The one adapter between this project (the newsletter, audience-sync) and the official
mailchimp-marketing client.

The client (3.0.80) builds each request from Mailchimp's operations; this adapter takes
care of what it gets wrong or leaves out, so nothing else has to know:

- Its `Configuration().host` is never read, and it replaces the word "server" anywhere
  in the URL with the key's data centre: the base URL (MAILCHIMP_API_URL, or the key's
  data centre) goes into `api_client.host` and `server` stays empty.
- It has no session, no retries and a 120 s timeout, and never shows response headers:
  its transport is replaced by ours, a requests.Session of at most 10 connections
  (Mailchimp's limit), with a per-call timeout. 429, 5xx and network errors are retried
  with capped, jittered exponential backoff honouring Retry-After. A call that may have
  been applied (`unsafe`: create, send, schedule) is retried only after a 429, which
  Mailchimp answers before doing anything; its other failures are left to the caller
  to resolve by reading state.
- Failures come back in three shapes (ApiClientError with a string or dict body and an
  empty str(), a plain requests.Response for a 204 or an empty-bodied 500, status None
  for network errors): here every failure is one MailchimpError subclass whose message
  says what to do, and a 204 or an empty 200 is simply None.
- Body-less POSTs (send, unschedule) go without a body instead of the literal `null`.

The API key is held by the transport's auth only; it never reaches a message, a log
line or a repr (every message is scrubbed as well).
"""

import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from .base import BackendError

MAX_CONNECTIONS = 10  # Mailchimp refuses more simultaneous connections per user
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
KEY_HINT = ("check MAILCHIMP_API_KEY (the whole key, ending in -<dc> such as -us21) in the "
            "environment or in .env")

log = logging.getLogger(__name__)


class MailchimpError(BackendError):
    """Mailchimp did not do what was asked; `status` is None for a network failure."""

    def __init__(self, message, *, status=None, detail="", errors=(), ambiguous=False):
        super().__init__(message)
        self.status = status
        self.detail = detail
        self.errors = tuple(errors)
        self.ambiguous = ambiguous  # the request may have been applied all the same


class KeyRejected(MailchimpError):
    """401/403."""


class NotFound(MailchimpError):
    """404."""


class Refused(MailchimpError):
    """Another 4xx: the request was understood and refused (detail and errors say why)."""


class Unavailable(MailchimpError):
    """429, 5xx or a network failure that outlasted the retries."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries per call, the first included
    base: float = 1.0  # seconds before the first retry (then doubling)
    cap: float = 30.0  # no single wait is longer; a longer Retry-After stops the call


@dataclass(frozen=True)
class Outcome:
    """One attempt as seen on the wire."""

    status: int | None  # None: no answer (timeout, reset, refused connection)
    body: object = None  # parsed JSON, or the text, or None when empty
    retry_after: float | None = None
    reason: str = ""  # the network failure, in words

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300


def api_base_url(api_key, override=None, dc=None):
    """The API's base URL: `override` (MAILCHIMP_API_URL), else the key's data centre,
    else `dc` (known from elsewhere, such as the audience file's embed code)."""
    if override:
        parts = urlsplit(override)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise MailchimpError(
                f"MAILCHIMP_API_URL is {override!r}: write a base URL such as "
                "https://us21.api.mailchimp.com/3.0")
        return override.rstrip("/")
    key_dc = api_key.rpartition("-")[2] if "-" in api_key else ""
    dc = key_dc if key_dc.isalnum() else (dc or "")
    if not dc.isalnum():
        raise MailchimpError(f"the API key has no data centre suffix: {KEY_HINT}.")
    return f"https://{dc}.api.mailchimp.com/3.0"


def should_retry(status, unsafe):
    """Whether a failed attempt may simply be repeated.

    A 429 is refused before anything happens, so it is always safe; a 5xx or a lost
    answer may hide a change that was made, so only calls that can be repeated
    without harm (reads, PUT, PATCH, test emails) retry those.
    """
    if status == 429:
        return True
    if unsafe:
        return False
    return status is None or status in RETRY_STATUSES


def retry_delay(policy, attempt, retry_after=None, rand=random.random):
    """Seconds to wait after failed attempt number `attempt` (1-based), or None to stop.

    Exponential from `policy.base`, capped at `policy.cap`, with "equal jitter" (between
    half and all of it) so that clients do not come back in step. A Retry-After is
    honoured as given (plus a little jitter), unless it is longer than the cap.
    """
    if attempt >= policy.attempts:
        return None
    if retry_after is not None:
        if retry_after > policy.cap:
            return None
        return retry_after + rand() * min(policy.base, 1.0)
    ceiling = min(policy.cap, policy.base * 2 ** (attempt - 1))
    return ceiling / 2 + rand() * ceiling / 2


def parse_retry_after(value, now=None):
    """Retry-After (seconds, or an HTTP date) as seconds from now; None when unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def problem_fields(body):
    """(title, detail, errors) of a Mailchimp error body (problem+json), whatever its shape."""
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return "", " ".join(body.split())[:300], ()
    if not isinstance(body, dict):
        return "", "", ()
    errors = tuple(
        (str(e.get("field", "")), str(e.get("message", "")))
        for e in body.get("errors") or () if isinstance(e, dict)
    )
    return str(body.get("title") or ""), str(body.get("detail") or ""), errors


def describe_failure(action, outcome, *, attempts=1, missing=None, host=""):
    """The author's message for a failed call (pure; the caller scrubs and raises)."""
    status = outcome.status
    title, detail, errors = problem_fields(outcome.body)
    tried = f" ({attempts} attempts)" if attempts > 1 else ""
    if status is None:
        return (Unavailable, f"could not reach Mailchimp at {host} to {action}: "
                             f"{outcome.reason or 'no answer'}{tried}.")
    said = f"HTTP {status}" + (f" {title}" if title else "") + (f": {detail}" if detail else "")
    if status in (401, 403):
        return KeyRejected, f"Mailchimp: API key rejected ({said}) trying to {action}; {KEY_HINT}."
    if status == 404:
        if missing:
            return NotFound, f"Mailchimp has no {missing} ({said})."
        return NotFound, f"Mailchimp found nothing to {action} ({said})."
    if status == 429:
        wait = (f"; it asks to wait {outcome.retry_after:g} s"
                if outcome.retry_after is not None else "")
        return (Unavailable, f"Mailchimp is limiting requests ({said}) trying to {action}"
                             f"{tried}{wait}: run again later.")
    if status >= 500:
        return Unavailable, f"Mailchimp failed to {action} ({said}){tried}."
    listed = "; ".join(f"{field or '(body)'}: {message}" for field, message in errors)
    return Refused, f"Mailchimp refused to {action} ({said})" + (
        f" Errors: {listed}." if listed else ".")


class _KeyAuth(requests.auth.AuthBase):
    """HTTP Basic auth with the key: the one place it is held; no repr shows it."""

    def __init__(self, api_key):
        self._basic = requests.auth.HTTPBasicAuth("newsletter", api_key)

    def __call__(self, request):
        return self._basic(request)

    def __repr__(self):
        return "<Mailchimp API key>"

    def scrub(self, text):
        return str(text).replace(self._basic.password, "[MAILCHIMP_API_KEY]")


class MailchimpApi:
    """The official client behind one session; `call` runs one operation of it.

        api = MailchimpApi(key, "http://127.0.0.1:4010", timeout=5)
        campaign = api.call("create the campaign", lambda mc: mc.campaigns.create(body),
                            unsafe=True)
    """

    def __init__(self, api_key, base_url=None, *, dc=None, timeout=30.0, retry=RetryPolicy(),
                 sleep=time.sleep, rand=random.random, session=None):
        from mailchimp_marketing import Client

        if not api_key:
            raise MailchimpError(f"MAILCHIMP_API_KEY is empty: {KEY_HINT}.")
        self.host = api_base_url(api_key, base_url, dc)
        self.timeout = timeout
        self.retry = retry
        self._sleep = sleep
        self._rand = rand
        self._auth = _KeyAuth(api_key)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._last = threading.local()
        self._session = session or _session()
        self.client = Client({"server": "", "timeout": timeout})
        self.client.api_client.server = ""  # no "server" -> data centre rewriting
        self.client.api_client.host = self.host
        self.client.api_client.request = self._transport

    def __repr__(self):
        return f"MailchimpApi({self.host!r})"

    def call(self, action, operation, *, unsafe=False, missing=None):
        """Run `operation(client)`; its JSON answer (None when empty), or MailchimpError.

        `action` says what the call is for, in the author's words ("create the campaign
        for my-post"); `missing` names what a 404 means is missing ("list abc123").
        A failed unsafe call raises with `ambiguous` set when it may have been applied.
        """
        attempt = 0
        while True:
            attempt += 1
            outcome = self._attempt(operation)
            if outcome.ok:
                return outcome.body
            delay = None
            if should_retry(outcome.status, unsafe):
                delay = retry_delay(self.retry, attempt, outcome.retry_after, self._rand)
            if delay is None:
                kind, message = describe_failure(action, outcome, attempts=attempt,
                                                 missing=missing, host=self.host)
                _, detail, errors = problem_fields(outcome.body)
                ambiguous = unsafe and (outcome.status is None or outcome.status >= 500)
                raise kind(self.scrub(message), status=outcome.status,
                           detail=self.scrub(detail), errors=errors, ambiguous=ambiguous)
            what = outcome.reason or f"HTTP {outcome.status}"
            log.warning("Mailchimp: %s failed (%s); retrying in %.2f s (attempt %d of %d)",
                        action, self.scrub(what), delay, attempt + 1, self.retry.attempts)
            self._sleep(delay)

    def scrub(self, text):
        return self._auth.scrub(text)

    def _attempt(self, operation):
        """One try through the client; the answer as an Outcome, whatever shape it took."""
        from mailchimp_marketing.api_client import ApiClientError

        self._last.response = self._last.error = None
        try:
            operation(self.client)
        except ApiClientError:
            pass  # the transport kept the response (or the network error) itself
        response, error = self._last.response, self._last.error
        if response is None:
            return Outcome(None, reason=_network_reason(error, self.timeout))
        return Outcome(response.status_code, _body(response),
                       parse_retry_after(response.headers.get("Retry-After")))

    def _transport(self, method, url, query_params=None, headers=None, body=None):
        """Replaces the client's `request`: one attempt, through the session, recorded."""
        data = None if body is None else json.dumps(body)
        try:
            with self._slots:
                response = self._session.request(
                    method, url, params=query_params, headers=headers, data=data,
                    auth=self._auth, timeout=self.timeout,
                )
        except requests.RequestException as error:
            self._last.error = error
            raise
        self._last.response = response
        return response


def _session():
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=MAX_CONNECTIONS, pool_block=True,
                          max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _body(response):
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _network_reason(error, timeout):
    if isinstance(error, requests.Timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(error, requests.ConnectionError):
        text = str(error).lower()
        if "reset" in text or "aborted" in text:
            return "the connection was reset"
        if "refused" in text:
            return "the connection was refused"
        return f"the connection failed ({type(error).__name__})"
    return type(error).__name__ if error else "no answer"
