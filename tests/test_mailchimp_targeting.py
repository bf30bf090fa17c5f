"""Who each email reaches, and how its campaign is set: the segment conditions for every kind
of post, sent through the real pipeline (a real build, `send`, the backend made from the
settings as `invoke newsletter-send` makes it) to the test server behind Prism, which checks
every request against Mailchimp's OpenAPI document and picks the recipients from its member
records (added through the official client). Also the campaign's tracking options and the
UTM tags on the links to the site.
"""

import pytest
from test_mailchimp_backend_support import (
    newsletter_settings,
    start_ledger,
)

from possibility.commands.publish.build import BuildError
from possibility.commands.send import send
from possibility.core.newsletter.backends import BackendError
from possibility.core.newsletter.backends.mailchimp_backend import (
    MailchimpBackend,
    segment_opts,
    tracking_opts,
)
from possibility.core.newsletter.html_transform import tagged, untagged, with_utm
from possibility.core.newsletter.settings import NewsletterSettingsError

SITE = "https://www.thepossibilitypractice.com"
UTM = "utm_source=newsletter&utm_medium=email&utm_campaign="
# Subscribers and what they ticked on the form ("I would like to receive:").
MEMBERS = {
    "nothing@example.org": (),
    "articles@example.org": ("Articles",),
    "events@example.org": ("Events",),
    "coaching@example.org": ("Executive Coaching Group",),
    "articles-and-events@example.org": ("Articles", "Events"),
}
GONE = "left@example.org"  # unsubscribed: never receives anything


def post(slug, number, *, groups=None, category="Executive Coaching", extra=""):
    lines = [
        f"Title: Post {slug}",
        f"Date: 2021-06-0{number} 09:00",
        "Author: Karen Steinberg",
        f"Category: {category}",
        f"Slug: {slug}",
        f"Post-Id: 9a7c1e55-2b4d-4f6e-8a1c-3d5e7f9b1c{number:02d}",
        "Summary: A post written after the newsletter started.",
    ]
    if groups is not None:
        lines.append(f"Newsletter-Groups: {groups}")
    return "\n".join(lines) + extra + (
        "\n\nSee [the contact page]({filename}/pages/contact.md), "
        "[a section](#part) and [another site](https://example.com/page?x=1).\n\n"
        "## A part {#part}\n\nThe end.\n")


@pytest.fixture
def members(mailchimp_api):
    """The list's subscribers, added through the official client (POST /lists/{id}/members)
    with the interests each ticked; and one who unsubscribed."""
    server, client = mailchimp_api.server, mailchimp_api.client()
    server.clear_members()
    ids = server.interest_ids
    for email, groups in MEMBERS.items():
        client.lists.add_list_member(mailchimp_api.list_id, {
            "email_address": email, "status": "subscribed",
            "interests": {ids[name]: True for name in groups}})
    client.lists.add_list_member(mailchimp_api.list_id, {
        "email_address": GONE, "status": "unsubscribed", "interests": {}})
    listed = client.lists.get_list_members_info(mailchimp_api.list_id, count=100)
    assert listed["total_items"] == len(MEMBERS) + 1
    chosen = {m["email_address"]: {name for name, i in ids.items() if m["interests"][i]}
              for m in listed["members"]}
    assert chosen == {**{e: set(g) for e, g in MEMBERS.items()}, GONE: set()}
    return server


def backend_for(settings, mailchimp_api):
    """The backend exactly as a send makes it from the settings and the environment, its
    fence set to 0 s (one publisher here: there is no rival to wait for)."""
    backend = MailchimpBackend.from_settings(settings, {
        "MAILCHIMP_API_KEY": mailchimp_api.api_key, "MAILCHIMP_API_URL": mailchimp_api.base_url,
        "MAILCHIMP_LIST_ID": mailchimp_api.list_id})
    backend.settle = 0.0
    return backend


