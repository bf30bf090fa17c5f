"""The pre-deploy checks (possibility.commands.publish.checks) over real production builds."""

import shutil
from datetime import UTC, datetime

from conftest import DRAFT_POST, FUTURE_POST, PRODUCTION_URL, ROOT

from possibility.commands.publish.build import load_settings
from possibility.commands.publish.checks import (
    check_output,
    feed_problems,
    leaks,
    unpublished_posts,
)
from possibility.commands.publish.site_check import check_links

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
    report = check_output(production_site.output, PRODUCTION_URL, unpublished)
    assert report.problems == ()
    assert "2 unpublished posts kept out" in report.summary


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
    report = check_output(output, PRODUCTION_URL, [], ["newsletter email of x: too big"])
    assert report.problems == (
        "about/index.html: link to /images/gone.jpg finds nothing in the site",
        "newsletter email of x: too big",
    )
