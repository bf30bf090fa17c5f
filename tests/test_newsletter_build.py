"""What a Pelican build writes for the newsletter, and the checks that stop a build."""

import json
import shutil
import socket

import pytest
from bs4 import BeautifulSoup
from conftest import PRODUCTION_URL, ROOT

from possibility.commands.publish.build import BuildError

ARTICLES = {
    "should-your-work-speak-for-itself": "urn:uuid:6f1d3c52-8a0e-4e7b-9c1a-2d5b7e4f8a10",
    "is-your-career-off-track": "urn:uuid:0b9e7a44-3c2f-4d1e-8f6a-5e8c1b2d9f37",
}


def post_text(slug, extra="", body="A body with enough words to read."):
    return (f"Title: Post {slug}\nDate: 2021-05-05 10:00\nSlug: {slug}\n"
            f"Summary: The summary of {slug}.\n{extra}\n{body}\n")


def meta(site, slug):
    return json.loads((site.output / "newsletter" / slug / "meta.json").read_text("utf-8"))


def urls(html):
    page = BeautifulSoup(html, "html.parser")
    return [tag.get("href") or tag.get("src") for tag in page.select("a[href], img[src]")]


def test_each_published_post_gets_its_email_files(production_site):
    folder = production_site.output / "newsletter"
    assert sorted(p.name for p in folder.iterdir()) == sorted(ARTICLES)
    for slug, post_id in ARTICLES.items():
        files = sorted(p.name for p in (folder / slug).iterdir())
        assert files == ["email.txt", "index.html", "meta.json"]
        data = meta(production_site, slug)
        assert data["post_id"] == post_id and data["status"] == "published"
        assert data["url"] == f"{PRODUCTION_URL}/{slug}/"
        assert data["groups"] == ["Articles"] and data["content_hash"].startswith("sha256:")
        assert data["subject"] == data["title"] and data["preview"]


def test_the_email_has_absolute_links_and_merge_tags_and_the_preview_sample_values(
    production_site,
):
    folder = production_site.output / "newsletter" / "should-your-work-speak-for-itself"
    sent = json.loads((folder / "meta.json").read_text("utf-8"))["html"]
    text = (folder / "email.txt").read_text("utf-8")
    preview = (folder / "index.html").read_text("utf-8")
    assert all(u.startswith(("https://", "mailto:", "*|")) for u in urls(sent))
    assert f"{PRODUCTION_URL}/should-your-work-speak-for-itself/" in urls(sent)
    assert "*|UNSUB|*" in sent and "*|LIST:ADDRESS|*" in text
    assert "*|" not in preview and "https://example.com/unsubscribe?sample=1" in preview
    assert "Relationships Are the Cornerstone of All Business" in sent
    assert "My work should speak for itself." in text


def test_pages_drafts_and_future_posts_get_no_email_in_production(production_site):
    names = {p.name for p in (production_site.output / "newsletter").iterdir()}
    assert not names & {"about", "contact", "a-draft-nobody-should-see", "a-post-from-the-future"}


def test_a_local_build_links_emails_to_the_public_site_and_previews_drafts(site):
    site.write_post("draft.md", post_text("my-draft", "Status: draft"))
    site.build("pelicanconf.py")
    data = meta(site, "my-draft")
    assert data["status"] == "draft"
    assert data["url"] == "https://www.thepossibilitypractice.com/my-draft/"
    sent = meta(site, "my-draft")["html"]
    assert 'href="https://www.thepossibilitypractice.com/my-draft/"' in sent
    assert 'href="https://www.thepossibilitypractice.com/"' in sent
    assert (site.output / "drafts" / "my-draft" / "index.html").is_file()


def test_newsletter_no_keeps_a_record_but_renders_no_email(site):
    site.write_post("quiet.md", post_text("quiet", "Newsletter: no"))
    site.build()
    assert meta(site, "quiet")["newsletter"] is False and meta(site, "quiet")["email"] is None
    assert sorted(p.name for p in (site.output / "newsletter" / "quiet").iterdir()) == [
        "meta.json"]


