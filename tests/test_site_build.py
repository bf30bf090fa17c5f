"""What a reader gets from a real production build of the real content."""

import re

import pytest
from bs4 import BeautifulSoup
from conftest import PRODUCTION_URL

from possibility.commands.publish.site_check import check_links

ARTICLES = ["should-your-work-speak-for-itself", "is-your-career-off-track"]
PAGES = ["about", "executive-coaching-group", "contact", "subscribe"]
LISTINGS = [
    "index.html",
    "archives/index.html",
    "categories/index.html",
    "category/executive-coaching/index.html",
    "category/career/index.html",
    "tags/index.html",
    "tag/relationships/index.html",
    "authors/index.html",
    "author/karen-steinberg/index.html",
    "404.html",
    "sitemap.xml",
    "robots.txt",
]


def soup(site, relative):
    return BeautifulSoup(site.html(relative), "html.parser")


@pytest.mark.parametrize("relative", [f"{s}/index.html" for s in ARTICLES + PAGES] + LISTINGS)
def test_every_page_a_reader_needs_is_built(production_site, relative):
    assert (production_site.output / relative).is_file()


def test_speak_for_itself_keeps_headings_dialogue_and_announcement(production_site):
    page = soup(production_site, "should-your-work-speak-for-itself/index.html")
    assert page.h1.get_text() == "Should Your Work Speak For Itself?"
    headings = [h.get_text() for h in page.select(".post-body h2")]
    assert headings == [
        "What If What Will Help You Succeed At Work Is Neither Strategic or Tactical?",
        "A Typical Conversation With A Client Looking for Executive Coaching Help Looks Like This:",
        "Relationships Are the Cornerstone of All Business",
        "Executive Coaching Group Begins April 20th",
    ]
    speakers = [p.strong.get_text() for p in page.select(".dialogue p")]
    assert speakers == ["Me:", "Client:", "Me:", "Client:"]
    assert "My work should speak for itself." in page.get_text()
    assert page.select_one(".meta a[href$='/author/karen-steinberg/']").get_text() == (
        "Karen Steinberg"
    )
    body = page.select_one(".post-body").get_text()
    for furniture in ("No Comments", "* indicates required", "I would like to receive:"):
        assert furniture not in body


def test_career_article_keeps_the_eight_behaviours_and_the_book(production_site):
    page = soup(production_site, "is-your-career-off-track/index.html")
    items = [li.get_text() for li in page.select(".post-body ol li")]
    assert len(items) == 8
    assert items[0] == "Overlook the importance of people"
    assert items[-1] == "Work in isolation"
    assert "Jump Start Your Career" in page.select_one(".post-body cite").get_text()
    assert "Dr. Lois Frankel" in page.get_text()
    assert "Back to Top" not in page.select_one(".post-body").get_text()


def test_article_page_has_what_a_reader_expects(production_site):
    page = soup(production_site, "should-your-work-speak-for-itself/index.html")
    time = page.select_one("article.post header time")
    assert time["datetime"] == "2019-04-02T09:00:00-04:00"
    assert re.search(r"\d+ min read", page.select_one("article.post header").get_text())
    assert page.select("a[rel=tag]")
    assert page.select_one(".post-nav a[rel=prev]")["href"].endswith("/is-your-career-off-track/")
    [back] = page.find_all("a", string="Back to top")  # one per page, in the footer
    assert back["href"] == "#top" and back.find_parent("footer", class_="site-footer")
    assert page.select_one("#top")
    assert page.select_one("section.signup")
    assert page.select_one("a.skip-link")["href"] == "#main"
    assert page.select_one("main#main")


