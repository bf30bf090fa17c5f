"""Record Mailchimp's API ids beside the form's interest groups, matched by name.

The embed code names a group by its form field (`group[13157][4]`); the Marketing API,
which the newsletter pipeline uses to target a campaign, knows it only by a hex id. The
two are tied together by the category's and the group's names, and any group that exists
on one side only is reported rather than guessed at.

Talks to Mailchimp through the official `mailchimp-marketing` client only. The API key
is never printed and never written: every message that could quote it is scrubbed.
"""

import json
from dataclasses import dataclass, field

from .audience_file import match_key, read_audience, write_audience

PAGE_SIZE = 100


class AudienceSyncError(RuntimeError):
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
    """Reads one list through the official client; errors become AudienceSyncError."""

    def __init__(self, api_key, api_url=None, dc=None, timeout=30):
        from mailchimp_marketing import Client

        if not api_key:
            raise AudienceSyncError("MAILCHIMP_API_KEY is not set")
        key_dc = api_key.rpartition("-")[2] if "-" in api_key else ""
        if api_url:
            host = api_url.rstrip("/")
        elif key_dc or dc:
            host = f"https://{key_dc or dc}.api.mailchimp.com/3.0"
        else:
            raise AudienceSyncError(
                "MAILCHIMP_API_KEY does not end in -DC (such as -us21): copy the whole key"
            )
        self._secret = api_key
        self.host = host
        # An empty `server` stops the client from rewriting "server" anywhere in the URL;
        # the host is then used exactly as given (its Configuration().host is never read).
        self.client = Client({"api_key": api_key, "server": "", "timeout": timeout})
        self.client.api_client.host = host

    def list_info(self, list_id):
        return self._call(f"list {list_id}", self.client.lists.get_list, list_id)

    def categories(self, list_id):
        """Every interest category of the list, each with its interests under "interests"."""
        categories = self._all(
            f"the interest categories of list {list_id}", "categories",
            self.client.lists.get_list_interest_categories, list_id,
        )
        for category in categories:
            category["interests"] = self._all(
                f"the interests of category {category.get('title')!r}", "interests",
                self.client.lists.list_interest_category_interests, list_id, category["id"],
            )
        return categories

    def _all(self, what, key, method, *args):
        items, offset = [], 0
        while True:
            page = self._call(what, method, *args, count=PAGE_SIZE, offset=offset)
            batch = page.get(key) or []
            items.extend(batch)
            offset += len(batch)
            if not batch or offset >= page.get("total_items", 0):
                return items

    def _call(self, what, method, *args, **kwargs):
        from mailchimp_marketing.api_client import ApiClientError

        try:
            answer = method(*args, **kwargs)
        except ApiClientError as exc:
            raise AudienceSyncError(self._scrub(self._explain(what, exc))) from None
        if not isinstance(answer, dict):
            status = getattr(answer, "status_code", "?")
            raise AudienceSyncError(
                f"Mailchimp at {self.host} gave an empty answer (HTTP {status}) for {what}"
            )
        return answer

    def _explain(self, what, exc):
        detail = exc.text
        if isinstance(detail, str) and detail.lstrip().startswith("{"):
            try:
                detail = json.loads(detail)
            except ValueError:
                pass
        if isinstance(detail, dict):
            detail = detail.get("detail") or detail.get("title") or detail
        detail = " ".join(str(detail).split())[:300]
        if exc.status_code is None:
            return f"could not reach the Mailchimp API at {self.host}: {detail}"
        if exc.status_code in (401, 403):
            return (f"Mailchimp refused the API key (HTTP {exc.status_code}: {detail}); "
                    "check MAILCHIMP_API_KEY")
        if exc.status_code == 404:
            return (f"Mailchimp has no {what} (HTTP 404: {detail}); "
                    "check list_id in the audience file")
        return f"Mailchimp answered HTTP {exc.status_code} for {what}: {detail}"

    def _scrub(self, text):
        return text.replace(self._secret, "[MAILCHIMP_API_KEY]")


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


def sync_audience_file(path, api_key, api_url=None):
    """Sync the audience file at `path` in place; returns (SyncReport, whether it changed)."""
    audience = read_audience(path)
    mailchimp = MailchimpAudience(api_key, api_url, dc=audience.get("dc"))
    synced, report = sync_audience(audience, mailchimp)
    return report, write_audience(path, synced)