def test_relative_links_in_a_post_point_to_the_site_in_its_email(site):
    (site.content / "images").mkdir(exist_ok=True)  # a missing image stops the build
    (site.content / "images" / "desk.jpg").write_bytes(b"not really a JPEG")
    site.write_post("links.md", post_text(
        "links", body="[Contact me](/contact/), [that post](../is-your-career-off-track/) "
                      "and ![A desk](/images/desk.jpg)."))
    site.build()
    sent = meta(site, "links")["html"]
    assert f'href="{PRODUCTION_URL}/contact/"' in sent
    assert f'href="{PRODUCTION_URL}/is-your-career-off-track/"' in sent
    assert f'src="{PRODUCTION_URL}/images/desk.jpg"' in sent


def test_summary_mode_sends_the_summary_and_a_link(site):
    site.write_post("long.md", post_text("long", body="Only in the body of the post."))
    site.build(NEWSLETTER_CONTENT="summary")
    sent = meta(site, "long")["html"]
    assert "The summary of long." in sent and "Only in the body" not in sent
    assert ">Read on the site</a>" in sent


@pytest.mark.parametrize(
    "extra, body, overrides, expected",
    [
        ("Newsletter-Groups: Articles, Podcasts", "Body.", {},
         "field 'Newsletter-Groups' names 'Podcasts', which is not an interest group"),
        ("Subject: " + "Long " * 31, "Body.", {}, "the subject is 154 characters, over the 150"),
        ("", "Body.", {"NEWSLETTER_MAX_HTML_KB": 1}, "over the 1 KB limit"),
        ("", '<div style="background-image: url(/images/bg.png)">Hi</div>', {},
         "relative URL, which no email client can open"),
        ("Newsletter: maybe", "Body.", {}, "field 'Newsletter' is 'maybe'"),
    ],
)
def test_an_unsendable_email_stops_the_build_before_anything_is_written(
    site, extra, body, overrides, expected
):
    site.write_post("bad.md", post_text("bad", extra, body))
    with pytest.raises(BuildError) as caught:
        site.build(**overrides)
    message = str(caught.value)
    assert "bad.md: newsletter: " in message and expected in message
    assert not (site.output / "index.html").exists()


@pytest.mark.parametrize(
    "template, text, expected",
    [
        ("footer.txt", "Bye.\n", "the plain-text part lacks Mailchimp's *|UNSUB|*"),
        ("post.html", '{% extends "base.html" %}{% block main %}<img src="https://x.org/'
                      'logo.png">{{ body }}{% endblock %}', "https://x.org/logo.png has no alt"),
    ],
)
def test_a_theme_template_that_breaks_a_rule_stops_the_build(
    site, tmp_path, template, text, expected
):
    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", theme)
    (theme / "templates" / "newsletter").mkdir()
    (theme / "templates" / "newsletter" / template).write_text(text)
    with pytest.raises(BuildError) as caught:
        site.build(THEME=str(theme))
    assert expected in str(caught.value)


def test_a_page_inside_the_newsletter_folder_stops_the_build(site):
    (site.content / "pages" / "news.md").write_text("Title: News\nSlug: newsletter/x\n\nHi.\n")
    with pytest.raises(BuildError, match="inside newsletter/ which the newsletter rewrites"):
        site.build()


def test_a_build_uses_no_network_and_never_touches_the_ledger(site, monkeypatch):
    ledger = site.content / "newsletter-ledger.json"
    ledger.write_text('{"schema": 1, "posts": {}, "started": "2026-01-01T00:00:00Z"}\n')
    before = ledger.stat().st_mtime_ns, ledger.read_bytes()

    def no_network(*args):
        raise AssertionError("the build tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    site.build()
    assert (ledger.stat().st_mtime_ns, ledger.read_bytes()) == before
    assert not (site.output / "newsletter-ledger.json").exists()
    assert not (site.folder / "outbox").exists()


def test_a_rebuild_drops_the_email_of_a_removed_post(site):
    extra = site.write_post("gone.md", post_text("gone"))
    site.build("pelicanconf.py")
    assert (site.output / "newsletter" / "gone").is_dir()
    extra.unlink()
    site.build("pelicanconf.py")
    assert not (site.output / "newsletter" / "gone").exists()
    assert (site.output / "newsletter" / "is-your-career-off-track").is_dir()