def send_new_posts(site, mailchimp_api, posts, **overrides):
    """Write `posts` ({file: text}), build, and send them (nothing else is new); the
    server's campaigns that went out."""
    for name, text in posts.items():
        site.write_post(name, text)
    site.build(**overrides)
    settings = newsletter_settings(site.content, site.folder / "ledger.json", **overrides)
    start_ledger(site.output, settings, send=[n.removesuffix(".md") for n in posts])
    report = send(site.output, settings, backend=backend_for(settings, mailchimp_api))
    assert all(r.state == "sent" for r in report.results), report.lines()
    return [c for c in mailchimp_api.server.campaigns.values() if c["status"] == "sent"]


def condition(server, op, groups):
    return {"condition_type": "Interests", "field": f"interests-{server.interest_category_id}",
            "op": op, "value": [server.interest_ids[g] for g in groups]}


ALL = ("Articles", "Events", "Executive Coaching Group")


@pytest.mark.parametrize("kind, posts, overrides, contains, none_rule, reached", [
    ("no groups: the default, Articles",
     {"a.md": post("a", 1)}, {}, ("Articles",), True,
     {"nothing@example.org", "articles@example.org", "articles-and-events@example.org"}),
    ("Newsletter-Groups: Events",
     {"a.md": post("a", 1, groups="Events")}, {}, ("Events",), False,
     {"events@example.org", "articles-and-events@example.org"}),
    ("Newsletter-Groups: Articles, Events",
     {"a.md": post("a", 1, groups="Articles, Events")}, {}, ("Articles", "Events"), True,
     {"nothing@example.org", "articles@example.org", "events@example.org",
      "articles-and-events@example.org"}),
    ("its category's groups",
     {"a.md": post("a", 1, category="Coaching Group")},
     {"NEWSLETTER_CATEGORY_GROUPS": {"Coaching Group": ["Executive Coaching Group"]}},
     ("Executive Coaching Group",), False, {"coaching@example.org"}),
    ("a digest of three Articles posts",
     {"a.md": post("a", 1), "b.md": post("b", 2), "c.md": post("c", 3)}, {},
     ("Articles",), True,
     {"nothing@example.org", "articles@example.org", "articles-and-events@example.org"}),
    ("Articles with NEWSLETTER_NO_CHOICE_GROUPS = []",
     {"a.md": post("a", 1)}, {"NEWSLETTER_NO_CHOICE_GROUPS": []}, ("Articles",), False,
     {"articles@example.org", "articles-and-events@example.org"}),
])
def test_each_kind_of_post_reaches_the_readers_who_chose_it(
        site, mailchimp_api, members, kind, posts, overrides, contains, none_rule, reached):
    server = members
    [campaign] = send_new_posts(site, mailchimp_api, posts, **overrides)

    expected = [condition(server, "interestcontains", contains)]
    if none_rule:  # "Articles, or none of the groups": a reader who ticked nothing
        expected.append(condition(server, "interestnotcontains", ALL))
    assert campaign["recipients"]["segment_opts"] == {"match": "any", "conditions": expected}
    assert set(server.deliveries[campaign["id"]]) == reached, kind
    assert campaign["emails_sent"] == len(reached)
    assert GONE not in server.deliveries[campaign["id"]]


def test_a_reader_who_ticked_nothing_gets_articles_but_not_events(site, mailchimp_api,
                                                                    members):
    server = members
    sent = send_new_posts(site, mailchimp_api, {
        "articles.md": post("articles", 1), "events.md": post("events", 2, groups="Events")})
    received = {c["settings"]["subject_line"]: set(server.deliveries[c["id"]]) for c in sent}
    assert "nothing@example.org" in received["Post articles"]
    assert "nothing@example.org" not in received["Post events"]
    assert "events@example.org" not in received["Post articles"]
    assert "articles@example.org" in received["Post articles"]


def test_a_post_for_the_whole_list_has_no_segment(site, mailchimp_api, members):
    server = members
    [campaign] = send_new_posts(site, mailchimp_api, {"a.md": post("a", 1)},
                                NEWSLETTER_DEFAULT_GROUPS=[])
    assert "segment_opts" not in campaign["recipients"]
    assert set(server.deliveries[campaign["id"]]) == set(MEMBERS)


