"""Rendering an email and checking it: pure functions, no Pelican build."""

import json
from datetime import UTC, datetime

import lxml.html
import pytest

from possibility.core.newsletter.email_checks import check_email, check_groups
from possibility.core.newsletter.html_transform import absolutize, html_to_text
from possibility.core.newsletter.model import PostRecord, SiteInfo
from possibility.core.newsletter.render_email import fill_merge_tags, render_digest, render_post
from possibility.core.newsletter.settings import NewsletterSettingsError, read_settings

SITE = SiteInfo("The Possibility Practice", "Cultivate curiosity. Create possibility.",
                "https://www.thepossibilitypractice.com")
RECORD = PostRecord(
    post_id="urn:uuid:6f1d3c52-8a0e-4e7b-9c1a-2d5b7e4f8a10", slug="speak",
    title="Should Your Work Speak <For> Itself?", url=f"{SITE.url}/speak/",
    date=datetime(2019, 4, 2, 13, tzinfo=UTC), date_text="April 2, 2019", status="published",
    newsletter=True, groups=("Articles",), subject="Should Your Work Speak For Itself?",
    preview="What if what helps you succeed is neither strategic nor tactical?",
    author="Karen Steinberg", summary_html="<p>The <em>summary</em>.</p>", site=SITE,
)
BODY = (
    '<p>You work hard. <a href="https://www.thepossibilitypractice.com/contact/">Contact</a>'
    '</p><h2>A Heading</h2><img src="https://www.thepossibilitypractice.com/images/a.jpg" '
    'alt="A desk" width="560">'
)


def test_a_post_email_has_masthead_title_byline_body_link_and_merge_tags():
    email = render_post(RECORD, BODY)
    html, text = email.html, email.text
    assert "The Possibility Practice" in html and "Cultivate curiosity. Create possibility." in html
    assert "Should Your Work Speak &lt;For&gt; Itself?" in html
    assert "By Karen Steinberg · April 2, 2019" in html
    assert ">Read on the site</a>" in html and f'href="{SITE.url}/speak/"' in html
    assert "What if what helps you succeed" in html  # the hidden preheader
    for tag in ("*|UNSUB|*", "*|UPDATE_PROFILE|*", "*|HTML:LIST_ADDRESS_HTML|*"):
        assert tag in html
    for tag in ("*|UNSUB|*", "*|UPDATE_PROFILE|*", "*|LIST:ADDRESS|*"):
        assert tag in text
    assert "Should Your Work Speak <For> Itself?" in text
    assert f"Read on the site: {SITE.url}/speak/" in text
    assert "Contact (https://www.thepossibilitypractice.com/contact/)" in text
    assert (email.subject, email.preview) == (RECORD.subject, RECORD.preview)
    assert check_email(html, text, email.subject) == []


def test_css_is_inlined_and_only_media_rules_stay_in_a_style_element():
    html = render_post(RECORD, BODY).html
    assert '<td class="card" style="' in html and 'style="margin: 0 0 16px;' in html
    assert html.count("<style") == 2 and "<!--[if mso]><style>" in html  # Outlook's own
    assert '<style data-css-inline="keep">' in html
    assert "@media (prefers-color-scheme: dark)" in html and "@media (max-width: 620px)" in html
    assert 'name="color-scheme" content="light dark"' in html
    assert 'role="presentation"' in html and "<table" in html
    assert html.index('<meta charset="utf-8">') < 200


def test_images_are_bounded_by_css_and_by_their_width_attribute():
    html = render_post(RECORD, absolutize(
        '<p><img src="/images/wide.jpg" alt="Wide" width="1600" height="900"></p>',
        f"{SITE.url}/speak/", max_image_width=560)).html
    assert f'src="{SITE.url}/images/wide.jpg"' in html
    assert 'width="560"' in html and 'height="900"' not in html
    assert "max-width: 100%" in html and "height: auto" in html


