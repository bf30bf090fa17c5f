"""The public archive of past issues (/past-issues/): built from the committed ledger
and the web copies the send keeps, with no personal link, merge tag, sample value or UTM
tag; valid HTML, accessible, linked from every signup form, committed with the ledger.
"""

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from browser_fixtures import StaticServer, axe_violations
from conftest import PRODUCTION_URL
from publish_helpers import git, started_checkout
from test_html_valid import nu_errors
from test_mailchimp_backend_support import newsletter_settings, start_ledger
from test_mailchimp_targeting import backend_for, post

from possibility.commands.publish.build import BuildError
from possibility.commands.publish.deploy import deploy_tree
from possibility.commands.publish.ledger_git import commit_ledger
from possibility.commands.publish.settings import read_settings as publish_settings
from possibility.commands.send import send
from possibility.core.newsletter.archive import (
    copies_folder,
    copy_problems,
    read_copy,
    sent_to_list,
    store_web_copy,
    web_copy,
)
from possibility.core.newsletter.backends import OutboxBackend
from possibility.core.newsletter.ledger import write_ledger
from possibility.core.newsletter.model import Email, load_posts, read_parts

ARCHIVE = "past-issues/"
CAREER = "urn:uuid:0b9e7a44-3c2f-4d1e-8f6a-5e8c1b2d9f37"
WORK = "urn:uuid:6f1d3c52-8a0e-4e7b-9c1a-2d5b7e4f8a10"
PERSONAL = ("*|", "unsubscribe", "update-profile", "Update your preferences", "sample=1",
            "Sample Street", "utm_")


def entry(slug, title, state, *, backend=None, email=None, kind="post", groups=("Articles",),
          sent="2026-11-24T15:00:00Z", campaign="c1", subject=None):
    """A ledger entry as a send records it."""
    data = {"content_hash": "sha256:x", "slug": slug, "state": state, "title": title,
            "times": {state: sent}}
    if state != "baseline":
        data.update({"backend": backend, "campaign_id": campaign, "email": email,
                     "groups": list(groups), "kind": kind, "subject": subject or title})
    return data


def ledger_fixture():
    """Everything a ledger can hold: posts from before the newsletter, an outbox rehearsal,
    one email in progress, a post and a digest that went to the Mailchimp list."""
    digest = "digest:urn:uuid:aaaaaaaa-0000-4000-8000-00000000000d"
    return {"schema": 1, "started": "2026-11-01T00:00:00Z", "posts": {
        CAREER: entry("is-your-career-off-track", "Is Your Career Off Track?", "sent",
                      backend="mailchimp", email=CAREER, sent="2026-11-20T15:00:00Z"),
        WORK: entry("should-your-work-speak-for-itself", "Should Your Work Speak For Itself?",
                    "baseline"),
        "urn:uuid:aaaaaaaa-0000-4000-8000-000000000001": entry(
            "rehearsed", "Only In The Outbox", "sent", backend="outbox",
            email="urn:uuid:aaaaaaaa-0000-4000-8000-000000000001", campaign="outbox-1"),
        "urn:uuid:aaaaaaaa-0000-4000-8000-000000000002": entry(
            "half-way", "Not Sent Yet", "checked", backend="mailchimp",
            email="urn:uuid:aaaaaaaa-0000-4000-8000-000000000002"),
        "urn:uuid:aaaaaaaa-0000-4000-8000-000000000003": entry(
            "first-of-three", "First", "sent", backend="mailchimp", email=digest,
            kind="digest", subject="3 new articles from The Possibility Practice",
            campaign="c2", groups=("Articles", "Events")),
        "urn:uuid:aaaaaaaa-0000-4000-8000-000000000004": entry(
            "second-of-three", "Second", "sent", backend="mailchimp", email=digest,
            kind="digest", subject="3 new articles from The Possibility Practice",
            campaign="c2", groups=("Articles", "Events")),
    }}


def test_only_emails_that_went_to_the_list_are_read_from_the_ledger():
    sent = sent_to_list(ledger_fixture())
    assert [(s.subject, s.kind, s.groups) for s in sent] == [
        ("Is Your Career Off Track?", "post", ("Articles",)),
        ("3 new articles from The Possibility Practice", "digest", ("Articles", "Events")),
    ]
    assert sent[0].sent_at == datetime(2026, 11, 20, 15, tzinfo=UTC)
    assert [(slug, title) for _, slug, title in sent[1].posts] == [
        ("first-of-three", "First"), ("second-of-three", "Second")]
    assert sent_to_list(None) == []