def test_tracking_is_on_and_links_to_the_site_carry_utm_tags_once(site, mailchimp_api,
                                                                   members):
    [campaign] = send_new_posts(site, mailchimp_api, {"a.md": post("a", 1)})
    assert {k: campaign["tracking"][k] for k in ("opens", "html_clicks", "text_clicks")} == {
        "opens": True, "html_clicks": True, "text_clicks": True}

    html, text = campaign["content"]["html"], campaign["content"]["plain_text"]
    assert f'href="{SITE}/contact/?{UTM.replace("&", "&amp;")}a"' in html
    assert f'href="{SITE}/a/?{UTM.replace("&", "&amp;")}a"' in html  # title, Read on the site
    assert 'href="https://example.com/page?x=1"' in html  # another site: as written
    assert 'href="#part"' in html  # a link inside the email: as written
    assert "*|UNSUB|*" in html and "utm_" not in html.split("*|UNSUB|*")[1][:5]
    assert html.count("utm_source") == html.count(f"{SITE}/a/?") + html.count(
        f"{SITE}/contact/?") + html.count(f"{SITE}/?")
    assert f"{SITE}/a/?{UTM}a\n" in text
    assert f"({SITE}/contact/?{UTM}a)" in text
    assert "(https://example.com/page?x=1)" in text
    built = (site.output / "newsletter" / "a" / "email.txt").read_text(encoding="utf-8")
    assert "utm_" not in built  # the build's files keep the links as the post has them


def test_tracking_and_utm_follow_the_settings(site, mailchimp_api, members):
    [campaign] = send_new_posts(
        site, mailchimp_api, {"a.md": post("a", 1)}, NEWSLETTER_TRACK_OPENS=False,
        NEWSLETTER_TRACK_CLICKS=False, NEWSLETTER_UTM="")
    assert {k: campaign["tracking"][k] for k in ("opens", "html_clicks", "text_clicks")} == {
        "opens": False, "html_clicks": False, "text_clicks": False}
    assert "utm_" not in campaign["content"]["html"] + campaign["content"]["plain_text"]


def test_a_custom_utm_query_names_a_digest_by_its_first_post(site, mailchimp_api, members):
    [campaign] = send_new_posts(
        site, mailchimp_api, {"a.md": post("a", 1), "b.md": post("b", 2), "c.md": post("c", 3)},
        NEWSLETTER_UTM="utm_source=tpp&utm_campaign={slug}")
    assert f"{SITE}/b/?utm_source=tpp&amp;utm_campaign=digest-a" in campaign["content"]["html"]


# The build: every targeting rule names real groups -------------------------------------


def test_a_no_choice_group_the_list_does_not_have_stops_the_build(site):
    with pytest.raises(BuildError) as stopped:
        site.build(NEWSLETTER_NO_CHOICE_GROUPS=["Webinars"])
    message = str(stopped.value)
    assert "NEWSLETTER_NO_CHOICE_GROUPS names 'Webinars'" in message
    assert "Known groups (audience.json): Articles, Events, Executive Coaching Group" in message


def test_the_none_of_the_groups_rule_knows_its_categorys_groups(site):
    settings = newsletter_settings(site.content, site.folder / "ledger.json")
    assert settings.no_choice_groups == ("Articles",)  # NEWSLETTER_DEFAULT_GROUPS
    assert settings.no_choice_categories == (("Articles", ALL),)
    (site.content / "audience.json").unlink()  # no form: the known groups are one category
    bare = newsletter_settings(site.content, site.folder / "ledger.json",
                               NEWSLETTER_GROUPS=["Articles", "Members"])
    assert bare.no_choice_categories == (("Articles", ("Articles", "Members")),)


def test_a_group_in_two_categories_cannot_say_none_of_which(site):
    audience = (site.content / "audience.json")
    text = audience.read_text(encoding="utf-8")
    audience.write_text(text.replace('"interest_categories": [', '''"interest_categories": [
    {"title": "Topics", "type": "checkboxes", "category_id": "c2", "group_id": "9",
     "groups": [{"name": "Articles", "field": "group[9][1]", "value": "1"}]},'''),
                        encoding="utf-8")
    with pytest.raises(NewsletterSettingsError, match="a group of 2 interest categories"):
        newsletter_settings(site.content, site.folder / "ledger.json")


# Decisions, without a server ------------------------------------------------------------

