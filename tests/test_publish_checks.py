"""The pre-deploy checks (possibility.commands.publish.checks) over real production builds."""

import logging
import shutil
from datetime import UTC, datetime

from conftest import DRAFT_POST, FUTURE_POST, PRODUCTION_URL, ROOT

from possibility.commands.publish.build import load_settings
from possibility.commands.publish.checks import (
    check_output,
    feed_problems,
    leaks,
    sample_text_problems,
    unpublished_posts,
)
from possibility.commands.publish.site_check import check_links
from possibility.core.newsletter.post_fields import SAMPLE_BODY, SAMPLE_SUMMARY

SCHEDULED_POST = """Title: Scheduled For Tomorrow
Date: 2030-06-02 09:00
Slug: scheduled-for-tomorrow
Post-Id: 2b4a1c7e-0000-4000-8000-000000000003

Soon.
"""


def settings_of(site, **overrides):
    return load_settings(ROOT / "publishconf.py", {"PATH": str(site.content), **overrides})


def test_the_real_production_build_passes(production_site):
    settings = settings_of(production_site)
    unpublished = unpublished_posts(settings)
    assert sorted(p.source for p in unpublished) == ["posts/draft-post.md", "posts/future-post.md"]
    report = check_output(production_site.output, PRODUCTION_URL, unpublished,
                          sources=production_site.result.sources,
                          now=datetime(2026, 12, 1, 14, 30, tzinfo=UTC))
    assert report.problems == ()
    assert "kept out: 1 draft, 1 future-dated post (held back, listed below)" in report.summary
    assert report.held_back == (
        "content/posts/future-post.md is dated 2999-01-01 10:00 EST (in 972 years): it is "
        "published by the first build after that",
    )


def test_unpublished_posts_are_found_with_where_they_would_be(site):
    site.write_post("draft-post.md", DRAFT_POST)
    site.write_post("future-post.md", FUTURE_POST)
    site.write_post("scheduled.md", SCHEDULED_POST)
    settings = settings_of(site)
    june_1, june_3 = datetime(2030, 6, 1, tzinfo=UTC), datetime(2030, 6, 3, tzinfo=UTC)
    before = {p.source: p for p in unpublished_posts(settings, now=june_1)}
    assert set(before) == {"posts/draft-post.md", "posts/future-post.md", "posts/scheduled.md"}
    draft = before["posts/draft-post.md"]
    assert (draft.why, draft.url, draft.save_as) == (
        "a draft", "a-draft-nobody-should-see/", "a-draft-nobody-should-see/index.html"
    )
    assert draft.post_id == "urn:uuid:2b4a1c7e-0000-4000-8000-000000000001"
    assert before["posts/scheduled.md"].why == "dated 2030-06-02 09:00, in the future"
    assert not draft.held_back and before["posts/scheduled.md"].held_back
    assert before["posts/scheduled.md"].goes_out(june_1) == (
        "content/posts/scheduled.md is dated 2030-06-02 09:00 EDT (in 1 day 13 h): it is "
        "published by the first build after that"
    )
    after = unpublished_posts(settings, now=june_3)
    assert "posts/scheduled.md" not in {p.source for p in after}


def test_a_future_post_that_leaks_into_the_output_is_caught(site):
    site.write_post("future-post.md", FUTURE_POST)
    site.build(WITH_FUTURE_DATES=True)
    unpublished = unpublished_posts(settings_of(site))
    problems = leaks(site.output, unpublished)
    future = (
        "'A Post From The Future' (posts/future-post.md, dated 2999-01-01 10:00, in the future)"
    )
    assert f"{future} is in the output: a-post-from-the-future/index.html" in problems
    assert f"{future} is mentioned in index.html" in problems
    assert f"{future} is mentioned in feeds/all.atom.xml" in problems
    assert f"{future} is mentioned in sitemap.xml" in problems
    report = check_output(site.output, PRODUCTION_URL, unpublished)
    assert len(report.problems) == len(problems)


def test_feeds_that_do_not_parse_are_caught(production_site, tmp_path):
    output = tmp_path / "output"
    shutil.copytree(production_site.output, output)
    assert feed_problems(output)[0] == []
    (output / "feeds/all.rss.xml").write_text("<rss><channel></rss>")
    (output / "feeds/all.atom.xml").write_text("<rss/>")
    (output / "feeds/all.json").write_text('{"items": [')
    (output / "feeds/career.json").write_text('{"items": []}')
    problems, _ = feed_problems(output)
    assert problems[0].startswith("feeds/all.atom.xml should be an Atom feed but its root is <rss>")
    assert problems[1].startswith("feeds/all.json is not valid JSON")
    assert problems[2].startswith("feeds/all.rss.xml is not well-formed XML")
    assert problems[3] == "feeds/career.json is not a JSON Feed (no jsonfeed.org version)"


def test_a_broken_link_or_image_stops_the_check(production_site, tmp_path):
    output = tmp_path / "output"
    shutil.copytree(production_site.output, output)
    page = output / "about/index.html"
    broken = '<img src="/images/gone.jpg" alt="x"></main>'
    page.write_text(page.read_text().replace("</main>", broken))
    assert check_links(output, PRODUCTION_URL)
    report = check_output(output, PRODUCTION_URL, [], ["newsletter email of x: too big"],
                          sources=production_site.result.sources)
    assert report.problems == (
        "content/pages/about.md: the link /images/gone.jpg finds nothing in the site "
        "(on about/index.html)",
        "newsletter email of x: too big",
    )