@pytest.fixture
def fixture_site(site):
    """A site copy with the ledger fixture and a web copy of the real post's email (made
    from its built email, as the send makes it) and of the digest (its HTML by hand)."""
    site.build()
    settings = newsletter_settings(site.content, site.content / "newsletter-ledger.json")
    write_ledger(settings.ledger_path, ledger_fixture())
    [career] = [p for p in load_posts(site.output / "newsletter") if p.post_id == CAREER]
    html, text = read_parts(career)
    sent = datetime(2026, 11, 20, 15, tzinfo=UTC)
    email = Email(CAREER, "post", career.subject, career.preview, html, text, ("Articles",),
                  (career,))
    assert store_web_copy(settings, email, "mailchimp", sent) == \
        copies_folder(settings.ledger_path) / "2026-11-20-is-your-career-off-track.html"
    digest_html = (
        "<html><body><div class='preheader'>Three new posts</div><div role='main'>"
        "<h1>3 new articles from The Possibility Practice</h1><h2><a href='"
        f"{PRODUCTION_URL}/first-of-three/?utm_source=newsletter&amp;utm_campaign=d'>First</a>"
        "</h2><p>Hello *|FNAME|*, <a href='*|UNSUB|*'>leave</a> any time.</p></div>"
        "<p><a href='*|UPDATE_PROFILE|*'>Update your preferences</a> *|LIST:ADDRESS|*</p>"
        "</body></html>")
    first = replace(career, post_id="urn:uuid:aaaaaaaa-0000-4000-8000-000000000003",
                    slug="first-of-three", url=f"{PRODUCTION_URL}/first-of-three/")
    digest = Email("digest:urn:uuid:aaaaaaaa-0000-4000-8000-00000000000d", "digest",
                   "3 new articles", "", digest_html, "", (), (first,))
    store_web_copy(settings, digest, "mailchimp", datetime(2026, 11, 24, 15, tzinfo=UTC))
    site.build()
    return site


def test_the_archive_lists_every_email_sent_to_the_list_newest_first(fixture_site):
    page = fixture_site.html(f"{ARCHIVE}index.html")
    listed = page.split('<ul class="archive newsletter-archive">')[1].split("</ul>")[0]
    assert listed.count("<li>") == 2
    digest, career = listed.split("</li>")[:2]
    assert '<time datetime="2026-11-24T10:00:00-05:00">November 24, 2026</time>' in digest
    assert (f'<a href="{PRODUCTION_URL}/{ARCHIVE}2026-11-24-digest-first-of-three/">3 new '
            "articles from The Possibility Practice</a>") in digest
    assert "to Articles, Events · 2 articles" in digest
    assert (f'<a href="{PRODUCTION_URL}/{ARCHIVE}2026-11-20-is-your-career-off-track/">Is '
            "Your Career Off Track?</a>") in career
    assert '<span class="meta">to Articles</span>' in career
    for left_out in ("Should Your Work", "Only In The Outbox", "Not Sent Yet"):
        assert left_out not in page


def test_web_copies_hold_no_personal_link_merge_tag_sample_value_or_utm(fixture_site):
    for name in ("2026-11-20-is-your-career-off-track", "2026-11-24-digest-first-of-three"):
        page = fixture_site.html(f"{ARCHIVE}{name}/index.html")
        main = page.split('<main id="main"')[1].split("</main>")[0]
        for personal in PERSONAL:
            assert personal not in main, (name, personal)
        assert "newsletter-issue" in main and "preheader" not in main
    career = fixture_site.html(f"{ARCHIVE}2026-11-20-is-your-career-off-track/index.html")
    assert "<h1><a href=\"https://www.thepossibilitypractice.com/is-your-career-off-track/\"" \
        in career
    assert "Read on the site" in career
    digest = fixture_site.html(f"{ARCHIVE}2026-11-24-digest-first-of-three/index.html")
    assert "Hello," in digest and "leave" not in digest  # merge tag, personal link: gone
    # its post is not on this site: the words stay, the link (a dead end) goes
    assert "<h2>First</h2>" in digest and f"{PRODUCTION_URL}/first-of-three/" not in digest


def test_the_stored_copy_is_already_clean(fixture_site):
    folder = fixture_site.content / "newsletter-archive"
    for path in folder.glob("*.html"):
        key, html = read_copy(path)
        assert copy_problems(html, PRODUCTION_URL) == []
        assert web_copy(html, key=key, siteurl=PRODUCTION_URL) == html  # stable


def test_the_archive_and_its_copies_are_valid_html(fixture_site):
    assert nu_errors(fixture_site.output / "newsletter" / "archive") == []


