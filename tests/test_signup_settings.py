"""SIGNUP_* settings and the form they make with the audience data (possibility.site.signup)."""

import json
from pathlib import Path

import pytest

from possibility.core.signup.settings import DEFAULT_TEXTS, SignupSettingsError, read_settings
from possibility.site.signup.form import form_context

AUDIENCE = json.loads(
    (Path(__file__).parent.parent / "content" / "audience.json").read_text(encoding="utf-8")
)


def test_defaults():
    settings = read_settings({"PATH": "/site/content", "SITENAME": "The Possibility Practice"})
    assert settings.audience_file == Path("/site/content/audience.json")
    assert settings.endpoint is None
    assert settings.timeout_ms == 10000
    assert settings.double_opt_in is None
    assert settings.compact_groups == ()
    assert settings.texts["intro"] == "Get The Possibility Practice delivered to your inbox."
    assert settings.texts.keys() == DEFAULT_TEXTS.keys()


@pytest.mark.parametrize("off", ["", None])
def test_an_empty_audience_file_setting_turns_the_form_off(off):
    assert read_settings({"PATH": "c", "SIGNUP_AUDIENCE_FILE": off}).audience_file is None


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SIGNUP_ENDPOINT", "127.0.0.1:8000", "SIGNUP_ENDPOINT"),
        ("SIGNUP_ENDPOINT", "https://proxy.test/subscribe/post", "no path"),
        ("SIGNUP_TIMEOUT_MS", 0, "positive whole number"),
        ("SIGNUP_TIMEOUT_MS", "10s", "positive whole number"),
        ("SIGNUP_DOUBLE_OPT_IN", "yes", "True, False or None"),
        ("SIGNUP_COMPACT_GROUPS", "Articles", "list of group names"),
        ("SIGNUP_TEXTS", {"buton": "Go"}, "unknown keys ['buton']"),
    ],
)
def test_a_wrong_setting_is_named(name, value, says):
    with pytest.raises(SignupSettingsError) as error:
        read_settings({"PATH": "c", name: value})
    assert says in str(error.value)


def test_form_posts_to_the_lists_own_host_with_u_id_and_f_id():
    form = form_context(AUDIENCE, read_settings({"PATH": "c"}))
    assert form["action"] == (
        "https://thepossibilitypractice.us21.list-manage.com/subscribe/post"
        "?u=8f3b1e2d4c5a6b7c8d9e0f1a2&id=7c9e1a4b2d&f_id=00e5c8e1f0"
    )
    assert form["honeypot"] == "b_8f3b1e2d4c5a6b7c8d9e0f1a2_7c9e1a4b2d"
    assert [(f["name"], f["autocomplete"]) for f in form["fields"]] == [
        ("EMAIL", "email"), ("FNAME", "given-name")]
    assert form["timeout_ms"] == 10000


def test_endpoint_setting_replaces_only_scheme_and_host():
    settings = read_settings({"PATH": "c", "SIGNUP_ENDPOINT": "http://127.0.0.1:8123/"})
    action = form_context({**AUDIENCE, "form_id": None}, settings)["action"]
    assert action == "http://127.0.0.1:8123/subscribe/post?u=8f3b1e2d4c5a6b7c8d9e0f1a2&id=7c9e1a4b2d"


@pytest.mark.parametrize(
    ("setting", "recorded", "says_confirm"),
    [(None, True, True), (None, False, False), (True, False, True), (False, True, False)],
)
def test_success_message_asks_to_confirm_when_the_list_uses_double_opt_in(
    setting, recorded, says_confirm
):
    settings = read_settings({"PATH": "c", "SIGNUP_DOUBLE_OPT_IN": setting})
    success = form_context({**AUDIENCE, "double_optin": recorded}, settings)["success"]
    assert ("check your inbox" in success) is says_confirm


def test_compact_form_joins_the_named_groups_and_rejects_unknown_names():
    settings = read_settings({"PATH": "c", "SIGNUP_COMPACT_GROUPS": ["articles"]})
    [group] = form_context(AUDIENCE, settings)["compact_groups"]
    assert (group["field"], group["value"]) == ("group[13157][1]", "1")
    wrong = read_settings({"PATH": "c", "SIGNUP_COMPACT_GROUPS": ["Podcasts"]})
    with pytest.raises(SignupSettingsError, match="Podcasts"):
        form_context(AUDIENCE, wrong)


def test_texts_can_be_replaced_one_by_one():
    texts = read_settings({"PATH": "c", "SIGNUP_TEXTS": {"button": "Count me in"}}).texts
    assert texts["button"] == "Count me in"
    assert texts["heading"] == DEFAULT_TEXTS["heading"]


