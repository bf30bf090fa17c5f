"""End to end: build the real site with Pelican, send to an outbox, read the .eml files
back with Python's email package; then run again, then add a post."""

import email
import re
from email import policy

import pytest
from bs4 import BeautifulSoup
from conftest import PRODUCTION_URL
from invoke import Context
from invoke.exceptions import Exit
from publish_helpers import LATER_POST

import tasks
from possibility.commands.publish.build import load_settings
from possibility.commands.send import FirstRunError, baseline, send
from possibility.core.newsletter.settings import read_settings

REAL_POSTS = {
    "urn:uuid:6f1d3c52-8a0e-4e7b-9c1a-2d5b7e4f8a10": "Should Your Work Speak For Itself?",
    "urn:uuid:0b9e7a44-3c2f-4d1e-8f6a-5e8c1b2d9f37": "Is Your Career Off Track?",
}
NEW_POST = """Title: What Curiosity Makes Possible
Date: 2021-06-01 09:00
Author: Karen Steinberg
Category: Executive Coaching
Slug: what-curiosity-makes-possible
Post-Id: 9a7c1e55-2b4d-4f6e-8a1c-3d5e7f9b1c2d
Summary: A new post, written after the newsletter started.

Curiosity opens doors. [Book a session]({filename}/pages/contact.md).
"""


def newsletter_settings(site, **overrides):
    """The production settings of this site copy, with ledger and outbox in its folder."""
    values = {"PATH": str(site.content), "OUTPUT_PATH": str(site.output),
              "SITEURL": PRODUCTION_URL,
              "NEWSLETTER_LEDGER_PATH": str(site.folder / "newsletter-ledger.json"),
              "NEWSLETTER_OUTBOX_PATH": str(site.folder / "outbox")}
    values.update(overrides)
    return read_settings(load_settings(tasks.SETTINGS_PUBLISH, values))