INTERESTS = {"Articles": ("cat1", "a1"), "Events": ("cat1", "e1"),
             "Members": ("cat2", "m1"), "Guests": ("cat2", "g1")}


def test_none_of_the_groups_is_said_per_category_with_every_group_of_it():
    assert segment_opts(("Articles", "Members"), INTERESTS, ("Articles",)) == {
        "match": "any", "conditions": [
            {"condition_type": "Interests", "field": "interests-cat1",
             "op": "interestcontains", "value": ["a1"]},
            {"condition_type": "Interests", "field": "interests-cat2",
             "op": "interestcontains", "value": ["m1"]},
            {"condition_type": "Interests", "field": "interests-cat1",
             "op": "interestnotcontains", "value": ["a1", "e1"]},
        ]}
    # an email for none of the no-choice groups reaches only those who chose its groups
    assert segment_opts(("Events",), INTERESTS, ("Articles",))["conditions"] == [
        {"condition_type": "Interests", "field": "interests-cat1",
         "op": "interestcontains", "value": ["e1"]}]
    assert segment_opts((), INTERESTS, ("Articles",)) is None  # the whole list


def test_an_unknown_group_still_stops_the_send_before_anything_is_made():
    with pytest.raises(BackendError, match="Nothing was created"):
        segment_opts(("Webinars",), INTERESTS, ("Webinars",))


def test_tracking_options():
    assert tracking_opts() == {"opens": True, "html_clicks": True, "text_clicks": True}
    assert tracking_opts(False, False) == {"opens": False, "html_clicks": False,
                                           "text_clicks": False}


@pytest.mark.parametrize("url, expected", [
    (f"{SITE}/a/", f"{SITE}/a/?utm_source=n"),
    (f"{SITE}", f"{SITE}/?utm_source=n"),
    (f"{SITE}/a/?page=2#top", f"{SITE}/a/?page=2&utm_source=n#top"),
    ("http://www.thepossibilitypractice.com/a/", "http://www.thepossibilitypractice.com/a/"
                                                 "?utm_source=n"),
    (f"{SITE}/a/?utm_source=other", f"{SITE}/a/?utm_source=other"),  # never twice
    ("https://thepossibilitypractice.com.evil.example/a/", None),  # another site
    ("https://example.com/?u=https://www.thepossibilitypractice.com/", None),
    ("mailto:karen@thepossibilitypractice.com", None),
    ("*|UNSUB|*", None),
    ("#part", None),
])
def test_utm_tags_go_on_links_to_the_site_only(url, expected):
    assert tagged(url, SITE, "utm_source=n") == (expected or url)


def test_utm_tags_come_off_links_to_the_site_only():
    assert untagged(f"{SITE}/a/?page=2&utm_source=n&utm_campaign=a#top", SITE) == \
        f"{SITE}/a/?page=2#top"
    assert untagged(f"{SITE}/a/?utm_source=n", SITE) == f"{SITE}/a/"
    assert untagged("https://example.com/?utm_source=x", SITE) == \
        "https://example.com/?utm_source=x"


def test_utm_in_text_keeps_the_sentence_around_the_url():
    html, text = with_utm("", f"Visit {SITE}/. Or ({SITE}/a/), or https://example.com/.",
                          SITE, "u=1")
    assert text == f"Visit {SITE}/?u=1. Or ({SITE}/a/?u=1), or https://example.com/."
    assert with_utm(html, text, SITE, "u=1") == (html, text)  # never twice


@pytest.mark.parametrize("value", ["utm_source", "a=1&&b=2", "utm_campaign={post}", 7,
                                   "a=b c"])
def test_a_bad_utm_setting_names_itself(site, value):
    with pytest.raises(NewsletterSettingsError, match="NEWSLETTER_UTM"):
        newsletter_settings(site.content, site.folder / "ledger.json", NEWSLETTER_UTM=value)


def test_tracking_settings_are_booleans(site):
    with pytest.raises(NewsletterSettingsError, match="NEWSLETTER_TRACK_CLICKS is 'no'"):
        newsletter_settings(site.content, site.folder / "ledger.json",
                            NEWSLETTER_TRACK_CLICKS="no")