def test_a_digest_lists_each_post_with_its_summary_and_link():
    second = PostRecord(**{**vars(RECORD), "slug": "other", "title": "Other",
                           "url": f"{SITE.url}/other/"})
    email = render_digest([RECORD, second], subject="2 new articles", preview="A · B")
    assert email.html.count(">Read on the site</a>") == 2
    assert f'href="{SITE.url}/other/"' in email.html and "The <em" in email.html
    assert "The summary." in email.text and f"Read on the site: {SITE.url}/other/" in email.text
    assert check_email(email.html, email.text, email.subject) == []


def test_sample_values_replace_every_merge_tag():
    email = render_post(RECORD, BODY)
    for part in (email.html, email.text):
        filled = fill_merge_tags(part, "The Possibility Practice")
        assert "*|" not in filled
        assert "https://example.com/unsubscribe?sample=1" in filled
        assert "The Possibility Practice · 1 Sample Street" in filled


def test_a_theme_can_override_a_template(tmp_path):
    (tmp_path / "post.txt").write_text("Only {{ post.title }}\n")
    email = render_post(RECORD, BODY, theme_templates=tmp_path)
    assert email.text == "Only Should Your Work Speak <For> Itself?\n"
    assert "the plain-text part lacks Mailchimp's *|UNSUB|*" in " ".join(
        check_email(email.html, email.text, email.subject))


GOOD_TEXT = "*|UNSUB|* *|UPDATE_PROFILE|* *|LIST:ADDRESS|*"
GOOD_HTML = ('<a href="*|UNSUB|*">u</a><a href="*|UPDATE_PROFILE|*">p</a>'
             "*|HTML:LIST_ADDRESS_HTML|*")


@pytest.mark.parametrize(
    "html, text, subject, expected",
    [
        (GOOD_HTML + "x" * 92_200, GOOD_TEXT, "S", "is 90 KB, over the 90 KB limit"),
        (GOOD_HTML + '<a href="/about/">a</a>', GOOD_TEXT, "S", '<a href="/about/"> is a relative'),
        (GOOD_HTML + '<img src="//cdn.example/x.png" alt="x">', GOOD_TEXT, "S", "relative URL"),
        (GOOD_HTML + '<div style="background: url(bg.png)">', GOOD_TEXT, "S", "relative URL"),
        (GOOD_HTML + '<img src="https://x.org/a.png">', GOOD_TEXT, "S", "has no alt text"),
        (GOOD_HTML + '<img src="https://x.org/a.png" alt=" ">', GOOD_TEXT, "S", "no alt text"),
        (GOOD_HTML + '<a href="#fn:1">1</a>', GOOD_TEXT, "S", "anchor that is not in"),
        (GOOD_HTML.replace("*|UNSUB|*", "https://x.org/u"), GOOD_TEXT, "S",
         "HTML part lacks Mailchimp's *|UNSUB|*"),
        (GOOD_HTML.replace("*|HTML:LIST_ADDRESS_HTML|*", ""), GOOD_TEXT, "S",
         "*|HTML:LIST_ADDRESS_HTML|*"),
        (GOOD_HTML, "*|UPDATE_PROFILE|* *|LIST:ADDRESS|*", "S", "plain-text part lacks"),
        (GOOD_HTML, GOOD_TEXT, "x" * 151, "subject is 151 characters, over the 150"),
        (GOOD_HTML, GOOD_TEXT, " ", "subject is empty"),
    ],
)
def test_each_check_names_the_problem_and_the_fix(html, text, subject, expected):
    problems = check_email(html, text, subject)
    assert len(problems) == 1 and expected in problems[0]


def test_what_passes_the_checks():
    html = GOOD_HTML + ('<a href="mailto:k@x.org">m</a><a href="#n">n</a><p id="n"></p>'
                        '<a href="http://[::1">malformed, as on the site, but not relative</a>'
                        '<img src="https://x.org/a.png" alt="A" srcset="https://x.org/b.png 2x">')
    assert check_email(html, GOOD_TEXT, "x" * 150) == []
    assert check_groups(["Articles"], ["Articles"]) == []


