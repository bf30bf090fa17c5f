"""Every SIGNUP_* setting, read and checked in one place, with its default.

SIGNUP_AUDIENCE_FILE ["audience.json"]
    The audience data file (written by `invoke audience-import`), relative to PATH (the
    content folder) unless absolute. Empty or None turns the form off; so does a missing
    file. Either way the signup slots then invite readers without a form.
SIGNUP_ENDPOINT [None]
    "scheme://host[:port]" that receives the form instead of the list's own
    ACCOUNT.DC.list-manage.com host: for tests and proxies.
SIGNUP_TIMEOUT_MS [10000]
    How long the page waits for Mailchimp's answer before telling the reader it did not come.
SIGNUP_DOUBLE_OPT_IN [None]
    Whether the list asks new subscribers to confirm (the success message then says "check
    your inbox"). None: as recorded by `invoke audience-sync`, or True if never synced.
SIGNUP_COMPACT_GROUPS [()]
    Names of interest groups that a signup through the compact footer form joins (that
    form has no room for choices).
SIGNUP_THANKS_URL ["subscribe/thanks/"], SIGNUP_CONFIRMED_URL ["subscribe/confirmed/"]
    The site's own landing pages, relative to SITEURL (or absolute http(s) URLs): "check
    your inbox to confirm" and "you're confirmed". Mailchimp sends readers there after a
    signup without JavaScript once its form settings name them (README "Signup form"); the
    page script links the reader to the same page after a signup on the page.
SIGNUP_ARCHIVE_URL ["past-issues/"]
    The past issues, relative to SITEURL (or an absolute http(s) URL): linked ("See past
    issues") beside every signup form. Empty or None: no link.
SIGNUP_TEXTS [{}]
    Replacements for any of the texts in DEFAULT_TEXTS (keys as there).
"""

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from possibility.common import SettingsError, names, number

DEFAULT_TEXTS = {
    "heading": "Want more possibility?",
    "intro": "Get {sitename} delivered to your inbox.",
    "required": "indicates required",
    "button": "Subscribe",
    "sending": "Subscribing…",
    # The page script's answers; the landing pages (content/pages/subscribe-*.md) say the same.
    "success": "You're confirmed: thank you for subscribing!",
    "confirm": (
        "Thank you — check your inbox to confirm: click the link in the email we have just "
        "sent you."
    ),
    "next": "What happens next",
    "compact_more": "Choose what you receive",
    "unavailable": "Online signup is not open yet.",
    # Under the first set of checkbox choices: what a reader who ticks none of them receives.
    "empty_choice": "Tick nothing to get every article.",
    # Mailchimp's reCAPTCHA: the page script sends the reader to Mailchimp's own form.
    "captcha": (
        "Mailchimp wants to check you are not a robot: taking you to its signup page, "
        "with your address filled in."
    ),
    "captcha_link": "Go to Mailchimp's signup page now",
    # The heading of the list's marketing permissions when its embed code has none.
    "consent": "Marketing permissions",
    "archive": "See past issues",
}


class SignupSettingsError(SettingsError):
    """A SIGNUP_* setting has a value the plugin cannot use; the message says which."""


@dataclass(frozen=True)
class SignupSettings:
    audience_file: Path | None
    endpoint: str | None = None
    timeout_ms: int = 10000
    double_opt_in: bool | None = None
    compact_groups: tuple = ()
    texts: dict = field(default_factory=dict)
    thanks_url: str = "subscribe/thanks/"
    confirmed_url: str = "subscribe/confirmed/"
    archive_url: str | None = "past-issues/"


def read_settings(settings):
    """The plugin's settings from Pelican's `settings` dict, checked."""
    audience_file = settings.get("SIGNUP_AUDIENCE_FILE", "audience.json")
    if audience_file:
        audience_file = Path(settings.get("PATH", ".")) / audience_file
    else:
        audience_file = None

    endpoint = settings.get("SIGNUP_ENDPOINT") or None
    if endpoint is not None:
        parts = urlsplit(str(endpoint))
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/") \
                or parts.query:
            raise SignupSettingsError(
                f"SIGNUP_ENDPOINT must look like 'https://host' or 'http://127.0.0.1:8080' "
                f"(no path), not {endpoint!r}"
            )
        endpoint = f"{parts.scheme}://{parts.netloc}"

    timeout = number("SIGNUP_TIMEOUT_MS", settings.get("SIGNUP_TIMEOUT_MS", 10000), 1,
                     whole=True, error=SignupSettingsError)

    double_opt_in = settings.get("SIGNUP_DOUBLE_OPT_IN")
    if double_opt_in is not None and not isinstance(double_opt_in, bool):
        raise SignupSettingsError(
            f"SIGNUP_DOUBLE_OPT_IN must be True, False or None, not {double_opt_in!r}"
        )

    compact_groups = names("SIGNUP_COMPACT_GROUPS", settings.get("SIGNUP_COMPACT_GROUPS", ()),
                           ["Articles"], what="group names", error=SignupSettingsError)

    overrides = settings.get("SIGNUP_TEXTS") or {}
    unknown = sorted(set(overrides) - set(DEFAULT_TEXTS))
    if unknown:
        raise SignupSettingsError(
            f"SIGNUP_TEXTS has unknown keys {unknown}; the known ones are {sorted(DEFAULT_TEXTS)}"
        )
    sitename = settings.get("SITENAME", "")
    texts = {key: text.format(sitename=sitename) for key, text in DEFAULT_TEXTS.items()}
    texts.update(overrides)

    return SignupSettings(
        audience_file=audience_file,
        endpoint=endpoint,
        timeout_ms=timeout,
        double_opt_in=double_opt_in,
        compact_groups=tuple(compact_groups),
        texts=texts,
        thanks_url=_site_link(settings, "SIGNUP_THANKS_URL", "subscribe/thanks/"),
        confirmed_url=_site_link(settings, "SIGNUP_CONFIRMED_URL", "subscribe/confirmed/"),
        archive_url=_site_link(settings, "SIGNUP_ARCHIVE_URL", "past-issues/",
                               optional=True),
    )


def _site_link(settings, name, default, optional=False):
    """A link setting: a path relative to SITEURL ("past-issues/", a leading "/" is
    dropped) or an absolute http(s) URL, kept as it is; None when `optional` and empty.

    Templates write `{{ SITEURL }}/` before a relative one (see `site_link` in
    partials/signup.html), so it follows RELATIVE_URLS like every other link.
    """
    value = settings.get(name, default)
    if value is None or value == "":
        if optional:
            return None
        raise SignupSettingsError(f"{name} must name a page of the site, such as {default!r}")
    if not isinstance(value, str) or any(c.isspace() for c in value) or '"' in value:
        raise SignupSettingsError(
            f"{name} must be a path relative to SITEURL such as {default!r}, or an absolute "
            f"http(s) URL, not {value!r}"
        )
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SignupSettingsError(
                f"{name} must be a path relative to SITEURL such as {default!r}, or an "
                f"absolute http(s) URL, not {value!r}"
            )
        return value
    return value.lstrip("/")
