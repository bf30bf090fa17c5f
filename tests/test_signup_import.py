"""The embed-code importer and the audience file it writes (possibility.core.signup)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from possibility.core.signup.audience_file import (
    AudienceFileError,
    describe_audience,
    import_embed_code,
    read_audience,
    write_audience,
)
from possibility.core.signup.embed_import import (
    EmbedCodeError,
    parse_embed_code,
    read_embed_code,
)

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
    data, changed, left_out = import_embed_code(EMBED / "classic.html", target)
    assert changed
    assert json.loads(target.read_text(encoding="utf-8")) == data == read_audience(target)
    assert import_embed_code(EMBED / "classic.html", target)[1] is False
    assert "I would like to receive: (checkboxes) Articles, Events, Executive Coaching Group" in (
        describe_audience(data))
    assert left_out == ()
    assert "marketing_permissions" not in data  # a list without GDPR fields: format unchanged


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
    data, _, _ = import_embed_code(EMBED / "classic.html", target)
    category = data["interest_categories"][0]
    category["category_id"] = "b6e1f3c2a9"
    category["groups"][0]["interest_id"] = "3f9a1c7e52"
    data["double_optin"] = False
    write_audience(target, data)
    again, changed, _ = import_embed_code(EMBED / "list_manage1_host.html", target)
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


# An EU list: GDPR marketing permissions, and inputs the form does not offer

CONSENT = {
    "title": "Marketing Permissions",
    "intro": [[{"text": (
        "The Possibility Practice will use the information you provide on this form to be in "
        "touch with you and to provide updates and marketing. Please let us know all the ways "
        "you would like to hear from us:")}]],
    "permissions": [
        {"field": "gdpr[41031]", "label": "Email", "value": "Y"},
        {"field": "gdpr[41039]", "label": "Customized Online Advertising", "value": "Y"},
    ],
    "notes": [
        [
            {"text": "You can change your mind at any time by clicking the unsubscribe link in "
                     "the footer of any email you receive from us, or by contacting us at "},
            {"text": "hello@thepossibilitypractice.com",
             "href": "mailto:hello@thepossibilitypractice.com"},
            {"text": ". We will treat your information with respect. For more information "
                     "about our privacy practices please visit our website. By clicking below, "
                     "you agree that we may process your information in accordance with these "
                     "terms."},
        ],
        [
            {"text": "We use Mailchimp as our marketing platform. By clicking below to "
                     "subscribe, you acknowledge that your information will be transferred to "
                     "Mailchimp for processing. "},
            {"text": "Learn more", "href": "https://mailchimp.com/legal/terms"},
            {"text": " about Mailchimp's privacy practices."},
        ],
    ],
}
EU_LEFT_OUT = (
    "left out: <input name=BIRTHDAY[month]>: not a field this form knows",
    "left out: <input name=BIRTHDAY[day]>: not a field this form knows",
    "left out: <input name=tags>: not a field this form knows",
)


def test_gdpr_marketing_permissions_are_imported_with_the_lists_own_wording():
    embed = read_embed_code((EMBED / "eu_gdpr.html").read_text(encoding="utf-8"))
    assert embed.data["marketing_permissions"] == CONSENT
    # The rest of the form is read as before.
    classic = parse("classic.html")
    assert {k: v for k, v in embed.data.items() if k != "marketing_permissions"} == classic
    assert embed.left_out == EU_LEFT_OUT


def test_import_writes_the_permissions_to_the_audience_file(tmp_path):
    target = tmp_path / "audience.json"
    data, changed, left_out = import_embed_code(EMBED / "eu_gdpr.html", target)
    assert changed and left_out == EU_LEFT_OUT
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written["marketing_permissions"] == CONSENT
    assert read_audience(target) == written == data
    assert "Marketing Permissions (GDPR): Email (gdpr[41031]), Customized Online Advertising " \
           "(gdpr[41039])" in describe_audience(data)
    # Re-importing the form without GDPR fields removes them.
    data, changed, _ = import_embed_code(EMBED / "classic.html", target)
    assert changed and "marketing_permissions" not in read_audience(target)


def test_every_input_the_form_does_not_offer_is_reported_by_name():
    action = "https://a.us1.list-manage.com/subscribe/post?u=abc&amp;id=def"
    html = f"""<form action="{action}" method="post">
      <label for="e">Email</label><input type="email" name="EMAIL" id="e">
      <input type="text" name="ADDRESS[addr1]"><input type="text" name="ADDRESS[city]">
      <select name="ADDRESS[country]"><option value="164">USA</option></select>
      <select name="MMERGE3"><option value="Coach">Coach</option></select>
      <input type="radio" name="MMERGE5" value="A"><input type="radio" name="MMERGE5" value="B">
      <textarea name="MMERGE6"></textarea>
      <input type="hidden" name="group[13157][1]" value="1">
      <input type="hidden" name="EMAILTYPE" value="html">
      <input type="checkbox" name="MMERGE7" value="yes">
      <input type="text" name="b_abc_def" tabindex="-1">
      <input type="text" placeholder="no name is never sent">
      <input type="submit" name="subscribe" value="Subscribe"></form>"""
    embed = read_embed_code(html)
    assert [f["name"] for f in embed.data["fields"]] == ["EMAIL"]
    assert embed.left_out == tuple(
        f"left out: <{tag} name={name}>: not a field this form knows" for tag, name in [
            ("input", "ADDRESS[addr1]"), ("input", "ADDRESS[city]"),
            ("select", "ADDRESS[country]"), ("select", "MMERGE3"), ("input", "MMERGE5"),
            ("textarea", "MMERGE6"), ("input", "group[13157][1]"), ("input", "EMAILTYPE"),
            ("input", "MMERGE7"),
        ]
    )


def test_consent_paragraphs_keep_only_links_that_leave_the_site_safely():
    html = (EMBED / "eu_gdpr.html").read_text(encoding="utf-8").replace(
        "<p>You can change", '<p><a href="/privacy/">Our privacy policy</a> and '
        '<a href="javascript:void(0)">this</a>. <strong>You</strong> can<br>change', 1)
    notes = parse_embed_code(html)["marketing_permissions"]["notes"][0]
    assert notes[0] == {"text": "Our privacy policy and this. You can change your mind at any "
                                "time by clicking the unsubscribe link in the footer of any "
                                "email you receive from us, or by contacting us at "}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda c: c.update(permissions=[]), "marketing_permissions"),
        (lambda c: c["permissions"][0].update(field="EMAIL"), "gdpr[ID]"),
        (lambda c: c["permissions"][0].pop("label"), "label"),
        (lambda c: c["notes"][1][1].update(href="javascript:alert(1)"), "href"),
        (lambda c: c.update(intro="Some words"), "paragraphs"),
    ],
)
def test_damaged_permissions_in_the_audience_file_are_caught(tmp_path, change, says):
    target = tmp_path / "audience.json"
    data, _, _ = import_embed_code(EMBED / "eu_gdpr.html", target)
    change(data["marketing_permissions"])
    target.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(AudienceFileError) as error:
        read_audience(target)
    assert says in str(error.value) and "invoke audience-import" in str(error.value)


def test_the_import_task_prints_what_it_left_out(tmp_path):
    """`invoke audience-import FILE` in a copy of the project: the report lines are printed."""
    root = Path(__file__).parent.parent
    project = tmp_path / "project"
    project.mkdir()
    for name in ("tasks.py", "pelicanconf.py", "publishconf.py"):
        shutil.copy(root / name, project / name)
    shutil.copytree(root / "theme", project / "theme")
    shutil.copytree(root / "content", project / "content",
                    ignore=shutil.ignore_patterns("newsletter-ledger.json*", "posts", "pages"))
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "audience-import", str(EMBED / "eu_gdpr.html")],
        cwd=project, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("SITEURL")},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line for line in lines if line.startswith("left out:")] == list(EU_LEFT_OUT)
    assert any(line.startswith("Marketing Permissions (GDPR): Email") for line in lines)
    written = read_audience(project / "content" / "audience.json")
    assert written["marketing_permissions"] == CONSENT
    # The ids audience-sync recorded for the same list are kept.
    assert written["interest_categories"][0]["groups"][0]["interest_id"] == "3f9a1c7e52"