def test_relative_urls_are_resolved_against_the_posts_page():
    html = ('<a href="/about/">a</a> <a href="other/">o</a> <a href="#top">t</a> '
            '<a href="#fn:1">1</a> <li id="fn:1">note</li> <a href="mailto:k@x.org">m</a> '
            '<a href="http://[::1">x</a> <img src="pic.png" alt="p" '
            'srcset="pic.png 1x, /big.png 2x"> &amp; &#8217; <!-- kept --><br/>')
    assert absolutize(html, "https://s.org/post/") == (
        '<a href="https://s.org/about/">a</a> <a href="https://s.org/post/other/">o</a> '
        '<a href="https://s.org/post/#top">t</a> <a href="#fn:1">1</a> <li id="fn:1">note</li> '
        '<a href="mailto:k@x.org">m</a> <a href="http://[::1">x</a> '
        '<img src="https://s.org/post/pic.png" alt="p" '
        'srcset="https://s.org/post/pic.png 1x, https://s.org/big.png 2x"> &amp; '
        "&#8217; <!-- kept --><br/>")


def test_plain_text_keeps_structure_and_links():
    html = (
        "<h2>Big Heading</h2><p>Hello <a href='https://x.org/a'>world</a> and "
        "<strong>bold</strong>.</p><ol><li>One item that is long enough to wrap around the "
        "line because it keeps going and going</li><li>Two</li></ol><ul><li>Dot</li></ul>"
        "<blockquote><p>Quoted</p></blockquote><p>Line<br>break &amp; more</p>"
        "<p><img src='https://x.org/i.png' alt='A chart'></p><pre>code\n  indented</pre>"
        "<script>ignored()</script><hr><p><a href='mailto:k@x.org'>k@x.org</a></p>"
    )
    assert html_to_text(html) == (
        "Big Heading\n-----------\n\n"
        "Hello world (https://x.org/a) and bold.\n\n"
        "1. One item that is long enough to wrap around the line because it keeps\n"
        "   going and going\n2. Two\n\n- Dot\n\n> Quoted\n\nLine\nbreak & more\n\n"
        "[A chart]\n\ncode\n  indented\n\n--------------------\n\nk@x.org\n"
    )


def pelican_settings(tmp_path, **overrides):
    values = {"PATH": str(tmp_path / "content"), "SITEURL": "", "SITENAME": "Site"}
    values.update(overrides)
    return values


def test_settings_defaults(tmp_path):
    settings = read_settings(pelican_settings(tmp_path))
    assert settings.siteurl == "https://www.thepossibilitypractice.com"
    assert settings.ledger_path == tmp_path / "content" / "newsletter-ledger.json"
    assert settings.outbox_path == tmp_path / "outbox"
    assert settings.known_groups == ("Articles", "Events", "Executive Coaching Group")
    assert (settings.content, settings.digest_threshold, settings.max_html_bytes) == (
        "full", 3, 90 * 1024)
    assert settings.from_address == "Site <newsletter@thepossibilitypractice.com>"
    assert settings.to_address == "Site subscribers <subscribers@thepossibilitypractice.com>"


def test_an_absolute_siteurl_wins_over_newsletter_siteurl(tmp_path):
    settings = read_settings(pelican_settings(tmp_path, SITEURL="http://127.0.0.1:8000/"))
    assert settings.siteurl == "http://127.0.0.1:8000"
    local = read_settings(pelican_settings(tmp_path, NEWSLETTER_SITEURL="https://staging.x/"))
    assert local.siteurl == "https://staging.x"


