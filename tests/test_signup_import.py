"""The embed-code importer and the audience file it writes (possibility.site.signup)."""

import json
from pathlib import Path

import pytest

from possibility.core.signup.audience_file import (
    AudienceFileError,
    describe_audience,
    import_embed_code,
    read_audience,
    write_audience,
)
from possibility.core.signup.embed_import import EmbedCodeError, parse_embed_code

EMBED = Path(__file__).parent / "fixtures" / "embed"
U, LIST_ID, FORM_ID = "8f3b1e2d4c5a6b7c8d9e0f1a2", "7c9e1a4b2d", "00e5c8e1f0"
HONEYPOT = f"b_{U}_{LIST_ID}"
RECEIVE = [
    {"name": "Articles", "field": "group[13157][1]", "value": "1"},
    {"name": "Events", "field": "group[13157][2]", "value": "2"},
    {"name": "Executive Coaching Group", "field": "group[13157][4]", "value": "4"},
]


def parse(name):
    return parse_embed_code((EMBED / name).read_text(encoding="utf-8"))


def test_classic_embed_code_gives_everything_the_form_needs():
    assert parse("classic.html") == {
        "format": 1,
        "account": "thepossibilitypractice",
        "dc": "us21",
        "host": "thepossibilitypractice.us21.list-manage.com",
        "u": U,
        "list_id": LIST_ID,
        "form_id": FORM_ID,
        "honeypot": HONEYPOT,
        "fields": [
            {"name": "EMAIL", "label": "Email Address", "type": "email", "required": True},
            {"name": "FNAME", "label": "First Name", "type": "text", "required": False},
        ],
        "interest_categories": [
            {"group_id": "13157", "title": "I would like to receive:", "type": "checkboxes",
             "groups": RECEIVE},
        ],
    }


def test_older_embed_code_without_form_id():
    data = parse("classic_without_form_id.html")
    assert data["form_id"] is None
    assert (data["dc"], data["host"]) == ("us4", "thepossibilitypractice.us4.list-manage.com")
    assert data["interest_categories"][0]["groups"] == RECEIVE
    assert data["fields"][0]["required"] is True


def test_list_manage1_host_and_protocol_relative_action():
    data = parse("list_manage1_host.html")
    assert data["host"] == "thepossibilitypractice.us4.list-manage1.com"
    assert (data["account"], data["dc"], data["u"], data["list_id"]) == (
        "thepossibilitypractice", "us4", U, LIST_ID)
    assert [g["name"] for g in data["interest_categories"][0]["groups"]] == [
        "Articles", "Events"]


def test_dropdown_group_keeps_one_field_and_a_value_per_choice():
    [category] = parse("dropdown_group.html")["interest_categories"]
    assert category["type"] == "dropdown"
    assert category["title"] == "I would like to receive:"
    assert category["groups"] == [
        {"name": "Articles", "field": "group[13157]", "value": "1"},
        {"name": "Events", "field": "group[13157]", "value": "2"},
        {"name": "Executive Coaching Group", "field": "group[13157]", "value": "4"},
    ]


def test_radio_group_and_a_second_category_in_form_order():
    radio, checkboxes = parse("radio_group.html")["interest_categories"]
    assert (radio["type"], radio["title"]) == ("radio", "How often would you like to hear from us?")
    assert radio["groups"] == [
        {"name": "Every article", "field": "group[13161]", "value": "1"},
        {"name": "A monthly digest", "field": "group[13161]", "value": "2"},
    ]
    assert checkboxes["groups"] == RECEIVE


def test_form_without_groups_is_fine():
    data = parse("condensed_without_groups.html")
    assert data["interest_categories"] == []
    assert data["fields"] == [
        {"name": "EMAIL", "label": "Subscribe", "type": "email", "required": True}]
    assert data["honeypot"] == HONEYPOT