def test_a_broken_link_is_named_once_by_its_markdown_file(site):
    """The post's page, its email (link made absolute) and every list of summaries show
    the same mistake: one problem, naming the source file, with the pages it shows on."""
    site.write_post("linker.md", "Title: Linker\nDate: 2020-02-02\nCategory: Career\n"
                    "Slug: linker\n\nSee [gone](../nowhere/) and [about](../abut/).\n")
    result = site.build()
    checked = check_output(site.output, PRODUCTION_URL, [], sources=result.sources)
    problems = [p for p in checked.problems if p.startswith("content/posts/linker.md")]
    assert problems == [
        "content/posts/linker.md: the link ../abut/ finds nothing in the site (on "
        "linker/index.html, newsletter/linker/index.html, category/career/index.html, "
        "index.html); did you mean /about/?",
        "content/posts/linker.md: the link ../nowhere/ finds nothing in the site (on "
        "linker/index.html, newsletter/linker/index.html, category/career/index.html, "
        "index.html)",
    ]


def test_a_broken_link_of_the_theme_is_one_problem(production_site, tmp_path):
    output = tmp_path / "output"
    shutil.copytree(production_site.output, output)
    for page in ("about/index.html", "contact/index.html", "is-your-career-off-track/index.html"):
        path = output / page
        path.write_text(path.read_text().replace("</main>", '<a href="/gone/">x</a></main>'))
    problems = [p for p in check_output(output, PRODUCTION_URL, [],
                                        sources=production_site.result.sources).problems
                if "/gone/" in p]
    assert problems == [
        "the theme's templates: the link /gone/ finds nothing in the site (on "
        "about/index.html, contact/index.html, is-your-career-off-track/index.html)"
    ]


# invoke new-post's sample text (issue 12): never published, warned about at build time ------


def new_post_text(slug, *, status="draft", summary=True, body=True, date="2024-05-01 09:00"):
    """A post as `invoke new-post` writes it, then edited: its status, and whether the
    sample Summary and body are still there."""
    from possibility.commands.new_post import front_matter

    _, text = front_matter(slug.replace("-", " ").title(), author="Karen Steinberg",
                           category="Executive Coaching", post_id=f"{slug}-id", slug=slug,
                           now=datetime.fromisoformat(date))
    text = text.replace(f"Post-Id: {slug}-id\n", "")  # an identity from the file name
    if status != "draft":
        text = text.replace("Status: draft\n", "" if status == "published" else
                            f"Status: {status}\n")
    if not summary:
        text = text.replace(SAMPLE_SUMMARY, "What this post gives the reader, in my words.")
    if not body:
        text = text.replace(SAMPLE_BODY, "The post itself, written.")
    return text


def test_posts_with_new_posts_sample_text_are_named_by_file_and_field(site):
    site.write_post("untouched.md", new_post_text("untouched", status="published"))
    site.write_post("summary-left.md", new_post_text("summary-left", status="published",
                                                     body=False))
    site.write_post("scheduled.md", new_post_text("scheduled", status="published",
                                                  summary=False, date="2999-01-01 09:00"))
    site.write_post("still-a-draft.md", new_post_text("still-a-draft"))
    site.write_post("finished.md", new_post_text("finished", status="published",
                                                 summary=False, body=False))
    summary = ("field 'Summary' is still new-post's sample text: write one or two sentences "
               "of your own")
    body = ("the body is still new-post's sample text (\"Write the post here. Remove 'Status: "
            "draft' when it is ready to publish.\"): write the post in its place")
    assert sorted(sample_text_problems(settings_of(site))) == [
        f"content/posts/scheduled.md: {body}",  # held back by its date: published unattended
        f"content/posts/summary-left.md: {summary}",
        f"content/posts/untouched.md: {summary}",
        f"content/posts/untouched.md: {body}",
    ]


def test_every_build_warns_about_sample_text_but_not_in_a_draft(site, caplog):
    site.write_post("untouched.md", new_post_text("untouched", status="published"))
    site.write_post("hidden-one.md", new_post_text("hidden-one", status="hidden", body=False))
    site.write_post("still-a-draft.md", new_post_text("still-a-draft"))
    with caplog.at_level(logging.WARNING):
        site.build("pelicanconf.py")
    warned = sorted(r.getMessage() for r in caplog.records
                    if r.name == "possibility.site.front_matter.sample_text")
    assert warned == [
        "content/posts/hidden-one.md: field 'Summary' is still new-post's sample text: write "
        "one or two sentences of your own",
        "content/posts/untouched.md: field 'Summary' is still new-post's sample text: write "
        "one or two sentences of your own",
        "content/posts/untouched.md: the body is still new-post's sample text (\"Write the "
        "post here. Remove 'Status: draft' when it is ready to publish.\"): write the post in "
        "its place",
    ]
    assert (site.output / "untouched" / "index.html").is_file()  # a warning: the build goes on
