"""Matching the form's groups to Mailchimp's interests by name (pure: no server)."""

import copy
import json
from pathlib import Path

from possibility.commands.audience_sync import SyncReport, sync_audience

FORM = json.loads(
    (Path(__file__).parent.parent / "content" / "audience.json").read_text(encoding="utf-8")
)


class StubMailchimp:
    def __init__(self, categories, double_optin=True):
        self._categories = categories
        self.double_optin = double_optin

    def list_info(self, list_id):
        assert list_id == FORM["list_id"]
        return {"id": list_id, "name": "The Possibility Practice",
                "double_optin": self.double_optin}

    def categories(self, list_id):
        return copy.deepcopy(self._categories)


def category(id_, title, *interests):
    return {"id": id_, "title": title,
            "interests": [{"id": i, "name": n} for i, n in interests]}


def test_every_group_gets_its_interest_id_matched_by_name():
    remote = StubMailchimp([category(
        "0f1e2d3c4b", "I would like to receive:",
        ("11aa22bb33", "Executive Coaching Group"), ("44cc55dd66", "articles"),
        ("77ee88ff99", "Events"),
    )], double_optin=False)
    synced, report = sync_audience(FORM, remote)
    [form_category] = synced["interest_categories"]
    assert form_category["category_id"] == "0f1e2d3c4b"
    assert [(g["field"], g["interest_id"]) for g in form_category["groups"]] == [
        ("group[13157][1]", "44cc55dd66"),
        ("group[13157][2]", "77ee88ff99"),
        ("group[13157][4]", "11aa22bb33"),
    ]
    assert list(form_category) == ["group_id", "title", "type", "category_id", "groups"]
    assert (synced["list_name"], synced["double_optin"]) == ("The Possibility Practice", False)
    assert report.only_in_form == [] and report.only_in_mailchimp == []
    assert FORM["interest_categories"][0]["category_id"] != "0f1e2d3c4b"


def test_groups_on_one_side_only_are_reported_and_stale_ids_dropped():
    remote = StubMailchimp([
        category("0f1e2d3c4b", "I would like to receive:",
                 ("44cc55dd66", "Articles"), ("aa00bb11cc", "Podcasts")),
        category("dd22ee33ff", "Hidden: source", ("0123456789", "Imported 2019")),
    ])
    synced, report = sync_audience(FORM, remote)
    groups = synced["interest_categories"][0]["groups"]
    assert [g.get("interest_id") for g in groups] == ["44cc55dd66", None, None]
    assert report.only_in_form == [
        ("I would like to receive:", "Events"),
        ("I would like to receive:", "Executive Coaching Group"),
    ]
    assert report.only_in_mailchimp == [
        ("I would like to receive:", "Podcasts"), ("Hidden: source", "Imported 2019")]
    text = "\n".join(report.lines())
    assert "In the form but not in Mailchimp" in text
    assert "I would like to receive: › Events" in text
    assert "In Mailchimp but not in the form" in text and "Hidden: source › Imported 2019" in text


def test_a_category_missing_in_mailchimp_loses_its_ids():
    synced, report = sync_audience(FORM, StubMailchimp([]))
    [form_category] = synced["interest_categories"]
    assert "category_id" not in form_category
    assert all("interest_id" not in g for g in form_category["groups"])
    assert len(report.only_in_form) == 3


def test_report_lines_list_the_matches():
    report = SyncReport("The Possibility Practice",
                        matched=[("I would like to receive:", "Articles", "44cc55dd66")])
    assert report.lines() == [
        "Mailchimp list: The Possibility Practice",
        "  I would like to receive: › Articles: 44cc55dd66",
    ]