def test_honeypot_name_follows_mailchimps_rule_when_the_field_was_cut_out():
    html = (EMBED / "classic.html").read_text(encoding="utf-8")
    html = html.replace(f'name="{HONEYPOT}"', 'name="something-else"')
    assert parse_embed_code(html)["honeypot"] == HONEYPOT


@pytest.mark.parametrize(
    ("html", "says"),
    [
        ("", "empty"),
        ("<p>Hello</p>", "it has no <form>"),
        ((EMBED / "unrelated_contact_form.html").read_text(), "formspree.io"),
        ((EMBED / "popup_script.html").read_text(), "pop-up"),
        ((EMBED / "truncated_action.html").read_text(), "id="),
        ('<form action="https://example.list-manage.com.evil.test/subscribe/post?u=1&id=2">'
         '<input type="email" name="EMAIL"></form>', "not a Mailchimp signup address"),
        ('<form action="https://a.us1.list-manage.com/subscribe/post?u=abc&id=def"></form>',
         "no EMAIL field"),
        ('<form action="https://a.us1.list-manage.com/subscribe/post?u=abc&id=def">'
         '<input type="email" name="EMAIL"><input type="checkbox" name="group[1][1]" id="g">'
         '<label for="g">Articles</label></form>', "no title"),
    ],
)
def test_bad_or_unrelated_html_gets_a_clear_error(html, says):
    with pytest.raises(EmbedCodeError) as error:
        parse_embed_code(html)
    assert says in str(error.value)


def test_import_writes_the_audience_file(tmp_path):
    target = tmp_path / "content" / "audience.json"
    data, changed = import_embed_code(EMBED / "classic.html", target)
    assert changed
    assert json.loads(target.read_text(encoding="utf-8")) == data == read_audience(target)
    assert import_embed_code(EMBED / "classic.html", target)[1] is False
    assert "I would like to receive: (checkboxes) Articles, Events, Executive Coaching Group" in (
        describe_audience(data))


@pytest.mark.parametrize(
    "bad", ["unrelated_contact_form.html", "popup_script.html", "missing.html"]
)
def test_a_failed_import_changes_nothing(tmp_path, bad):
    target = tmp_path / "audience.json"
    import_embed_code(EMBED / "classic.html", target)
    before = target.read_bytes()
    with pytest.raises((EmbedCodeError, AudienceFileError)):
        import_embed_code(EMBED / bad, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["audience.json"]


def test_reimport_keeps_the_api_ids_of_groups_that_still_exist(tmp_path):
    target = tmp_path / "audience.json"
    data, _ = import_embed_code(EMBED / "classic.html", target)
    category = data["interest_categories"][0]
    category["category_id"] = "b6e1f3c2a9"
    category["groups"][0]["interest_id"] = "3f9a1c7e52"
    data["double_optin"] = False
    write_audience(target, data)
    again, changed = import_embed_code(EMBED / "list_manage1_host.html", target)
    assert changed
    assert again["interest_categories"][0]["category_id"] == "b6e1f3c2a9"
    assert again["interest_categories"][0]["groups"][0]["interest_id"] == "3f9a1c7e52"
    assert "interest_id" not in again["interest_categories"][0]["groups"][1]
    assert again["double_optin"] is False


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"format": 7}', "unknown format"),
        ('{"format": 1, "fields": [], "interest_categories": []}', "'host' is missing"),
    ],
)
def test_a_damaged_audience_file_is_named_with_the_fix(tmp_path, text, says):
    path = tmp_path / "audience.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AudienceFileError) as error:
        read_audience(path)
    assert says in str(error.value)
    assert str(path) in str(error.value)
    assert "invoke audience-import" in str(error.value)


def test_the_committed_audience_file_is_valid_and_fully_synced():
    data = read_audience(Path(__file__).parent.parent / "content" / "audience.json")
    groups = [g for c in data["interest_categories"] for g in c["groups"]]
    assert {g["name"] for g in groups} >= {"Articles", "Events", "Executive Coaching Group"}
    assert all(len(g["interest_id"]) == 10 for g in groups)
