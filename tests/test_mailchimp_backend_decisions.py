"""The Mailchimp backend's and adapter's decisions, as pure functions: titles and the
posts they name, the rule that picks one campaign among those sharing a post, statuses,
segments, quarter-hour schedules, checklists, backoff and error messages."""

from datetime import UTC, datetime, timedelta

import pytest

from possibility.core.newsletter.backends import BackendError
from possibility.core.newsletter.backends.base import Campaign, best_of, holders, standing_of
from possibility.core.newsletter.backends.mailchimp_api import (
    KeyRejected,
    NotFound,
    Outcome,
    Refused,
    RetryPolicy,
    Unavailable,
    api_base_url,
    describe_failure,
    parse_retry_after,
    retry_delay,
    should_retry,
)
from possibility.core.newsletter.backends.mailchimp_backend import (
    TITLE_MAX,
    campaign_state,
    campaign_title,
    checklist_problems,
    interests_from_audience,
    key_of,
    mailchimp_time,
    read_title,
    schedule_time,
    segment_opts,
    short_id,
    to_campaign,
)
from possibility.core.newsletter.due import DIGEST_MAX_POSTS, digest_key
from possibility.core.newsletter.model import Email

KEY = "urn:uuid:6f1d3c52-8a0e-4e7b-9c1a-2d5b7e4f8a10"
INTERESTS = {"Articles": ("cat1", "a1"), "Events": ("cat1", "e1"), "Members": ("cat2", "m1")}


class Post:
    def __init__(self, post_id=KEY, slug="should-your-work-speak-for-itself"):
        self.post_id, self.slug = post_id, slug


def email(key=KEY, name="should-your-work-speak-for-itself", groups=(), posts=None):
    posts = posts or (Post(key, name),)
    kind = "digest" if key.startswith("digest:") else "post"
    return Email(key, kind, "Subject", "Preview", "<p>x</p>", "x", groups, tuple(posts))


def digest_of(count):
    posts = [Post(f"urn:uuid:00000000-0000-4000-8000-{n:012d}", f"post-{n}-" + "x" * 60)
             for n in range(count)]
    return email(digest_key(p.post_id for p in posts), posts=posts)


def test_the_title_names_its_post_after_a_readable_name():
    title = campaign_title(email(name="a-very-long-slug-" * 5))
    assert title == f"{('a-very-long-slug-' * 3)[:40]} [p {short_id(KEY)}]"
    assert len(short_id(KEY)) == 22 and len(title) <= TITLE_MAX
    assert read_title(title) == (KEY, "post", (KEY,))
    assert key_of(title) == KEY


def test_a_digest_title_names_every_post_within_100_characters():
    for count in range(1, DIGEST_MAX_POSTS + 1):
        made = digest_of(count)
        title = campaign_title(made)
        assert len(title) <= TITLE_MAX, title
        assert read_title(title) == (made.key, "digest",
                                     tuple(p.post_id for p in made.posts))
    with pytest.raises(BackendError, match="at most 4 posts"):
        campaign_title(digest_of(DIGEST_MAX_POSTS + 1))


def test_titles_of_earlier_versions_and_of_other_campaigns():
    assert read_title(f"old-slug [{KEY}]") == (KEY, "post", (KEY,))
    digest = "digest:urn:uuid:0c3f6a52-9a8e-4d1b-8f7e-3b6d2a1c9e44"
    assert read_title(f"digest-x [{digest}]") == (digest, "digest", ())
    for foreign in ("", None, "May newsletter", "Spring [draft] issue", "x [a b]",
                    "x [p short]", "x [q AAAAAAAAQACAAAAAAAAAAQ]"):
        assert key_of(foreign) is None


def campaign(cid, posts, status="draft", second=0, key=None):
    posts = tuple(f"p{n}" for n in posts)
    return Campaign(cid, key or "+".join(posts), status, posts=posts,
                    created=datetime(2030, 1, 7, 12, 0, second, tzinfo=UTC))


def test_the_earliest_campaign_holds_a_post_and_a_sent_one_comes_first():
    early, late = campaign("b", [1], second=1), campaign("a", [1], second=2)
    held, winners = holders([late, early])
    assert held["p1"] is early and winners == {"b"}
    tie = campaign("a", [1], second=1)  # the same second: the id decides
    assert holders([early, tie])[1] == {"a"}
    sent = campaign("z", [1], status="sent", second=9)
    assert holders([early, late, sent])[1] == {"z"}


def test_a_draft_that_cannot_hold_all_its_posts_holds_none():
    single = campaign("s", [2], second=1)
    digest = campaign("d", [1, 2, 3], second=2)
    other = campaign("o", [3], second=3)
    held, winners = holders([single, digest, other])
    assert winners == {"s", "o"} and held["p3"] is other and "p1" not in held


