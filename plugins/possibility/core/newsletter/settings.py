"""Every NEWSLETTER_* setting of the emails, read and checked in one place, with its default.

The build (rendering, checks) and the sender (ledger, outbox, digests) both start from
`read_settings(pelican_settings)`, so a bad value fails early with a message that names
the setting and what to write instead. The build's speed switches, which change how fast
the same emails are made and nothing the sender reads (NEWSLETTER_EMAIL_POOL,
NEWSLETTER_EMAIL_CACHE), are read by the build alone: `possibility.site.newsletter
.build_settings`.

Setting (default): meaning.

NEWSLETTER_SITEURL ("https://www.thepossibilitypractice.com"): the public address used
    for links in emails when the build's SITEURL is relative (local builds, so the
    preview works from `invoke serve`); a build with an absolute SITEURL uses that.
NEWSLETTER_OUTPUT_DIR ("newsletter"): the folder of output/ the plugin owns and rewrites:
    <dir>/<slug>/{index.html, email.txt, meta.json}.
NEWSLETTER_CONTENT ("full"): "full" puts the whole post in the email, "summary" its
    summary; both end with "Read on the site".
NEWSLETTER_GROUPS (None): the list's interest groups, which front matter may name. None
    reads them from NEWSLETTER_AUDIENCE_FILE, or uses Articles, Events, Executive
    Coaching Group while that file does not exist.
NEWSLETTER_AUDIENCE_FILE ("audience.json", in PATH): the audience data file
    (`invoke audience-import`) whose interest groups are the known ones.
NEWSLETTER_DEFAULT_GROUPS ([]): who gets a post that names no group and whose category
    maps to none; [] = the whole list.
NEWSLETTER_CATEGORY_GROUPS ({}): category name -> groups, e.g. {"Events": ["Events"]}.
NEWSLETTER_NO_CHOICE_GROUPS (None: NEWSLETTER_DEFAULT_GROUPS): what a subscriber who
    ticked none of the groups of an interest category counts as subscribed to. An email
    for any of these groups also goes to everyone in none of the groups of that group's
    category ("Articles, or none of the groups"), so a reader who ticks nothing gets every
    article; [] turns the rule off. Each must be a known group, whose category's groups are
    known: the audience file's categories, else NEWSLETTER_GROUPS (or the defaults) as one.
NEWSLETTER_TRACK_OPENS (True), NEWSLETTER_TRACK_CLICKS (True): Mailchimp's open and click
    tracking for each campaign (its `tracking.opens`, `html_clicks` and `text_clicks`),
    on by default as in Mailchimp.
NEWSLETTER_UTM ("utm_source=newsletter&utm_medium=email&utm_campaign={slug}"): the query
    added, when a campaign's content is set (send time), to every link to the site in the
    email's HTML and text parts; {slug} is the email's name (the post's slug, or
    digest-<first slug>). Links to other sites, and links already carrying utm_
    parameters, are left alone. "" or None: no UTM tags.
NEWSLETTER_DIGEST_THRESHOLD (3): this many posts due at once, for the same groups, go
    out as one digest; fewer go one email each. 0 = never a digest.
NEWSLETTER_DIGEST_SUBJECT ("{count} new articles from {site}"): a digest's subject.
NEWSLETTER_MAX_HTML_KB (90): larger HTML fails the build (Gmail clips at 102 KB).
NEWSLETTER_MAX_SUBJECT (150): longer subjects fail the build.
NEWSLETTER_IMAGE_MAX_WIDTH (560): wider images (width attribute) are scaled to it.
NEWSLETTER_LEDGER_PATH ("content/newsletter-ledger.json"): the committed ledger.
NEWSLETTER_OUTBOX_PATH ("outbox"): where the outbox backend writes .eml files.
    Relative paths are relative to the project folder (the one holding PATH).
NEWSLETTER_FROM ("<SITENAME> <newsletter@<domain>>"): From: of outbox messages.
NEWSLETTER_TO ("<SITENAME> subscribers <subscribers@<domain>>"): To: of outbox messages.
NEWSLETTER_TEST_TO ([]): addresses that get a test email before each send (as
    `invoke newsletter-send --test-to ADDRESS` does).

Mailchimp (used when MAILCHIMP_API_KEY is set; the key, MAILCHIMP_LIST_ID and
MAILCHIMP_API_URL come from the environment or .env, never from these files):
NEWSLETTER_MAILCHIMP_LIST_ID (None): the list (audience) campaigns go to, when
    MAILCHIMP_LIST_ID is not set; None: the list_id of NEWSLETTER_AUDIENCE_FILE.
NEWSLETTER_MAILCHIMP_FROM_NAME, NEWSLETTER_MAILCHIMP_REPLY_TO (None): the campaigns'
    from name and reply-to address; None: the list's campaign defaults.
NEWSLETTER_MAILCHIMP_SEND ("send"): "send" at once, or "schedule" for the first
    quarter-hour after NEWSLETTER_MAILCHIMP_SCHEDULE_DELAY minutes (60), so that the
    author can still cancel (invoke newsletter-cancel SLUG). Scheduling needs a paid plan.
NEWSLETTER_MAILCHIMP_TIMEOUT (30): seconds to wait for each answer.
NEWSLETTER_MAILCHIMP_ATTEMPTS (5), NEWSLETTER_MAILCHIMP_BACKOFF (1.0),
NEWSLETTER_MAILCHIMP_BACKOFF_CAP (30): tries per request after a 429, a 5xx or a network
    error, the first wait in seconds (doubling, with jitter) and the longest one.
"""

