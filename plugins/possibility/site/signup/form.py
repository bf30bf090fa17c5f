"""What the signup templates render: audience data plus settings, in one plain dict.

Pure, so the whole form is decided (and tested) without a build; the templates only lay
it out.
"""

from urllib.parse import urlencode

from possibility.core.signup.audience_file import match_key
from possibility.core.signup.settings import SignupSettingsError

AUTOCOMPLETE = {"EMAIL": "email", "FNAME": "given-name", "LNAME": "family-name", "PHONE": "tel"}


def form_context(audience, settings):
    """The form the templates render (`SIGNUP.form`), from checked `audience` data and
    SignupSettings."""
    origin = settings.endpoint or f"https://{audience['host']}"
    query = {"u": audience["u"], "id": audience["list_id"]}
    if audience.get("form_id"):
        query["f_id"] = audience["form_id"]
    double_opt_in = settings.double_opt_in
    if double_opt_in is None:
        double_opt_in = audience.get("double_optin", True)
    fields = [
        {**f, "type": f.get("type") or "text", "autocomplete": AUTOCOMPLETE.get(f["name"], "")}
        for f in audience["fields"]
    ]
    return {
        "action": f"{origin}/subscribe/post?{urlencode(query)}",
        "honeypot": audience["honeypot"],
        "fields": fields,
        "email": next(f for f in fields if f["name"] == "EMAIL"),
        "categories": audience["interest_categories"],
        "compact_groups": _compact_groups(audience, settings.compact_groups),
        "timeout_ms": settings.timeout_ms,
        "success": settings.texts["confirm" if double_opt_in else "success"],
    }


def _compact_groups(audience, names):
    """The (field, value) pairs the compact form sends for the groups it joins by default."""
    groups = {
        match_key(group["name"]): group
        for category in audience["interest_categories"]
        for group in category["groups"]
    }
    missing = [name for name in names if match_key(name) not in groups]
    if missing:
        raise SignupSettingsError(
            f"SIGNUP_COMPACT_GROUPS names {missing}, which the form does not have; "
            f"its groups are {sorted(g['name'] for g in groups.values())}"
        )
    return [groups[match_key(name)] for name in names]