def test_seo_tags_on_an_article(production_site):
    import json

    page = soup(production_site, "should-your-work-speak-for-itself/index.html")
    url = f"{PRODUCTION_URL}/should-your-work-speak-for-itself/"
    assert page.title.get_text() == "Should Your Work Speak For Itself? · The Possibility Practice"
    assert page.select_one("link[rel=canonical]")["href"] == url
    assert page.select_one("meta[property='og:url']")["content"] == url
    assert page.select_one("meta[property='og:type']")["content"] == "article"
    assert page.select_one("meta[name='twitter:card']")
    description = page.select_one("meta[name=description]")["content"]
    assert description.startswith("You have the credentials")
    data = json.loads(page.select_one("script[type='application/ld+json']").string)
    assert data["@type"] == "BlogPosting"
    assert data["headline"] == "Should Your Work Speak For Itself?"
    assert data["url"] == url
    assert data["author"]["name"] == "Karen Steinberg"
    sitemap = production_site.html("sitemap.xml")
    assert f"<loc>{url}</loc>" in sitemap
    assert f"Sitemap: {PRODUCTION_URL}/sitemap.xml" in production_site.html("robots.txt")


def test_no_broken_internal_link_or_image(production_site):
    assert check_links(production_site.output, PRODUCTION_URL) == []


def test_link_checker_finds_a_broken_link(site):
    # A missing image stops the build itself now (tests/test_broken_links.py); a plain link
    # to a page the site lacks is left to this check of the output.
    site.write_post(
        "linker.md",
        "Title: Linker\nDate: 2020-02-02\nSlug: linker\n\n[gone](/nowhere/) and [up](../up/)\n",
    )
    site.build()
    broken = {(b.page, b.target, b.resolved) for b in check_links(site.output, PRODUCTION_URL)}
    assert ("linker/index.html", "/nowhere/", "nowhere/index.html") in broken
    assert ("linker/index.html", "../up/", "up/index.html") in broken


def test_drafts_and_future_posts_never_reach_production(production_site):
    built = {p.as_posix() for p in production_site.result.files}
    everything = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in production_site.output.rglob("*")
        if p.is_file() and p.suffix in (".html", ".xml", ".txt", ".json")
    )
    for slug, title in [
        ("a-draft-nobody-should-see", "A Draft Nobody Should See"),
        ("a-post-from-the-future", "A Post From The Future"),
    ]:
        assert not any(slug in path for path in built)
        assert slug not in everything
        assert title not in everything


def test_local_build_previews_drafts_with_relative_links(site):
    site.write_post(
        "draft-post.md",
        "Title: Draft\nDate: 2020-01-01\nStatus: draft\nSlug: draft-preview\n\nHi\n",
    )
    site.build("pelicanconf.py")
    assert (site.output / "drafts/draft-preview/index.html").is_file()
    index = site.html("index.html")
    assert 'href="./' in index or 'href="about/' in index
    assert "https://" not in soup(site, "about/index.html").select_one("header").decode()


def test_building_twice_gives_byte_identical_files(site):
    site.build()
    first = {p: p.read_bytes() for p in site.output.rglob("*") if p.is_file()}
    site.build(LOAD_CONTENT_CACHE=False)
    second = {p: p.read_bytes() for p in site.output.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    changed = [str(p) for p in first if first[p] != second[p]]
    assert changed == []


def test_home_page_is_paginated(site):
    for number in range(12):
        site.write_post(
            f"extra-{number}.md",
            f"Title: Extra {number}\nDate: 2021-01-{number + 1:02d}\nSlug: extra-{number}\n"
            f"Summary: Extra summary {number}.\n\nBody {number}.\n",
        )
    site.build()
    first = soup(site, "index.html")
    assert first.select_one("section.hero h1")  # page 1 is the front door
    assert len(first.select("section.latest article.summary")) == 10
    second_href = first.select_one(".pagination a[rel=next]")["href"]
    assert second_href == f"{PRODUCTION_URL}/page/2/"
    second = soup(site, "page/2/index.html")
    assert len(second.select("article.summary")) == 4
    # later pages stay a plain list: no introduction, actions or group
    assert second.h1.get_text() == "Articles, page 2"
    assert not second.select("section.hero, section.next-group")
    assert not [s for s in second.find_all("script", type="application/ld+json")]
    assert "Extra summary 11." in first.get_text()
    assert check_links(site.output, PRODUCTION_URL) == []
