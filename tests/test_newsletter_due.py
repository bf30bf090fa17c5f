"""Which posts are due: every rule of the pure decision, on hand-made records and ledgers."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from possibility.core.newsletter.backends.base import Campaign
from possibility.core.newsletter.due import DIGEST_MAX_POSTS, decide, digest_key, skip_reason
from possibility.core.newsletter.ledger import new_ledger, record, with_baseline
from possibility.core.newsletter.model import PostRecord
from possibility.core.newsletter.post_fields import newsletter_fields, shorten, target_groups

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def post(n, **changes):
    values = dict(
        post_id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}", slug=f"post-{n}",
        title=f"Post {n}", url=f"https://example.org/post-{n}/",
        date=NOW - timedelta(days=100 - n), status="published", newsletter=True,
        groups=("Articles",), subject=f"Post {n}", preview="p", content_hash=f"sha256:{n}",
        has_email=True,
    )
    values.update(changes)
    return PostRecord(**values)


def ledger_with(*entries):
    """A ledger where each (post, state) pair went through the steps up to `state`."""
    data = new_ledger(NOW - timedelta(days=30))
    for item, state in entries:
        key = item.post_id
        data = record(data, key=key, state="creating", now=NOW, posts=(item,),
                      backend="mailchimp", destination="mailchimp:list1", kind="post",
                      groups=item.groups)
        for step in ("created", "content_set", "checked", "sending", "sent"):
            if state == "creating":
                break
            data = record(data, key=key, state=step, now=NOW, posts=(item,),
                          campaign_id=f"c-{item.slug}", content_hash=True)
            if step == state:
                break
    return data


def states(decision):
    return {row.post.slug: row.state for row in decision.rows}


def reasons(decision):
    return {row.post.slug: row.reason for row in decision.rows}


def test_a_published_post_not_in_the_ledger_is_due():
    decision = decide([post(1)], new_ledger(NOW), now=NOW)
    assert states(decision) == {"post-1": "due"}
    assert [e.key for e in decision.emails] == [post(1).post_id]
    assert decision.to_send[0].url == "https://example.org/post-1/"
    assert not decision.first_run


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"status": "draft"}, "draft"),
        ({"status": "hidden"}, "hidden"),
        ({"date": NOW + timedelta(hours=1)}, "future-dated"),
        ({"status": "draft", "date": NOW + timedelta(days=3)}, "future-dated"),
        ({"newsletter": False, "has_email": False}, "Newsletter: no"),
    ],
)
def test_drafts_hidden_future_and_opted_out_posts_are_skipped_with_a_reason(changes, reason):
    decision = decide([post(1, **changes)], new_ledger(NOW), now=NOW)
    assert states(decision) == {"post-1": "skipped"}
    assert reason in reasons(decision)["post-1"]
    assert decision.emails == ()


def test_a_future_post_becomes_due_once_its_date_has_passed():
    later = post(1, date=NOW + timedelta(hours=1))
    assert decide([later], new_ledger(NOW), now=NOW).emails == ()
    assert len(decide([later], new_ledger(NOW), now=NOW + timedelta(hours=2)).emails) == 1


def test_identity_not_slug_title_or_date_says_whether_a_post_was_sent():
    sent = post(1)
    renamed = post(1, slug="a-better-slug", title="A Better Title", url="https://x/b/",
                   date=NOW - timedelta(days=1))
    decision = decide([renamed], ledger_with((sent, "sent")), now=NOW)
    assert states(decision) == {"a-better-slug": "sent"}
    assert decision.emails == ()


def test_a_post_edited_after_it_was_sent_is_reported_and_not_sent_again():
    ledger = ledger_with((post(1), "sent"))
    decision = decide([post(1, content_hash="sha256:edited")], ledger, now=NOW)
    assert states(decision) == {"post-1": "changed since sent"}
    assert "not sent again" in reasons(decision)["post-1"]
    assert decision.emails == ()


def test_first_run_on_a_site_with_posts_refuses():
    decision = decide([post(1), post(2)], None, now=NOW)
    assert decision.first_run
    assert [p.slug for p in decision.due] == ["post-1", "post-2"]


def test_first_run_on_a_site_without_sendable_posts_is_no_refusal():
    assert not decide([], None, now=NOW).first_run
    assert not decide([post(1, status="draft")], None, now=NOW).first_run


def test_baselined_posts_are_skipped_and_only_newer_ones_are_due():
    data = with_baseline(new_ledger(NOW), [post(1), post(2)], NOW)
    decision = decide([post(1), post(2), post(3)], data, now=NOW)
    assert states(decision) == {"post-1": "skipped", "post-2": "skipped", "post-3": "due"}
    assert "before the newsletter started" in reasons(decision)["post-1"]
    assert [e.key for e in decision.emails] == [post(3).post_id]


def test_two_new_posts_go_out_one_email_each_oldest_first():
    decision = decide([post(2), post(1)], new_ledger(NOW), now=NOW, digest_threshold=3)
    assert [(e.kind, e.posts[0].slug) for e in decision.emails] == [
        ("post", "post-1"), ("post", "post-2")]


def test_from_the_threshold_on_new_posts_go_out_as_one_digest():
    posts = [post(1), post(2), post(3)]
    decision = decide(posts, new_ledger(NOW), now=NOW, digest_threshold=3)
    [digest] = decision.emails
    assert digest.kind == "digest"
    assert [p.slug for p in digest.posts] == ["post-1", "post-2", "post-3"]
    assert digest.key == digest_key(p.post_id for p in reversed(posts))
    assert digest.key.startswith("digest:urn:uuid:")
    assert digest.groups == ("Articles",)


def test_threshold_zero_never_makes_a_digest():
    posts = [post(n) for n in range(1, 6)]
    decision = decide(posts, new_ledger(NOW), now=NOW, digest_threshold=0)
    assert [e.kind for e in decision.emails] == ["post"] * 5


def test_digests_never_mix_posts_for_different_groups():
    posts = [post(1), post(2), post(3), post(4, groups=("Events",))]
    decision = decide(posts, new_ledger(NOW), now=NOW, digest_threshold=3)
    assert [(e.kind, e.groups, len(e.posts)) for e in decision.emails] == [
        ("digest", ("Articles",), 3), ("post", ("Events",), 1)]


def test_the_decision_records_whom_each_email_targets():
    decision = decide([post(1, groups=()), post(2, groups=("Events", "Articles"))],
                      new_ledger(NOW), now=NOW)
    assert [e.groups for e in decision.emails] == [(), ("Events", "Articles")]
    assert reasons(decision) == {"post-1": "to the whole list", "post-2": "to Events, Articles"}


def test_a_half_sent_email_is_resumed_first_as_the_same_email():
    ledger = ledger_with((post(1), "content_set"))
    decision = decide([post(1), post(2)], ledger, now=NOW)
    assert [(e.key, e.resume_from) for e in decision.emails] == [
        (post(1).post_id, "content_set"), (post(2).post_id, None)]
    assert states(decision) == {"post-1": "in progress", "post-2": "due"}


def test_a_half_sent_digest_keeps_its_posts_when_another_post_appears():
    posts = [post(1), post(2), post(3)]
    key = digest_key(p.post_id for p in posts)
    data = record(new_ledger(NOW), key=key, state="creating", now=NOW, posts=posts,
                  backend="outbox", kind="digest", groups=("Articles",))
    decision = decide([*posts, post(4)], data, now=NOW, digest_threshold=3)
    assert [(e.key, len(e.posts), e.resume_from) for e in decision.emails] == [
        (key, 3, "creating"), (post(4).post_id, 1, None)]


def test_a_half_sent_email_goes_to_the_groups_its_front_matter_names_today():
    """The send stopped before anything was made (the list lacked a group); the author
    fixed Newsletter-Groups: the resumed email follows the fix, not the ledger."""
    data = record(new_ledger(NOW), key=post(1).post_id, state="creating", now=NOW,
                  posts=(post(1, groups=("Webinars",)),), backend="mailchimp", kind="post",
                  groups=("Webinars",))
    [email] = decide([post(1, groups=("Events",))], data, now=NOW).emails
    assert (email.resume_from, email.groups) == ("creating", ("Events",))
    posts = [post(1), post(2, groups=("Events", "Articles")), post(3)]
    data = record(new_ledger(NOW), key="digest:x", state="creating", now=NOW, posts=posts,
                  kind="digest", groups=("Articles",))
    data = record(data, key="digest:x", state="created", now=NOW, campaign_id="c")
    [digest] = decide(posts, data, now=NOW).emails
    assert digest.groups == ("Articles", "Events")  # its posts now disagree: all of them


def test_big_digests_are_split_evenly_so_each_title_names_its_posts():
    for count, sizes in [(4, [4]), (5, [3, 2]), (6, [3, 3]), (9, [3, 3, 3]), (10, [4, 3, 3])]:
        emails = decide([post(n) for n in range(1, count + 1)], new_ledger(NOW), now=NOW,
                        digest_threshold=3).emails
        assert [len(e.posts) for e in emails] == sizes
        assert all(e.kind == "digest" and len(e.posts) <= DIGEST_MAX_POSTS for e in emails)
        assert [p.slug for e in emails for p in e.posts] == [
            f"post-{n}" for n in range(1, count + 1)]


def draft_elsewhere(cid, *posts, kind="digest"):
    ids = tuple(p.post_id for p in posts)
    key = ids[0] if kind == "post" else digest_key(ids)
    return Campaign(cid, key, "draft", posts=ids, kind=kind)


def test_due_posts_in_a_draft_made_elsewhere_go_out_in_that_email():
    """Another publisher's draft (or a stray of a lost create) already carries posts 1
    and 2 as a digest: this run sends that email, and plans post 3 apart."""
    draft = draft_elsewhere("w", post(1), post(2))
    taken = {p: draft for p in draft.posts}
    decision = decide([post(1), post(2), post(3)], new_ledger(NOW), now=NOW,
                      digest_threshold=3, taken=taken)
    assert [(e.key, e.kind, e.adopts, len(e.posts)) for e in decision.emails] == [
        (draft.key, "digest", "w", 2), (post(3).post_id, "post", None, 1)]
    assert "in the campaign w made elsewhere" in reasons(decision)["post-1"]


def test_a_post_in_a_draft_this_checkout_cannot_send_waits_for_its_publisher():
    """The draft also carries post 9, which this build does not have (yet)."""
    draft = draft_elsewhere("w", post(1), post(9))
    decision = decide([post(1), post(2)], new_ledger(NOW), now=NOW,
                      taken={p: draft for p in draft.posts})
    assert states(decision) == {"post-1": "held", "post-2": "due"}
    assert "in the draft campaign w made elsewhere" in reasons(decision)["post-1"]
    assert [e.key for e in decision.emails] == [post(2).post_id]


def test_a_half_sent_email_whose_post_was_unpublished_is_held():
    ledger = ledger_with((post(1), "created"))
    decision = decide([post(1, status="draft")], ledger, now=NOW)
    assert states(decision) == {"post-1": "held"}
    assert "stopped at 'created'" in reasons(decision)["post-1"]
    assert decision.emails == ()


def test_scheduled_and_cancelled_posts_are_not_due():
    data = ledger_with((post(1), "checked"), (post(2), "checked"))
    data = record(data, key=post(1).post_id, state="scheduled", now=NOW)
    data = record(data, key=post(2).post_id, state="cancelled", now=NOW)
    decision = decide([post(1), post(2)], data, now=NOW)
    assert states(decision) == {"post-1": "scheduled", "post-2": "skipped"}
    assert "cancelled" in reasons(decision)["post-2"]


def test_rows_follow_the_posts_order():
    data = ledger_with((post(2), "sent"))
    decision = decide([post(1), post(2), post(3)], data, now=NOW)
    assert [row.post.slug for row in decision.rows] == ["post-1", "post-2", "post-3"]


def test_skip_reason_is_empty_for_a_sendable_post():
    assert skip_reason(post(1), NOW) == ""
    assert "rebuild" in skip_reason(post(1, has_email=False), NOW)


SETTINGS = SimpleNamespace(
    known_groups=("Articles", "Events", "Executive Coaching Group"),
    groups_source="audience.json", category_groups={"Events": ("Events",)},
    default_groups=("Articles",),
)


def fields(metadata, category="Career", summary="<p>A <em>short</em> summary.</p>"):
    return newsletter_fields(metadata, title="A & B", summary_html=summary,
                             category=category, settings=SETTINGS)


def test_targeting_front_matter_then_category_then_default():
    assert target_groups(("Events", "Articles"), "Events", {"Events": ("Events",)}, ()) == (
        "Articles", "Events")
    assert target_groups((), "Events", {"Events": ("Events",)}, ("Articles",)) == ("Events",)
    assert target_groups((), "Career", {"Events": ("Events",)}, ("Articles",)) == ("Articles",)
    assert target_groups((), "Career", {}, ()) == ()
    assert fields({"newsletter-groups": "Executive Coaching Group, Events"})[0].groups == (
        "Events", "Executive Coaching Group")
    assert fields({}, category="Events")[0].groups == ("Events",)


def test_front_matter_subject_and_preview_override_title_and_summary():
    plain, problems = fields({})
    assert (plain.subject, plain.preview, problems) == ("A & B", "A short summary.", [])
    custom, _ = fields({"subject": "  Read   this ", "preview": "Before you open it"})
    assert (custom.subject, custom.preview) == ("Read this", "Before you open it")
    long = fields({}, summary="<p>" + "word " * 60 + "</p>")[0].preview
    assert len(long) <= 150 and long.endswith("…")
    assert shorten("short", 10) == "short"


@pytest.mark.parametrize("value, expected", [("no", False), ("No", False), ("false", False),
                                             ("yes", True), ("true", True)])
def test_newsletter_flag(value, expected):
    assert fields({"newsletter": value})[0].newsletter is expected


def test_bad_flag_and_unknown_groups_are_problems_with_the_fix():
    _, problems = fields({"newsletter": "maybe", "newsletter-groups": "Articles, Podcasts"})
    assert "field 'Newsletter' is 'maybe'" in problems[0]
    assert "'Podcasts', which is not an interest group" in problems[1]
    assert "Articles, Events, Executive Coaching Group (from audience.json)" in problems[1]