def test_the_empty_choice_line_goes_under_the_first_set_of_checkboxes_only():
    texts = read_settings({"PATH": "c"}).texts
    assert texts["empty_choice"] == "Tick nothing to get every article."
    radio = {"group_id": "1", "title": "How often?", "type": "radio", "groups": [
        {"name": "Weekly", "field": "group[1]", "value": "1"}]}
    second = {**AUDIENCE["interest_categories"][0], "title": "Also:"}
    audience = {**AUDIENCE, "interest_categories": [radio, *AUDIENCE["interest_categories"],
                                                    second]}
    categories = form_context(audience, read_settings({"PATH": "c"}))["categories"]
    assert [c["hint"] for c in categories] == ["", "Tick nothing to get every article.", ""]
    quiet = read_settings({"PATH": "c", "SIGNUP_TEXTS": {"empty_choice": ""}})
    assert [c["hint"] for c in form_context(AUDIENCE, quiet)["categories"]] == [""]
    mine = read_settings({"PATH": "c", "SIGNUP_TEXTS": {"empty_choice": "None ticked: all."}})
    assert form_context(AUDIENCE, mine)["categories"][0]["hint"] == "None ticked: all."


def test_a_captcha_sends_the_reader_to_the_lists_hosted_form():
    form = form_context(AUDIENCE, read_settings({"PATH": "c"}))
    assert form["hosted"] == (
        "https://thepossibilitypractice.us21.list-manage.com/subscribe"
        "?u=8f3b1e2d4c5a6b7c8d9e0f1a2&id=7c9e1a4b2d"
    )
    local = read_settings({"PATH": "c", "SIGNUP_ENDPOINT": "http://127.0.0.1:8123"})
    assert form_context(AUDIENCE, local)["hosted"].startswith("http://127.0.0.1:8123/subscribe?u=")
    assert "not a robot" in local.texts["captcha"]


@pytest.mark.parametrize(
    ("setting", "recorded", "page"),
    [(None, True, "subscribe/thanks/"), (None, False, "subscribe/confirmed/"),
     (False, True, "subscribe/confirmed/")],
)
def test_the_message_after_a_signup_links_to_the_landing_page_that_says_the_same(
    setting, recorded, page
):
    settings = read_settings({"PATH": "c", "SIGNUP_DOUBLE_OPT_IN": setting})
    form = form_context({**AUDIENCE, "double_optin": recorded}, settings)
    assert form["next"] == {"url": page, "on_site": True}
    wording = {"subscribe/thanks/": "Thank you — check your inbox to confirm",
               "subscribe/confirmed/": "You're confirmed"}[page]
    assert form["success"].startswith(wording)


@pytest.mark.parametrize(
    ("value", "link"),
    [
        ("past-issues/", "past-issues/"),
        ("/issues/", "issues/"),
        ("https://us21.campaign-archive.com/home/?u=8f3b&id=7c9e",
         "https://us21.campaign-archive.com/home/?u=8f3b&id=7c9e"),
        ("", None),
        (None, None),
    ],
)
def test_the_archive_link_setting(value, link):
    assert read_settings({"PATH": "c"}).archive_url == "past-issues/"
    assert read_settings({"PATH": "c", "SIGNUP_ARCHIVE_URL": value}).archive_url == link


@pytest.mark.parametrize(
    ("name", "value"),
    [("SIGNUP_ARCHIVE_URL", "ftp://host/x/"), ("SIGNUP_ARCHIVE_URL", "past issues/"),
     ("SIGNUP_THANKS_URL", ""), ("SIGNUP_CONFIRMED_URL", 7)],
)
def test_a_wrong_link_setting_is_named(name, value):
    with pytest.raises(SignupSettingsError, match=name):
        read_settings({"PATH": "c", name: value})


def test_the_landing_pages_the_build_looks_for():
    from possibility.site.signup import missing_landing_pages

    settings = {"PATH": "c"}
    assert missing_landing_pages(settings, {"subscribe/thanks/", "subscribe/confirmed/"}) == []
    assert missing_landing_pages(settings, {"subscribe/thanks/"}) == [
        ("SIGNUP_CONFIRMED_URL", "subscribe/confirmed/")]
    elsewhere = {**settings, "SIGNUP_THANKS_URL": "https://example.org/thanks/"}
    assert missing_landing_pages(elsewhere, set()) == [
        ("SIGNUP_CONFIRMED_URL", "subscribe/confirmed/")]