def test_a_rebuild_leaves_the_archive_alone_and_removes_what_is_gone(fixture_site):
    again = fixture_site.build()
    archive = {p for p in again.output.unchanged if p.startswith(ARCHIVE)}
    assert archive == {f"{ARCHIVE}index.html",
                       f"{ARCHIVE}2026-11-20-is-your-career-off-track/index.html",
                       f"{ARCHIVE}2026-11-24-digest-first-of-three/index.html"}
    assert not [p for p in again.output.written if p.startswith("newsletter/")]
    assert not (fixture_site.output / ".newsletter-archive-held").exists()
    (fixture_site.content / "newsletter-archive"
     / "2026-11-24-digest-first-of-three.html").unlink()
    fixture_site.build()
    assert not (fixture_site.output / ARCHIVE / "2026-11-24-digest-first-of-three").exists()
    assert (fixture_site.output / "newsletter" / "is-your-career-off-track" / "meta.json") \
        .is_file()  # the email previews are the newsletter's, as ever


def test_a_sent_email_without_a_copy_is_listed_without_a_link(fixture_site, caplog):
    (fixture_site.content / "newsletter-archive"
     / "2026-11-20-is-your-career-off-track.html").unlink()
    with caplog.at_level(logging.WARNING):
        fixture_site.build()
    page = fixture_site.html(f"{ARCHIVE}index.html")
    assert "November 20, 2026</time> Is Your Career Off Track? <span" in page
    assert "has no web copy" in caplog.text
    assert not (fixture_site.output / ARCHIVE / "2026-11-20-is-your-career-off-track").exists()


def test_a_copy_with_a_merge_tag_stops_the_build(fixture_site):
    path = fixture_site.content / "newsletter-archive" / "2026-11-20-is-your-career-off-track.html"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "</article>", '<p><a href="*|UNSUB|*">Unsubscribe</a></p></article>'), encoding="utf-8")
    with pytest.raises(BuildError) as stopped:
        fixture_site.build()
    assert "newsletter archive" in str(stopped.value)
    assert "merge tag" in str(stopped.value)


def test_with_no_ledger_the_archive_says_nothing_went_out_yet(site):
    site.build()
    assert "No issue has gone out yet." in site.html(f"{ARCHIVE}index.html")


def test_a_post_written_into_the_archive_stops_the_build(site):
    site.write_post("archive.md", post("archive", 1).replace(
        "Slug: archive", "Slug: archive\nSave_as: past-issues/archive/index.html"))
    with pytest.raises(BuildError, match="archive.md: is written to past-issues/archive/"
                                         "index.html, inside past-issues/"):
        site.build()


def test_see_past_issues_beside_every_form_leads_to_the_archive(fixture_site):
    link = f'class="signup-archive" href="{PRODUCTION_URL}/{ARCHIVE}"'
    for page in ("should-your-work-speak-for-itself/index.html", "subscribe/index.html",
                 "index.html", "about/index.html"):
        assert link in fixture_site.html(page), page
    assert (fixture_site.output / ARCHIVE / "index.html").is_file()


def test_the_archive_and_a_copy_pass_axe_in_chromium(fixture_site, page_in):
    fixture_site.output.mkdir(exist_ok=True)
    with StaticServer(fixture_site.output) as server:
        fixture_site.build(SITEURL=server.url)
        for path in (ARCHIVE, f"{ARCHIVE}2026-11-20-is-your-career-off-track/"):
            for scheme in ("light", "dark"):
                page = page_in(color_scheme=scheme)
                assert page.goto(f"{server.url}/{path}", wait_until="load").status == 200
                assert axe_violations(page) == [], (path, scheme)
        page = page_in()
        page.goto(f"{server.url}/subscribe/", wait_until="load")
        page.get_by_role("link", name="See past issues").first.click()
        page.wait_for_load_state("load")
        assert page.url == f"{server.url}/{ARCHIVE}"
        assert page.get_by_role("heading", level=1).inner_text() == "Past issues"


# The send keeps the copy; publish commits it ----------------------------------------------