def test_interest_groups_come_from_the_audience_file_when_there_is_one(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "audience.json").write_text(json.dumps({"interest_categories": [
        {"title": "I would like to receive:", "groups": [{"name": "Articles"},
                                                         {"name": "Podcasts"}]}]}))
    settings = read_settings(pelican_settings(tmp_path))
    assert settings.known_groups == ("Articles", "Podcasts")
    assert settings.groups_source == "audience.json"
    explicit = read_settings(pelican_settings(tmp_path, NEWSLETTER_GROUPS=["Events"]))
    assert explicit.known_groups == ("Events",)
    (tmp_path / "content" / "audience.json").write_text("{broken")
    with pytest.raises(NewsletterSettingsError, match="cannot read the interest groups"):
        read_settings(pelican_settings(tmp_path))


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"NEWSLETTER_SITEURL": "/relative"}, "emails need absolute links"),
        ({"NEWSLETTER_CONTENT": "excerpt"}, "NEWSLETTER_CONTENT is 'excerpt'"),
        ({"NEWSLETTER_DIGEST_THRESHOLD": 1}, "write 0 (never a digest)"),
        ({"NEWSLETTER_DIGEST_THRESHOLD": "3"}, "NEWSLETTER_DIGEST_THRESHOLD is '3'"),
        ({"NEWSLETTER_DEFAULT_GROUPS": ["Podcasts"]}, "'Podcasts', which is not an interest"),
        ({"NEWSLETTER_CATEGORY_GROUPS": {"Career": "Articles"}}, "write a list of group"),
        ({"NEWSLETTER_DIGEST_SUBJECT": "{n} new"}, "only {count} and {site}"),
        ({"NEWSLETTER_MAX_HTML_KB": 0}, "positive whole number"),
        ({"NEWSLETTER_FROM": "nobody"}, "NEWSLETTER_FROM is 'nobody'"),
        ({"NEWSLETTER_OUTPUT_DIR": "a/b"}, "one folder name"),
        ({"NEWSLETTER_LEDGER_PATH": ""}, "NEWSLETTER_LEDGER_PATH is empty"),
    ],
)
def test_bad_settings_are_refused_with_the_fix(tmp_path, overrides, message):
    with pytest.raises(NewsletterSettingsError) as caught:
        read_settings(pelican_settings(tmp_path, **overrides))
    assert message in str(caught.value)


def test_plain_text_reads_html_as_a_browser_does():
    """Text after a comment is kept, unclosed tags end where a browser ends them, and an
    encoding declaration (which lxml refuses in a str) is no error."""
    html = ('Before <!-- note --> after<p>Open <em>para<p>Next &amp; last'
            '<ul><li>one<li>two</ul><?xml version="1.0" encoding="utf-8"?><p>café</p>')
    assert html_to_text(html) == (
        "Before after\n\nOpen para\n\nNext & last\n\n- one\n- two\n\ncafé\n")
    assert html_to_text("  ") == "\n"


TRICKY_TITLE = '"Café" & <Leadership>: Naïve questions'


def test_title_and_summary_are_text_in_subject_preview_heading_and_plain_text(tmp_path):
    """possibility.core.text's rule: the title as written, the summary as a reader sees it."""
    from possibility.core.newsletter.post_fields import newsletter_fields

    summary = "Is a &lt;real&gt; question <em>worth</em> asking &amp; more?"
    fields, problems = newsletter_fields(
        {}, title=f"  {TRICKY_TITLE} ", summary_html=summary, category="",
        settings=read_settings(pelican_settings(tmp_path)))
    assert problems == []
    assert fields.subject == TRICKY_TITLE
    assert fields.preview == "Is a <real> question worth asking & more?"
    record = PostRecord(**{**vars(RECORD), "title": TRICKY_TITLE, "subject": fields.subject,
                           "preview": fields.preview, "summary_html": summary})
    email = render_post(record, BODY)
    html = lxml.html.document_fromstring(email.html)
    assert html.xpath("string(//title)") == html.xpath("string(//h1)") == TRICKY_TITLE
    assert html.xpath("string(//div[@class='preheader'])").startswith(fields.preview)
    assert f"\n{TRICKY_TITLE}\n{'=' * len(TRICKY_TITLE)}\n" in email.text
    digest = render_digest([record, RECORD], subject="2 new articles", preview="A · B")
    html = lxml.html.document_fromstring(digest.html)
    assert html.xpath("string(//h2[1])") == TRICKY_TITLE
    content = html.xpath("//div[@class='content']")[0]
    assert content.text_content() == fields.preview
    assert [e.tag for e in content.iter()] == ["div", "em"]
    assert f"\n{TRICKY_TITLE}\n{'-' * len(TRICKY_TITLE)}\n" in digest.text
    assert "Is a <real> question worth asking & more?" in digest.text
