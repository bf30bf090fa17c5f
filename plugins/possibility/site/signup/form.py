"""What the signup templates render: audience data plus settings, in one plain dict.

Pure, so the whole form is decided (and tested) without a build; the templates only lay
it out.
"""

from urllib.parse import urlencode

from possibility.common import is_absolute_url
from possibility.core.signup.audience_file import match_key
from possibility.core.signup.embed_import import PERMISSIONS
from possibility.core.signup.settings import SignupSettingsError

AUTOCOMPLETE = {"EMAIL": "email", "FNAME": "given-name", "LNAME": "family-name", "PHONE": "tel"}


def site_link(url):
    """A link setting as the templates write it: {url, on_site}; an `on_site` url is relative
    to SITEURL (the template puts `{{ SITEURL }}/` before it). None stays None."""
    if url is None:
        return None
    return {"url": url, "on_site": not is_absolute_url(url)}


def form_context(audience, settings):
    """The form the templates render (`SIGNUP.form`), from checked `audience` data and
    SignupSettings."""
    origin = settings.endpoint or f"https://{audience['host']}"
    query = {"u": audience["u"], "id": audience["list_id"]}
    hosted = f"{origin}/subscribe?{urlencode(query)}"
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
        # Mailchimp's own hosted form: where a captcha demand sends the reader (signup.js).
        "hosted": hosted,
        "honeypot": audience["honeypot"],
        "fields": fields,
        "email": next(f for f in fields if f["name"] == "EMAIL"),
        "categories": _categories(audience["interest_categories"], settings.texts),
        "compact_groups": _compact_groups(audience, settings.compact_groups),
        "permissions": audience.get(PERMISSIONS),
        "timeout_ms": settings.timeout_ms,
        "success": settings.texts["confirm" if double_opt_in else "success"],
        # The landing page that says the same as `success`, linked after it (signup.js).
        "next": site_link(settings.thanks_url if double_opt_in else settings.confirmed_url),
    }


def _categories(categories, texts):
    """The interest categories; the first set of checkboxes gets the `hint` line saying what
    ticking none of them means (SIGNUP_TEXTS["empty_choice"]; empty: no line)."""
    hinted = False
    result = []
    for category in categories:
        hint = ""
        if category["type"] == "checkboxes" and not hinted:
            hint, hinted = texts["empty_choice"], True
        result.append({**category, "hint": hint})
    return result


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