def outbox(settings):
    """Every delivered message, parsed, by the post identity it carries."""
    messages = {}
    for path in sorted(settings.outbox_path.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        messages[message["X-Newsletter-Key"]] = message
    return messages


def test_the_real_site_goes_out_once_and_a_new_post_alone_goes_next(site):
    site.build()
    settings = newsletter_settings(site)
    with pytest.raises(FirstRunError, match="invoke newsletter-baseline"):
        send(site.output, settings)
    marked = baseline(site.output, settings, keep=["is-your-career-off-track",
                                                   "should-your-work-speak-for-itself"])
    assert marked.marked == ()
    report = send(site.output, settings)
    assert sorted(r.slugs[0] for r in report.results) == [
        "is-your-career-off-track", "should-your-work-speak-for-itself"]

    messages = outbox(settings)
    assert set(messages) == set(REAL_POSTS)
    for key, message in messages.items():
        assert message.get_content_type() == "multipart/alternative"
        assert message["Subject"] == REAL_POSTS[key]
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        page = BeautifulSoup(html, "html.parser")
        links = [a["href"] for a in page.select("a[href]")] + [
            i["src"] for i in page.select("img[src]")]
        assert links and all(link.startswith(("https://", "mailto:")) for link in links)
        assert any(link.startswith(f"{PRODUCTION_URL}/") for link in links)
        assert page.h1.get_text(strip=True) == REAL_POSTS[key]
        assert REAL_POSTS[key] in text and "Unsubscribe: https://" in text

    again = send(site.output, settings)
    assert again.results == [] and len(list(settings.outbox_path.glob("*.eml"))) == 2

    site.write_post("curiosity.md", NEW_POST)
    site.build()
    third = send(site.output, newsletter_settings(site))
    assert [r.slugs for r in third.results] == [("what-curiosity-makes-possible",)]
    new = outbox(settings)["urn:uuid:9a7c1e55-2b4d-4f6e-8a1c-3d5e7f9b1c2d"]
    assert new["Subject"] == "What Curiosity Makes Possible"
    assert f"{PRODUCTION_URL}/contact/" in new.get_body(("html",)).get_content()
    assert len(list(settings.outbox_path.glob("*.eml"))) == 3


def test_a_baselined_site_sends_only_posts_published_after(site):
    site.build()
    settings = newsletter_settings(site)
    assert len(baseline(site.output, settings).marked) == 2
    assert send(site.output, settings).results == []
    site.write_post("curiosity.md", NEW_POST)
    site.build()
    report = send(site.output, settings)
    assert [r.slugs for r in report.results] == [("what-curiosity-makes-possible",)]
    assert list(outbox(settings)) == ["urn:uuid:9a7c1e55-2b4d-4f6e-8a1c-3d5e7f9b1c2d"]


def tasks_on(site, monkeypatch):
    """The tasks, run on a copy of the project's settings and content: a Context."""
    for name in ("pelicanconf.py", "publishconf.py"):
        (site.folder / name).write_text((tasks.ROOT / name).read_text())
    (site.folder / "theme").symlink_to(tasks.ROOT / "theme")
    (site.folder / "plugins").symlink_to(tasks.ROOT / "plugins")
    monkeypatch.setattr(tasks, "SETTINGS_BASE", site.folder / "pelicanconf.py")
    monkeypatch.setattr(tasks, "SETTINGS_PUBLISH", site.folder / "publishconf.py")
    monkeypatch.setattr(tasks, "ROOT", site.folder)
    for name in ("MAILCHIMP_API_KEY", "MAILCHIMP_LIST_ID", "MAILCHIMP_API_URL", "SITEURL"):
        monkeypatch.delenv(name, raising=False)
    return Context()


def test_the_invoke_tasks_status_baseline_send_and_preview(site, monkeypatch, capsys):
    """The tasks as an author runs them, on a copy of the project's settings and content."""
    context = tasks_on(site, monkeypatch)
    for settings_file in (None, tasks.SETTINGS_BASE):
        where = tasks._newsletter(settings_file)
        assert site.folder in where.ledger_path.parents and site.folder in where.outbox_path.parents

    tasks.newsletter_status(context)
    assert "due                 is-your-career-off-track" in capsys.readouterr().out
    with pytest.raises(Exit) as refused:
        tasks.newsletter_send(context)
    assert "first run" in str(refused.value.message) and refused.value.code == 1
    tasks.newsletter_baseline(context, send=["should-your-work-speak-for-itself"])
    assert "not to be sent: is-your-career-off-track" in capsys.readouterr().out
    tasks.newsletter_send(context, dry_run=True)
    assert "would send: should-your-work-speak-for-itself" in capsys.readouterr().out
    tasks.newsletter_send(context, test_to=["karen@example.org"])
    out = capsys.readouterr().out
    assert "rehearsed: should-your-work-speak-for-itself" in out and "karen@example.org" in out
    assert "not sent to subscribers" in out
    assert len(list((site.folder / "outbox").glob("*.eml"))) == 1
    assert (site.content / "newsletter-ledger.json").is_file()
    tasks.newsletter_preview(context, slug="is-your-career-off-track")
    out = capsys.readouterr().out
    assert "newsletter/is-your-career-off-track/index.html" in out
    assert "served:  /newsletter/is-your-career-off-track/" in out


SAMPLE_POST = """Title: Not Written Yet
Date: 2021-06-02 09:00
Slug: not-written-yet
Post-Id: 5c1e7a44-3c2f-4d1e-8f6a-5e8c1b2d9f99
Summary: One or two sentences that say what this post gives the reader.

Write the post here. Remove 'Status: draft' when it is ready to publish.
"""


def test_status_names_held_back_posts_and_sends_refuse_sample_text(site, monkeypatch, capsys):
    context = tasks_on(site, monkeypatch)
    site.write_post("not-written-yet.md", SAMPLE_POST)
    site.write_post("written-for-later.md", LATER_POST)
    tasks.newsletter_baseline(context, send=["not-written-yet"])
    capsys.readouterr()

    tasks.newsletter_status(context)
    out = capsys.readouterr().out
    assert "Sends go to the local outbox: a rehearsal, not sent to subscribers (set " \
           "MAILCHIMP_API_KEY to send for real)." in out
    assert re.search(r"\n  held back +written-for-later +content/posts/written-for-later\.md "
                     r"is dated 2999-01-01 10:00 EST \(in \d+ years\): it is published by the "
                     r"first build after that\n", out), out
    assert re.search(r"\n  due +not-written-yet +to Articles\n", out), out
    summary = ("content/posts/not-written-yet.md: field 'Summary' is still new-post's sample "
               "text: write one or two sentences of your own")
    assert f"  not sendable: {summary}" in out

    for dry_run in (True, False):
        with pytest.raises(Exit) as refused:
            tasks.newsletter_send(context, dry_run=dry_run)
        assert refused.value.code == 1 and summary in refused.value.message
        assert "content/posts/not-written-yet.md: the body is still new-post's sample text" \
            in refused.value.message
    assert not (site.folder / "outbox").exists()