import json
from dataclasses import dataclass, field, replace
from email.headerregistry import Address
from email.utils import formataddr, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from possibility.common import (
    SettingsError,
    absolute_siteurl,
    choice,
    is_absolute_url,
    names,
    number,
    switch,
)

PRODUCTION_SITEURL = "https://www.thepossibilitypractice.com"
DEFAULT_GROUPS = ("Articles", "Events", "Executive Coaching Group")
DEFAULT_UTM = "utm_source=newsletter&utm_medium=email&utm_campaign={slug}"
CONTENT_MODES = ("full", "summary")
SEND_MODES = ("send", "schedule")


class NewsletterSettingsError(SettingsError):
    """A NEWSLETTER_* setting cannot be used; the message names it and the fix."""


@dataclass(frozen=True)
class MailchimpSettings:
    """NEWSLETTER_MAILCHIMP_*; `audience_path` is NEWSLETTER_AUDIENCE_FILE (group ids)."""

    list_id: str = ""
    from_name: str = ""
    reply_to: str = ""
    send_mode: str = "send"
    schedule_delay: int = 60  # minutes
    timeout: float = 30.0
    attempts: int = 5
    backoff: float = 1.0
    backoff_cap: float = 30.0
    audience_path: Path | None = None


@dataclass(frozen=True)
class NewsletterSettings:
    siteurl: str
    site_name: str
    site_tagline: str
    output_dir: str = "newsletter"
    content: str = "full"
    known_groups: tuple = DEFAULT_GROUPS
    groups_source: str = "the default NEWSLETTER_GROUPS"
    default_groups: tuple = ()
    category_groups: dict = field(default_factory=dict)
    no_choice_groups: tuple = ()
    # Each group of `no_choice_groups`, with every group of its interest category.
    no_choice_categories: tuple = ()  # ((group, (its category's groups, ...)), ...)
    track_opens: bool = True
    track_clicks: bool = True
    utm: str = ""  # the query template ({slug}); "" = none
    digest_threshold: int = 3
    digest_subject: str = "{count} new articles from {site}"
    max_html_bytes: int = 90 * 1024
    max_subject: int = 150
    image_max_width: int = 560
    ledger_path: Path = Path("content/newsletter-ledger.json")
    outbox_path: Path = Path("outbox")
    from_address: str = ""
    to_address: str = ""
    test_to: tuple = ()
    theme_templates: Path | None = None
    date_format: str = "%B %-d, %Y"
    lang: str = "en"
    mailchimp: MailchimpSettings = field(default_factory=MailchimpSettings)

    @property
    def domain(self):
        host = urlsplit(self.siteurl).hostname or "localhost"
        return host.removeprefix("www.")


