"""Bad front matter stops the build with a message naming the file, the field and the fix."""

import datetime

import pytest

from possibility.commands.new_post import front_matter, slugify, write_new_post
from possibility.commands.publish.build import BuildError
from possibility.site.front_matter.checks import check_metadata

BAD_POSTS = {
    "no title": (
        "Date: 2020-03-03 10:00\nSlug: untitled\n\nBody.\n",
        ["field 'Title' is missing", "Title: "],
    ),
    "unparsable date": (
        "Title: Bad Date\nDate: the third of March\nSlug: bad-date\n\nBody.\n",
        ["field 'Date' is 'the third of March'", "not a date", "Date: 2026-04-02 09:00"],
    ),
    "impossible date": (
        "Title: Bad Date\nDate: 2020-13-45\nSlug: bad-date\n\nBody.\n",
        ["field 'Date' is '2020-13-45'", "YYYY-MM-DD HH:MM"],
    ),
    "no date": (
        "Title: No Date\nSlug: no-date\n\nBody.\n",
        ["field 'Date' is missing", "Date: 2026-04-02 09:00"],
    ),
    "unknown status": (
        "Title: Odd\nDate: 2020-03-03\nStatus: publishd\nSlug: odd\n\nBody.\n",
        ["field 'Status' is 'publishd'", "published, draft, hidden"],
    ),
    "image without alt text": (
        "Title: Pic\nDate: 2020-03-03\nSlug: pic\n\n![](../images/x.png)\n",
        ["image '../images/x.png' has no alt text", "![What the image shows](../images/x.png)"],
    ),
    "malformed post id": (
        "Title: Odd\nDate: 2020-03-03\nPost-Id: 1234\nSlug: odd\n\nBody.\n",
        ["field 'Post-Id' is '1234'", "not a UUID"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_POSTS))
def test_bad_front_matter_fails_the_build_clearly(site, case):
    text, expected = BAD_POSTS[case]
    site.write_post("bad.md", text)
    with pytest.raises(BuildError) as failure:
        site.build()
    message = str(failure.value)
    assert "content/posts/bad.md" in message
    for fragment in expected:
        assert fragment in message
    assert not site.output.exists() or not any(site.output.rglob("*.html"))


def test_every_bad_file_is_reported_at_once(site):
    site.write_post("bad-one.md", BAD_POSTS["no title"][0])
    site.write_post("bad-two.md", BAD_POSTS["unknown status"][0])
    with pytest.raises(BuildError) as failure:
        site.build()
    assert "2 file(s)" in str(failure.value)
    assert "bad-one.md" in str(failure.value) and "bad-two.md" in str(failure.value)


def test_a_good_build_after_a_failed_one_succeeds(site):
    bad = site.write_post("bad.md", BAD_POSTS["unknown status"][0])
    with pytest.raises(BuildError):
        site.build()
    bad.unlink()
    result = site.build()
    assert (site.output / "index.html").is_file()
    assert result.pages


def test_pages_need_no_date_but_articles_do():
    assert check_metadata({"title": "About"}, is_article=False) == []
    assert check_metadata({"title": "Post"}, is_article=True)


def test_new_post_writes_a_complete_draft_that_builds(site):
    now = datetime.datetime(2026, 11, 24, 9, 30)
    path = write_new_post(
        site.content / "posts",
        "Curiosity & Possibility: A “First” Step",
        author="Karen Steinberg",
        category="Executive Coaching",
        post_id="9d7f7b8e-1111-4a2b-8c3d-4e5f60718293",
        now=now,
    )
    assert path.name == "curiosity-possibility-a-first-step.md"
    text = path.read_text(encoding="utf-8")
    for line in (
        "Title: Curiosity & Possibility: A “First” Step",
        "Date: 2026-11-24 09:30",
        "Author: Karen Steinberg",
        "Category: Executive Coaching",
        "Slug: curiosity-possibility-a-first-step",
        "Post-Id: 9d7f7b8e-1111-4a2b-8c3d-4e5f60718293",
        "Status: draft",
        "Summary: ",
    ):
        assert line in text
    site.build("pelicanconf.py")
    assert (site.output / "drafts/curiosity-possibility-a-first-step/index.html").is_file()
    with pytest.raises(FileExistsError):
        write_new_post(
            site.content / "posts", "Curiosity & Possibility: A “First” Step",
            author="K", category="C", post_id="x", now=now,
        )


def test_slug_of_an_unusable_title_is_refused():
    assert slugify("Élan vital!") == "elan-vital"
    with pytest.raises(ValueError, match="empty slug"):
        front_matter("???", author="K", category="C", post_id="x", now=datetime.datetime.now())


def test_the_word_count_is_read_once_and_counts_as_the_theme_did():
    """The reader's word count (kept in the content cache) gives the "N min read" the
    template used to compute on every build with `striptags|wordcount`."""
    from jinja2 import Environment

    from possibility.site.front_matter.checks import parse_html
    from possibility.site.front_matter.reading import word_count

    html = ("<h2>Speak</h2><p>Your work &amp; your <em>voice</em>: it's 2 <a href='x'>ways</a>."
            "<!-- not read --></p>")
    expected = Environment().from_string("{{ h|striptags|wordcount }}").render(h=html)
    assert word_count(parse_html(html)) == int(expected) == 8  # "SpeakYour": blocks join
    assert word_count(parse_html("")) == 0


def test_a_summary_is_text_with_markdown_emphasis_in_every_post_and_page(site):
    """The reader makes every Summary's HTML by the rule for text (possibility.core.text):
    a tag is text, Markdown emphasis is markup; a page's Summary too."""
    site.write_post("tagged.md", "Title: Tagged\nDate: 2020-03-03\nSlug: tagged\n"
                    "Summary: A <real> tag & *emphasis*,\n    on two lines.\n\nBody.\n")
    about = site.content / "pages" / "about.md"
    about.write_text(about.read_text(encoding="utf-8").replace(
        "Summary: ", "Summary: <b>Not bold</b> "), encoding="utf-8")
    site.build()
    home = site.html("index.html")
    assert "A &lt;real&gt; tag &amp; <em>emphasis</em>,\non two lines." in home
    assert 'content="&lt;b&gt;Not bold&lt;/b&gt; The Possibility Practice' in site.html(
        "about/index.html")


def test_the_content_cache_is_forgotten_when_the_readers_code_changes(site, monkeypatch):
    """What the reader keeps in Pelican's content cache (the Summary's HTML, the links) is
    read again when its code is another: a stamp of the code sits beside the cache."""
    from possibility.site.front_matter import cache_stamp, summary

    site.build()
    reads = []
    original = summary.summary_html
    monkeypatch.setattr(summary, "summary_html",
                        lambda text: reads.append(text) or original(text))
    site.build()
    assert reads == []  # every post and page from the cache
    monkeypatch.setattr(cache_stamp, "CODE", "the code of another version")
    site.build()
    assert len(reads) >= 6  # read again: every file with a Summary
    reads.clear()
    site.build()
    assert reads == []