def test_where_a_campaign_stands():
    mine, rival = campaign("m", [1], second=2), campaign("r", [1], second=1)
    assert standing_of([mine], "m", mine.key).verdict == "win"
    assert standing_of([], "m", mine.key).verdict == "gone"
    adopt = standing_of([mine, rival], "m", mine.key)
    assert (adopt.verdict, adopt.campaign, adopt.losers) == ("adopt", rival, ("m",))
    other = campaign("x", [1, 2], second=1)
    lost = standing_of([mine, other], "m", mine.key)
    assert (lost.verdict, lost.taken, lost.losers) == ("lost", (("p1", other),), ("m",))
    sent = campaign("m", [1], status="sent")
    assert standing_of([sent, rival], "m", mine.key).verdict == "done"


def test_a_loser_is_deleted_only_once_its_loss_is_final():
    mine, dup = campaign("m", [1], second=1), campaign("n", [1], second=2)
    unfenced = standing_of([mine, dup], "m", mine.key, fenced=lambda c: False)
    assert (unfenced.verdict, unfenced.losers) == ("win", ())
    fenced_winner = standing_of([mine, dup], "m", mine.key, fenced=lambda c: c.id == "m")
    assert fenced_winner.losers == ("n",)
    sent = campaign("s", [1], status="sent", second=5)
    assert standing_of([mine, sent], "m", mine.key, fenced=lambda c: False).losers == ("m",)


def test_the_campaign_to_carry_on_with():
    sent = campaign("s", [1], status="sent", second=5)
    winner, loser = campaign("w", [1], second=1), campaign("l", [1], second=2)
    assert best_of([loser, winner], winner.key) is winner
    assert best_of([loser, winner, sent], winner.key) is sent
    assert best_of([winner], "other") is None


def test_mailchimp_statuses_become_draft_scheduled_or_sent():
    assert [campaign_state(s, "c") for s in ("save", "paused", "schedule", "sending", "sent")] \
        == ["draft", "draft", "scheduled", "sent", "sent"]
    with pytest.raises(BackendError, match="campaign c is 'canceled'.*by hand"):
        campaign_state("canceled", "c")


@pytest.mark.parametrize("value", [None, "", "not a time"])
def test_a_missing_or_empty_send_time_is_not_set(value):
    assert mailchimp_time(value) is None


def test_a_campaign_from_json():
    sent = to_campaign({"id": "s", "status": "sent", "send_time": "2030-01-07T12:15:00+00:00",
                        "create_time": "2030-01-07T12:00:00+00:00",
                        "settings": {"title": f"x [p {short_id(KEY)}]"},
                        "archive_url": "http://a"})
    assert (sent.key, sent.status, sent.location, sent.posts) == (KEY, "sent", "http://a",
                                                                  (KEY,))
    assert sent.sent_at == datetime(2030, 1, 7, 12, 15, tzinfo=UTC)
    assert sent.created == datetime(2030, 1, 7, 12, 0, tzinfo=UTC)
    draft = to_campaign({"id": "d", "status": "save", "send_time": ""})
    assert draft.sent_at is None and draft.key == "" and draft.status == "draft"
    assert to_campaign({"id": "c", "status": "canceled"}).status == "canceled"


def test_groups_become_one_interests_condition_per_category():
    assert segment_opts((), INTERESTS) is None
    assert segment_opts(("Articles", "members", "Events"), INTERESTS) == {
        "match": "any",
        "conditions": [
            {"condition_type": "Interests", "field": "interests-cat1", "op": "interestcontains",
             "value": ["a1", "e1"]},
            {"condition_type": "Interests", "field": "interests-cat2", "op": "interestcontains",
             "value": ["m1"]},
        ]}


def test_an_unknown_group_is_named_with_the_known_ones():
    with pytest.raises(BackendError) as refused:
        segment_opts(("Articles", "Webinars"), INTERESTS)
    message = str(refused.value)
    assert "'Webinars'" in message and "'Events'" in message
    assert "Nothing was created" in message


def test_interest_ids_come_from_a_synced_audience_file_of_the_same_list():
    audience = {"list_id": "L1", "interest_categories": [
        {"category_id": "c1", "groups": [{"name": "Articles", "interest_id": "a1"},
                                         {"name": "Events", "interest_id": "e1"}]}]}
    assert interests_from_audience(audience, "L1") == {"Articles": ("c1", "a1"),
                                                       "Events": ("c1", "e1")}
    assert interests_from_audience(audience, "other") is None
    audience["interest_categories"][0]["groups"].append({"name": "New"})  # not synced yet
    assert interests_from_audience(audience, "L1") is None
    assert interests_from_audience(None, "L1") is None