def read_settings(pelican_settings):
    """NewsletterSettings from Pelican's settings dict; NewsletterSettingsError if bad."""
    s = pelican_settings
    content_path = Path(s.get("PATH", "content"))
    project = content_path.parent
    siteurl = absolute_siteurl(s)
    if siteurl is None:
        siteurl = str(s.get("NEWSLETTER_SITEURL", PRODUCTION_SITEURL) or "").rstrip("/")
        if not is_absolute_url(siteurl):
            raise NewsletterSettingsError(
                f"NEWSLETTER_SITEURL is {siteurl!r}: emails need absolute links. Write the "
                f"site's public address, e.g. NEWSLETTER_SITEURL = {PRODUCTION_SITEURL!r}."
            )
    site_name = str(s.get("SITENAME", ""))
    known, source, categories = _known_groups(s, content_path)
    default_groups = _groups(s, "NEWSLETTER_DEFAULT_GROUPS", ())
    no_choice = _no_choice_groups(s, default_groups)
    settings = NewsletterSettings(
        siteurl=siteurl,
        site_name=site_name,
        site_tagline=str(s.get("SITESUBTITLE") or ""),
        output_dir=_folder_name(s.get("NEWSLETTER_OUTPUT_DIR", "newsletter")),
        content=_choice(s, "NEWSLETTER_CONTENT", "full", CONTENT_MODES),
        known_groups=known,
        groups_source=source,
        default_groups=default_groups,
        category_groups=_category_groups(s),
        no_choice_groups=no_choice,
        track_opens=_flag(s, "NEWSLETTER_TRACK_OPENS"),
        track_clicks=_flag(s, "NEWSLETTER_TRACK_CLICKS"),
        utm=_utm(s),
        digest_threshold=_digest_threshold(s),
        digest_subject=_digest_subject(s),
        max_html_bytes=_positive_int(s, "NEWSLETTER_MAX_HTML_KB", 90) * 1024,
        max_subject=_positive_int(s, "NEWSLETTER_MAX_SUBJECT", 150),
        image_max_width=_positive_int(s, "NEWSLETTER_IMAGE_MAX_WIDTH", 560),
        ledger_path=_path(s, "NEWSLETTER_LEDGER_PATH", "content/newsletter-ledger.json", project),
        outbox_path=_path(s, "NEWSLETTER_OUTBOX_PATH", "outbox", project),
        test_to=_addresses(s, "NEWSLETTER_TEST_TO"),
        theme_templates=Path(s["THEME"]) / "templates" / "newsletter" if s.get("THEME") else None,
        date_format=str(s.get("DEFAULT_DATE_FORMAT") or "%B %-d, %Y"),
        lang=str(s.get("DEFAULT_LANG") or "en"),
        mailchimp=_mailchimp(s, content_path),
    )
    domain = settings.domain
    from_address = _address(s, "NEWSLETTER_FROM", formataddr((site_name, f"newsletter@{domain}")))
    to_address = _address(
        s, "NEWSLETTER_TO", formataddr((f"{site_name} subscribers", f"subscribers@{domain}"))
    )
    for name, groups in [("NEWSLETTER_DEFAULT_GROUPS", settings.default_groups)] + [
        (f"NEWSLETTER_CATEGORY_GROUPS[{c!r}]", g) for c, g in settings.category_groups.items()
    ]:
        unknown = [g for g in groups if g not in known]
        if unknown:
            raise NewsletterSettingsError(
                f"{name} names {', '.join(map(repr, unknown))}, which is not an interest group "
                f"of the list. Known groups ({source}): {', '.join(known)}."
            )
    return replace(settings, from_address=from_address, to_address=to_address,
                   no_choice_categories=_no_choice_categories(no_choice, known, source,
                                                              categories))


def interest_groups_from_audience(data):
    """Group names of every interest category in the audience data file (issue 4's format)."""
    names = []
    for category in data.get("interest_categories", []):
        for group in category.get("groups", []):
            names.append(str(group["name"]))
    return tuple(names)


def interest_categories_from_audience(data):
    """The group names of each interest category of the audience data file, in order."""
    return tuple(
        tuple(str(group["name"]) for group in category.get("groups", []))
        for category in data.get("interest_categories", [])
    )


