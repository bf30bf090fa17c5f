"""Record Mailchimp's API ids beside the form's interest groups, matched by name.

The embed code names a group by its form field (`group[13157][4]`); the Marketing API,
which the newsletter pipeline uses to target a campaign, knows it only by a hex id. The
two are tied together by the category's and the group's names, and any group that exists
on one side only is reported rather than guessed at.

Talks to Mailchimp through the official `mailchimp-marketing` client only, by way of the
newsletter's adapter to it (transient failures retried). The API key is never printed
and never written: every message that could quote it is scrubbed.
"""

from dataclasses import dataclass, field

from possibility.common import PossibilityError
from possibility.core.newsletter.backends.mailchimp_api import (
    MailchimpApi,
    MailchimpError,
    NotFound,
)
from possibility.core.signup.audience_file import match_key, read_audience, write_audience

PAGE_SIZE = 100


class AudienceSyncError(PossibilityError, RuntimeError):
    """Mailchimp could not be read; the message says what to check (never the key)."""


@dataclass
class SyncReport:
    list_name: str
    matched: list = field(default_factory=list)
    only_in_form: list = field(default_factory=list)
    only_in_mailchimp: list = field(default_factory=list)

    def lines(self):
        """The report as the author reads it in the terminal."""
        out = [f"Mailchimp list: {self.list_name}"]
        out += [f"  {category} › {group}: {interest_id}"
                for category, group, interest_id in self.matched]
        if self.only_in_form:
            out.append("In the form but not in Mailchimp (no API id; fix the name in either):")
            out += [f"  {category} › {group}" for category, group in self.only_in_form]
        if self.only_in_mailchimp:
            out.append("In Mailchimp but not in the form (re-import the embed code to offer them):")
            out += [f"  {category} › {group}" for category, group in self.only_in_mailchimp]
        return out


class MailchimpAudience:
    """Reads one list through the project's one adapter to the official client
    (newsletter/backends/mailchimp_api.py: one session, retries with backoff, the key
    never shown); its failures become AudienceSyncError."""

    def __init__(self, api_key, api_url=None, dc=None, timeout=30, **adapter):
        if not api_key:
            raise AudienceSyncError("MAILCHIMP_API_KEY is not set")
        try:
            self.api = MailchimpApi(api_key, api_url, dc=dc, timeout=timeout, **adapter)
        except MailchimpError as exc:
            raise AudienceSyncError(str(exc)) from None

    @property
    def host(self):
        return self.api.host

    def list_info(self, list_id):
        return self._call(f"read list {list_id}", lambda mc: mc.lists.get_list(list_id),
                          missing=f"list {list_id}")

    def categories(self, list_id):
        """Every interest category of the list, each with its interests under "interests"."""
        categories = self._all(
            f"read the interest categories of list {list_id}", "categories",
            lambda mc, **page: mc.lists.get_list_interest_categories(list_id, **page),
        )
        for category in categories:
            category["interests"] = self._all(
                f"read the interests of category {category.get('title')!r}", "interests",
                lambda mc, c=category["id"], **page: mc.lists.list_interest_category_interests(
                    list_id, c, **page),
            )
        return categories

    def _all(self, action, key, operation):
        items, offset = [], 0
        while True:
            page = self._call(
                action, lambda mc, at=offset: operation(mc, count=PAGE_SIZE, offset=at))
            batch = page.get(key) or []
            items.extend(batch)
            offset += len(batch)
            if not batch or offset >= page.get("total_items", 0):
                return items

    def _call(self, action, operation, missing=None):
        try:
            answer = self.api.call(action, operation, missing=missing)
        except NotFound as exc:
            raise AudienceSyncError(f"{exc} Check list_id in the audience file.") from None
        except MailchimpError as exc:
            raise AudienceSyncError(str(exc)) from None
        if not isinstance(answer, dict):
            raise AudienceSyncError(f"Mailchimp at {self.host} gave an empty answer to {action}")
        return answer


def sync_audience(audience, mailchimp):
    """The audience data with Mailchimp's ids recorded, and a SyncReport.

    `mailchimp` is a MailchimpAudience (or anything with list_info() and categories()).
    `audience` is not changed; ids of groups no longer found in Mailchimp are dropped.
    """
    info = mailchimp.list_info(audience["list_id"])
    remote = {match_key(c["title"]): c for c in mailchimp.categories(audience["list_id"])}
    report = SyncReport(list_name=info.get("name", audience["list_id"]))
    seen = set()
    categories = []
    for category in audience["interest_categories"]:
        found = remote.get(match_key(category["title"]))
        interests = {match_key(i["name"]): i for i in (found or {}).get("interests", [])}
        groups = []
        for group in category["groups"]:
            group = {k: v for k, v in group.items() if k != "interest_id"}
            interest = interests.get(match_key(group["name"]))
            if interest:
                group["interest_id"] = interest["id"]
                seen.add(interest["id"])
                report.matched.append((category["title"], group["name"], interest["id"]))
            else:
                report.only_in_form.append((category["title"], group["name"]))
            groups.append(group)
        updated = {k: v for k, v in category.items() if k not in ("category_id", "groups")}
        if found:
            updated["category_id"] = found["id"]
        updated["groups"] = groups
        categories.append(updated)
    for category in remote.values():
        for interest in category["interests"]:
            if interest["id"] not in seen:
                report.only_in_mailchimp.append((category["title"], interest["name"]))
    synced = {**audience, "interest_categories": categories, "list_name": report.list_name}
    if "double_optin" in info:
        synced["double_optin"] = bool(info["double_optin"])
    return synced, report


def sync_audience_file(path, api_key, api_url=None, **adapter):
    """Sync the audience file at `path` in place; returns (SyncReport, whether it changed).
    `adapter`: MailchimpApi's options (retry policy, sleep) for tests."""
    audience = read_audience(path)
    mailchimp = MailchimpAudience(api_key, api_url, dc=audience.get("dc"), **adapter)
    synced, report = sync_audience(audience, mailchimp)
    return report, write_audience(path, synced)