@pytest.mark.parametrize("now, delay, expected", [
    ("12:03:20", 60, "13:15:00"),  # off the quarter-hour: rounded up
    ("12:00:00", 15, "12:15:00"),  # on it: kept
    ("12:14:59", 0, "12:15:00"),
    ("12:15:00", 0, "12:30:00"),  # never now: Mailchimp wants the future
    ("23:50:00", 20, "00:15:00"),  # across midnight
])
def test_schedules_land_on_the_next_quarter_hour(now, delay, expected):
    moment = datetime.fromisoformat(f"2030-01-07T{now}+00:00")
    when = schedule_time(moment, timedelta(minutes=delay))
    assert f"{when:%H:%M:%S}" == expected and when.tzinfo is not None and when > moment


def test_the_checklist_gives_mailchimps_own_reasons():
    checklist = {"is_ready": False, "items": [
        {"type": "success", "heading": "Audience", "details": "ok"},
        {"type": "error", "heading": "Subject line", "details": "You need to add a subject."},
        {"type": "warning", "heading": "Preview text", "details": "Consider one."}]}
    assert checklist_problems(checklist) == ["Subject line: You need to add a subject."]
    assert checklist_problems({"is_ready": True, "items": []}) == []
    assert checklist_problems({"is_ready": False}) != []


def test_only_a_429_is_retried_for_a_call_that_may_have_been_applied():
    assert should_retry(429, unsafe=True) and should_retry(429, unsafe=False)
    for status in (500, 503, None):
        assert should_retry(status, unsafe=False) and not should_retry(status, unsafe=True)


def test_backoff_doubles_with_jitter_up_to_the_cap_then_stops():
    policy = RetryPolicy(attempts=6, base=1.0, cap=5.0)
    low = [retry_delay(policy, n, rand=lambda: 0.0) for n in range(1, 7)]
    high = [retry_delay(policy, n, rand=lambda: 1.0) for n in range(1, 7)]
    assert low == [0.5, 1.0, 2.0, 2.5, 2.5, None]
    assert high == [1.0, 2.0, 4.0, 5.0, 5.0, None]


def test_retry_after_is_honoured_unless_longer_than_the_cap():
    policy = RetryPolicy(attempts=3, base=0.5, cap=30.0)
    assert 7.0 <= retry_delay(policy, 1, retry_after=7.0) <= 7.5
    assert retry_delay(policy, 1, retry_after=60.0) is None
    assert retry_delay(policy, 3, retry_after=1.0) is None
    assert parse_retry_after("7") == 7.0
    now = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 07 Jan 2030 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_the_base_url_comes_from_the_override_or_the_keys_data_centre():
    assert api_base_url("abc-us21") == "https://us21.api.mailchimp.com/3.0"
    assert api_base_url("abc-us21", "http://127.0.0.1:9/server/3.0/") == \
        "http://127.0.0.1:9/server/3.0"
    with pytest.raises(BackendError, match="ending in -<dc>") as no_dc:
        api_base_url("abcdef0123456789")
    assert "abcdef0123456789" not in str(no_dc.value)
    with pytest.raises(BackendError, match="MAILCHIMP_API_URL"):
        api_base_url("abc-us21", "ftp://example.org")


PROBLEM_400 = ('{"type": "t", "title": "Invalid Resource", "status": 400, "detail": "The '
               'resource submitted could not be validated.", "errors": [{"field": '
               '"settings.reply_to", "message": "This value should be a valid email."}]}')


@pytest.mark.parametrize("outcome, kind, parts", [
    (Outcome(401, {"title": "API Key Invalid", "detail": "Your API key may be invalid."}),
     KeyRejected, ["API key rejected", "HTTP 401 API Key Invalid", "MAILCHIMP_API_KEY"]),
    (Outcome(403, None), KeyRejected, ["API key rejected", "HTTP 403"]),
    (Outcome(404, {"title": "Resource Not Found"}), NotFound,
     ["Mailchimp has no list L1 (check MAILCHIMP_LIST_ID)", "HTTP 404"]),
    (Outcome(400, PROBLEM_400), Refused,
     ["refused to do it", "could not be validated", "settings.reply_to: This value should "
                                                    "be a valid email."]),
    (Outcome(429, {"title": "Too Many Requests"}, retry_after=120.0), Unavailable,
     ["HTTP 429", "wait 120 s", "run again later", "(3 attempts)"]),
    (Outcome(503, None), Unavailable, ["failed to do it (HTTP 503)"]),
    (Outcome(None, reason="no answer within 0.5 s"), Unavailable,
     ["could not reach Mailchimp at http://h", "no answer within 0.5 s"]),
])
def test_failures_read_as_what_to_do(outcome, kind, parts):
    found, message = describe_failure("do it", outcome, attempts=3 if outcome.status == 429
                                      else 1, missing="list L1 (check MAILCHIMP_LIST_ID)"
                                      if outcome.status == 404 else None, host="http://h")
    assert found is kind
    for part in parts:
        assert part in message