def _known_groups(s, content_path):
    """(group names, where they come from, the groups of each interest category)."""
    explicit = s.get("NEWSLETTER_GROUPS")
    if explicit is not None:
        names = _groups(s, "NEWSLETTER_GROUPS", ())
        return names, "NEWSLETTER_GROUPS", (names,)
    audience = s.get("NEWSLETTER_AUDIENCE_FILE", "audience.json")
    if audience:
        path = content_path / audience
        if path.is_file():
            try:
                data = json.loads(path.read_text("utf-8"))
                names = interest_groups_from_audience(data)
                categories = interest_categories_from_audience(data)
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise NewsletterSettingsError(
                    f"cannot read the interest groups in {path}: {exc}. Repair the file "
                    "(invoke audience-import) or set NEWSLETTER_GROUPS."
                ) from None
            if names:
                return names, str(path.name), categories
    return DEFAULT_GROUPS, "the default NEWSLETTER_GROUPS", (DEFAULT_GROUPS,)


def _no_choice_groups(s, default_groups):
    value = s.get("NEWSLETTER_NO_CHOICE_GROUPS")
    if value is None:
        return default_groups
    return _groups(s, "NEWSLETTER_NO_CHOICE_GROUPS", ())


def _no_choice_categories(groups, known, source, categories):
    """Each no-choice group with every group of its interest category: the "none of the
    groups" rule needs them all, so a group in no known category, or in two, stops here."""
    rules = []
    for group in groups:
        found = [category for category in categories if group in category]
        if group not in known or not found:
            raise NewsletterSettingsError(
                f"NEWSLETTER_NO_CHOICE_GROUPS names {group!r}, which is not an interest group "
                f"of the list, so the rule '{group}, or none of the groups' cannot be "
                f"written. Known groups ({source}): {', '.join(known)}. Set "
                "NEWSLETTER_NO_CHOICE_GROUPS = [] to send only to those who ticked a group."
            )
        if len(found) > 1:
            raise NewsletterSettingsError(
                f"NEWSLETTER_NO_CHOICE_GROUPS (by default NEWSLETTER_DEFAULT_GROUPS) names "
                f"{group!r}, which is a group of "
                f"{len(found)} interest categories in {source}: 'none of the groups' would "
                "not say of which. Give the groups different names in Mailchimp, then run "
                "invoke audience-import again."
            )
        rules.append((group, found[0]))
    return tuple(rules)


def _flag(s, name):
    return switch(name, s.get(name, True), error=NewsletterSettingsError)


def _utm(s):
    """NEWSLETTER_UTM checked: a query of name=value pairs, {slug} the only placeholder."""
    value = s.get("NEWSLETTER_UTM", DEFAULT_UTM)
    if value is None or value == "":
        return ""
    example = f"write a query such as {DEFAULT_UTM!r}, or '' for no UTM tags."
    if not isinstance(value, str):
        raise NewsletterSettingsError(f"NEWSLETTER_UTM is {value!r}: {example}")
    try:
        filled = value.lstrip("?").format(slug="x")
    except (KeyError, IndexError, ValueError):
        raise NewsletterSettingsError(
            f"NEWSLETTER_UTM is {value!r}: only {{slug}} may be used; {example}") from None
    pairs = [part.partition("=") for part in filled.split("&")]
    if any(not name or not equals or not val or any(c in name + val for c in " #?")
           for name, equals, val in pairs):
        raise NewsletterSettingsError(f"NEWSLETTER_UTM is {value!r}: {example}")
    return value.lstrip("?")


def _folder_name(value):
    name = str(value or "").strip("/")
    if not name or "/" in name or name in (".", ".."):
        raise NewsletterSettingsError(
            f"NEWSLETTER_OUTPUT_DIR is {value!r}: write one folder name, e.g. 'newsletter'."
        )
    return name


def _category_groups(s):
    value = s.get("NEWSLETTER_CATEGORY_GROUPS", {})
    if not isinstance(value, dict):
        raise NewsletterSettingsError(
            f"NEWSLETTER_CATEGORY_GROUPS is {value!r}: write a dict such as "
            "{'Events': ['Events']}."
        )
    return {
        str(category): _groups({name: groups}, name, ())
        for category, groups in value.items()
        for name in [f"NEWSLETTER_CATEGORY_GROUPS[{category!r}]"]
    }