def test_a_send_to_the_list_keeps_each_emails_web_copy(site, mailchimp_api, tmp_path):
    for name, number in (("a", 1), ("b", 2), ("c", 3)):
        site.write_post(f"{name}.md", post(name, number))
    site.build()
    settings = newsletter_settings(site.content, site.content / "newsletter-ledger.json",
                                   NEWSLETTER_OUTBOX_PATH=str(tmp_path / "outbox"))
    start_ledger(site.output, settings, send=["a", "b", "c"])
    send(site.output, settings, backend=backend_for(settings, mailchimp_api))  # a digest
    site.write_post("d.md", post("d", 4))
    site.build()
    report = send(site.output, settings, backend=OutboxBackend.from_settings(settings))
    assert [r.slugs for r in report.results] == [("d",)]  # a rehearsal in the outbox

    copies = sorted(p.name for p in copies_folder(settings.ledger_path).glob("*.html"))
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert copies == [f"{today}-digest-a.html"]  # the rehearsal keeps none
    _, html = read_copy(copies_folder(settings.ledger_path) / copies[0])
    assert copy_problems(html, PRODUCTION_URL) == []
    assert "utm_" not in html  # the campaign's links carry them; the copy does not
    [campaign] = mailchimp_api.server.campaigns.values()
    assert "utm_campaign=digest-a" in campaign["content"]["html"]

    site.build()
    page = site.html(f"{ARCHIVE}index.html")
    assert f'{ARCHIVE}{today}-digest-a/">3 new articles from The Possibility Practice</a>' \
        in page
    assert "Post d" not in page
    issue = site.html(f"{ARCHIVE}{today}-digest-a/index.html")
    for slug in ("a", "b", "c"):
        assert f'href="{PRODUCTION_URL}/{slug}/" data-post="urn:uuid:' in issue


def test_a_link_to_a_post_follows_its_new_slug_or_becomes_words(site, mailchimp_api):
    site.write_post("a.md", post("a", 1))
    site.build()
    settings = newsletter_settings(site.content, site.content / "newsletter-ledger.json")
    start_ledger(site.output, settings, send=["a"])
    send(site.output, settings, backend=backend_for(settings, mailchimp_api))
    site.write_post("a.md", post("a", 1).replace("Slug: a", "Slug: a-renamed"))
    (site.content / "posts" / "a.md").rename(site.content / "posts" / "a-renamed.md")
    site.build()
    [copy_page] = (site.output / ARCHIVE).glob("*-a/index.html")
    html = copy_page.read_text(encoding="utf-8")
    assert f'href="{PRODUCTION_URL}/a-renamed/"' in html
    assert f'href="{PRODUCTION_URL}/a/"' not in html

    (site.content / "posts" / "a-renamed.md").unlink()
    site.build()
    html = copy_page.read_text(encoding="utf-8")
    main = html.split("<main")[1].split("</main>")[0]
    assert "<h1>Post a</h1>" in main and f"{PRODUCTION_URL}/a-renamed/" not in main


def test_the_outbox_keeps_no_web_copy(tmp_path):
    settings = type("S", (), {"ledger_path": tmp_path / "ledger.json",
                              "siteurl": PRODUCTION_URL})()
    email = Email("urn:uuid:x", "post", "S", "", "<p>x</p>", "x", (), ())
    assert store_web_copy(settings, email, "outbox", datetime.now(UTC)) is None
    assert not copies_folder(settings.ledger_path).exists()


@pytest.fixture
def checkout(tmp_path):
    folder = tmp_path / "site"
    (folder / "content").mkdir(parents=True)
    return started_checkout(folder)


def test_publish_commits_the_web_copies_with_the_ledger(checkout):
    ledger = checkout / "content" / "newsletter-ledger.json"
    ledger.write_text(json.dumps(ledger_fixture()))
    copies = checkout / "content" / "newsletter-archive"
    copies.mkdir()
    (copies / "2026-11-20-is-your-career-off-track.html").write_text("<article></article>\n")
    (checkout / "README.md").write_text("an unrelated edit\n")

    done = commit_ledger(checkout, ledger, ["Is Your Career Off Track?"])
    sha = git(checkout, "rev-parse", "--short", "HEAD")
    assert done == (f"committed content/newsletter-ledger.json as {sha} (with "
                    'content/newsletter-archive): Newsletter: sent "Is Your Career Off Track?"')
    assert sorted(git(checkout, "show", "--name-only", "--format=", "HEAD").split()) == [
        "content/newsletter-archive/2026-11-20-is-your-career-off-track.html",
        "content/newsletter-ledger.json"]
    assert git(checkout, "status", "--porcelain").strip() == "M README.md"

    (copies / "2026-11-24-digest-first-of-three.html").write_text("<article></article>\n")
    assert "(with content/newsletter-archive)" in commit_ledger(checkout, ledger, [])
    assert git(checkout, "status", "--porcelain").strip() == "M README.md"  # a copy alone
    assert commit_ledger(checkout, ledger, []) == \
        "content/newsletter-ledger.json unchanged: nothing to commit"


def test_the_archive_is_deployed_but_the_email_previews_are_not(fixture_site):
    settings = publish_settings({"SITEURL": PRODUCTION_URL,
                                 "OUTPUT_PATH": str(fixture_site.output)}, {},
                                fixture_site.folder)
    with deploy_tree(fixture_site.output, settings.exclude) as tree:
        assert not (tree / "newsletter" / "is-your-career-off-track").exists()
        assert (tree / ARCHIVE / "index.html").is_file()
