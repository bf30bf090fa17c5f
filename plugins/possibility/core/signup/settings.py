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
    "success": "Thank you for subscribing!",
    "confirm": (
        "Almost done: please check your inbox and click the link in our email "
        "to confirm your subscription."
    ),
    "compact_more": "Choose what you receive",
    "unavailable": "Online signup is not open yet.",
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
    )