def _digest_threshold(s):
    value = s.get("NEWSLETTER_DIGEST_THRESHOLD", 3)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value == 1:
        raise NewsletterSettingsError(
            f"NEWSLETTER_DIGEST_THRESHOLD is {value!r}: write 0 (never a digest) or a number "
            "of posts, 2 or more, from which posts due at once go out as one digest."
        )
    return value


def _digest_subject(s):
    value = s.get("NEWSLETTER_DIGEST_SUBJECT", "{count} new articles from {site}")
    try:
        str(value).format(count=2, site="x")
    except (KeyError, IndexError, ValueError):
        raise NewsletterSettingsError(
            f"NEWSLETTER_DIGEST_SUBJECT is {value!r}: only {{count}} and {{site}} may be used."
        ) from None
    return str(value)


def _path(s, name, default, base):
    value = s.get(name, default)
    if not value:
        raise NewsletterSettingsError(f"{name} is empty: write a path such as {default!r}.")
    path = Path(value)
    return path if path.is_absolute() else base / path


def _address(s, name, default):
    value = str(s.get(name) or default)
    _, addr = parseaddr(value)
    try:
        Address(addr_spec=addr)
    except (ValueError, IndexError):
        addr = ""
    if "@" not in addr:
        raise NewsletterSettingsError(
            f"{name} is {value!r}: write an address such as 'Name <name@example.com>'."
        )
    return value


def _addresses(s, name):
    value = s.get(name) or ()
    if isinstance(value, str):
        value = [value]
    return tuple(_address({name: v}, name, "") for v in value)


def _mailchimp(s, content_path):
    reply_to = str(s.get("NEWSLETTER_MAILCHIMP_REPLY_TO") or "")
    if reply_to:
        _address({"NEWSLETTER_MAILCHIMP_REPLY_TO": reply_to}, "NEWSLETTER_MAILCHIMP_REPLY_TO", "")
        if parseaddr(reply_to)[1] != reply_to:
            raise NewsletterSettingsError(
                f"NEWSLETTER_MAILCHIMP_REPLY_TO is {reply_to!r}: write the address alone, "
                "e.g. 'karen@example.com' (the name is NEWSLETTER_MAILCHIMP_FROM_NAME)."
            )
    audience = s.get("NEWSLETTER_AUDIENCE_FILE", "audience.json")
    return MailchimpSettings(
        list_id=str(s.get("NEWSLETTER_MAILCHIMP_LIST_ID") or ""),
        from_name=str(s.get("NEWSLETTER_MAILCHIMP_FROM_NAME") or ""),
        reply_to=reply_to,
        send_mode=_choice(s, "NEWSLETTER_MAILCHIMP_SEND", "send", SEND_MODES),
        schedule_delay=_number(s, "NEWSLETTER_MAILCHIMP_SCHEDULE_DELAY", 60, 0, whole=True),
        timeout=_number(s, "NEWSLETTER_MAILCHIMP_TIMEOUT", 30.0, 0.001),
        attempts=_positive_int(s, "NEWSLETTER_MAILCHIMP_ATTEMPTS", 5),
        backoff=_number(s, "NEWSLETTER_MAILCHIMP_BACKOFF", 1.0, 0),
        backoff_cap=_number(s, "NEWSLETTER_MAILCHIMP_BACKOFF_CAP", 30.0, 0),
        audience_path=content_path / audience if audience else None,
    )


def _choice(s, name, default, choices):
    return choice(name, s.get(name, default), choices, error=NewsletterSettingsError)


def _groups(s, name, default):
    return names(name, s.get(name, default), ["Articles"], what="group names",
                 error=NewsletterSettingsError)


def _positive_int(s, name, default):
    return number(name, s.get(name, default), 1, whole=True, error=NewsletterSettingsError)


def _number(s, name, default, minimum, whole=False):
    return number(name, s.get(name, default), minimum, whole=whole,
                  error=NewsletterSettingsError)
