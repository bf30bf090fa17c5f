"""The home page as the practice's front door, and the polish around it (issue 15).

Real production builds of the real content, looked at in real Chromium at a phone's and a
laptop's first screen, light and dark: who Karen is and what the practice offers, the two
actions, the next Executive Coaching Group, then the latest articles. Also the share-card
meta data, the Person and ProfessionalService structured data, the portrait setting and the
Subscribe page's `?group=` pre-choice."""

import collections
import io
import json
import re
from urllib.parse import quote

import pytest
from browser_fixtures import axe_violations
from bs4 import BeautifulSoup
from conftest import PRODUCTION_URL, Site
from PIL import Image
from test_html_valid import nu_errors

ARTICLE = "should-your-work-speak-for-itself/"
PAST_EVENT = "events/executive-coaching-group-2019-04/"
GROUP = "Executive Coaching Group"
SCREENS = [(375, 812), (1280, 900)]
SCHEMES = ["light", "dark"]

COHORT = """Title: Executive Coaching Group: spring 2027
Slug: executive-coaching-group-2027-03
Start: 2027-03-09 18:00
End: 2027-03-09 20:00
Timezone: America/New_York
Place: online
Registration: signup:Executive Coaching Group
Group: Executive Coaching Group
Summary: A new group begins, online.

Six sessions over twelve weeks.
"""
CLOCK = "2027-01-15T09:00"  # the build's clock when the 2027 cohort is upcoming


def soup(site, relative):
    return BeautifulSoup(site.html(relative), "html.parser")


def served(tmp_path_factory, name, prepare=None, **settings):
    """A production build of the real content (changed by `prepare`), served on 127.0.0.1
    with SITEURL set to the server's address."""
    from browser_fixtures import StaticServer

    built = Site(tmp_path_factory.mktemp(name))
    if prepare:
        prepare(built)
    built.output.mkdir()
    server = StaticServer(built.output).__enter__()
    built.build(SITEURL=server.url, **settings)
    built.url = server.url
    built.server = server
    return built


def add_cohort(site):
    (site.content / "events" / "executive-coaching-group-2027-03.md").write_text(
        COHORT, encoding="utf-8")


def add_portrait(site):
    folder = site.content / "images"
    folder.mkdir(exist_ok=True)
    buffer = io.BytesIO()
    Image.new("RGB", (600, 750), (120, 140, 150)).save(buffer, "JPEG")
    (folder / "karen.jpg").write_bytes(buffer.getvalue())


def add_cohort_and_portrait(site):
    add_cohort(site)
    add_portrait(site)


@pytest.fixture(scope="module")
def real_site(tmp_path_factory):
    """The real content, as it is: no group scheduled, no portrait."""
    built = served(tmp_path_factory, "home-real")
    yield built
    built.server.__exit__(None, None, None)


@pytest.fixture(scope="module")
def cohort_site(tmp_path_factory):
    """A cohort coming up (the build's clock before it) and a portrait."""
    built = served(tmp_path_factory, "home-cohort", add_cohort_and_portrait,
                   EVENTS_NOW=CLOCK, HOME_PORTRAIT="karen.jpg")
    yield built
    built.server.__exit__(None, None, None)


def open_home(page_in, site, width, height, scheme="light", path=""):
    page = page_in(width=width, height=height, color_scheme=scheme)
    outside = []
    page.on("request", lambda r: not r.url.startswith((site.url, "data:"))
            and outside.append(r.url))
    page.goto(f"{site.url}/{path}", wait_until="load")
    page.outside = outside
    return page


def box(page, selector):
    found = page.locator(selector)
    assert found.count() == 1, selector
    return found.bounding_box()


# The first screen


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_the_first_screen_says_who_and_what_and_offers_both_actions(
        real_site, page_in, width, height, scheme):
    page = open_home(page_in, real_site, width, height, scheme)
    hero = page.locator("section.hero")
    words = " ".join(hero.inner_text().split())
    for said in ("Karen Steinberg", "Executive coaching", "relationships at work", "careers",
                 "professional growth"):
        assert said.lower() in words.lower(), said
    primary = page.get_by_role("link", name="Book a complimentary session")
    secondary = page.get_by_role("link", name="Subscribe to new articles")
    assert primary.get_attribute("href") == f"{real_site.url}/contact/"
    assert secondary.get_attribute("href") == f"{real_site.url}/subscribe/"
    assert secondary.inner_text() == "Subscribe"
    assert hero.locator("a").count() == 2  # one primary, one secondary action
    for selector in ("section.hero .kicker", "section.hero h1", "section.hero .lead",
                     "section.hero .button-primary", "section.hero .button-secondary"):
        shown = box(page, selector)
        assert shown["y"] >= 0 and shown["y"] + shown["height"] <= height, (selector, shown)
        assert shown["x"] >= 0 and shown["x"] + shown["width"] <= width, (selector, shown)
    actions = box(page, "section.hero .actions")
    group = box(page, "section.next-group")
    articles = box(page, "section.latest")
    assert actions["y"] + actions["height"] <= group["y"] < articles["y"]
    first = page.locator("section.latest article.summary").first.bounding_box()
    assert first["y"] > group["y"] + group["height"]
    assert hero.locator("img").count() == 0  # no portrait set: the layout is typographic
    assert page.outside == []


def test_without_a_group_scheduled_the_home_page_invites_to_the_groups_list(real_site):
    block = soup(real_site, "index.html").select_one("section.next-group")
    assert block.h2.get_text() == GROUP
    text = " ".join(block.get_text(" ").split())
    assert "No group is scheduled yet — join the list to hear first" in text
    join = block.find("a", string="join the list to hear first")
    assert join["href"] == f"{real_site.url}/subscribe/?group={quote(GROUP)}"
    assert block.find("a", string="About the group")["href"] == (
        f"{real_site.url}/executive-coaching-group/")


def test_the_next_cohort_is_announced_between_the_actions_and_the_articles(cohort_site):
    page = soup(cohort_site, "index.html")
    block = page.select_one("section.next-group")
    assert block.h2.get_text() == f"Next {GROUP}"
    link = block.select_one(".next-event a")
    assert link.get_text() == "Executive Coaching Group: spring 2027"
    assert link["href"] == f"{cohort_site.url}/events/executive-coaching-group-2027-03/"
    assert block.time["datetime"] == "2027-03-09T18:00:00-05:00"
    assert "Tuesday, March 9, 2027" in block.get_text()
    assert "No group is scheduled" not in block.get_text()
    sections = [s["class"][0] for s in page.select("main > section")]
    assert sections == ["hero", "next-group", "latest"]


# The portrait


def test_a_portrait_setting_shows_the_image_with_its_size_and_alt_text(cohort_site):
    [portrait] = soup(cohort_site, "index.html").select("section.hero img")
    assert portrait["src"] == f"{cohort_site.url}/images/karen.jpg"
    assert (portrait["width"], portrait["height"]) == ("144", "180")
    assert portrait["alt"] == "Karen Steinberg"
    assert (cohort_site.output / "images" / "karen.jpg").is_file()
    assert nu_errors(cohort_site.output / "index.html") == []


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_with_a_portrait_the_actions_stay_on_the_first_screen(
        cohort_site, page_in, width, height):
    page = open_home(page_in, cohort_site, width, height, "dark")
    portrait = box(page, "section.hero img.portrait")
    assert portrait["width"] > 0 and portrait["x"] + portrait["width"] <= width
    assert page.evaluate("document.querySelector('section.hero img').naturalWidth") == 600
    for selector in ("section.hero .button-primary", "section.hero .button-secondary"):
        shown = box(page, selector)
        assert shown["y"] + shown["height"] <= height, selector
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.outside == []


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", ["", "events/executive-coaching-group-2027-03/",
                                  f"subscribe/?group={quote(GROUP)}"])
def test_axe_finds_nothing_with_a_portrait_and_a_cohort_coming(cohort_site, page_in, path,
                                                               scheme):
    page = open_home(page_in, cohort_site, 375, 812, scheme, path=path)
    assert axe_violations(page) == []


# Fits, one column, one-row navigation


@pytest.mark.parametrize("width", [320, 375])
@pytest.mark.parametrize("path", ["", ARTICLE, PAST_EVENT, "subscribe/"])
def test_no_page_scrolls_sideways_on_a_phone(real_site, page_in, width, path):
    page = open_home(page_in, real_site, width, 700, path=path)
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("path", ["", ARTICLE, PAST_EVENT, "subscribe/"])
def test_the_main_navigation_is_one_row_on_a_375_px_phone(real_site, page_in, path):
    page = open_home(page_in, real_site, 375, 812, path=path)
    tops = page.evaluate(
        "[...document.querySelectorAll('nav[aria-label=Main] li')]"
        ".map(li => Math.round(li.getBoundingClientRect().top))")
    assert len(tops) == 5 and len(set(tops)) == 1, tops
    labels = page.locator("nav[aria-label=Main] a").all_inner_texts()
    assert labels == ["Articles", "About", "Group", "Subscribe", "Contact"]


def test_the_menu_says_where_the_reader_is(production_site):
    for relative, current in [("archives/index.html", "Articles"), ("about/index.html", "About"),
                              ("executive-coaching-group/index.html", "Group"),
                              ("index.html", None), (f"{ARTICLE}index.html", None)]:
        menu = soup(production_site, relative).select_one("nav[aria-label=Main]")
        marked = [a.get_text() for a in menu.select("[aria-current=page]")]
        assert marked == ([current] if current else []), relative


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("path", ["", ARTICLE])
def test_header_main_and_footer_share_one_column(real_site, page_in, width, path):
    page = open_home(page_in, real_site, width, 900, path=path)
    edges = page.evaluate(
        """() => ['.site-header .wrap', 'main', '.site-footer .wrap'].map(selector => {
            const element = document.querySelector(selector);
            const style = getComputedStyle(element);
            const box = element.getBoundingClientRect();
            return [box.left + parseFloat(style.paddingLeft),
                    box.right - parseFloat(style.paddingRight)];
        })""")
    header, main, footer = edges
    assert footer == pytest.approx(main, abs=0.5)
    assert header == pytest.approx(main, abs=0.5)


# No repeated text


def accessible_links(page):
    """(accessible name, href) of every link: its aria-label, else its text."""
    return [(" ".join((a.get("aria-label") or a.get_text(" ")).split()), a["href"])
            for a in page.find_all("a", href=True)]


def test_no_link_on_the_home_page_repeats_another(real_site, cohort_site):
    for site in (real_site, cohort_site):
        page = soup(site, "index.html")
        counts = collections.Counter(accessible_links(page))
        assert [link for link, n in counts.items() if n > 1] == []
        assert "Read “" not in page.get_text()


def test_one_back_to_top_link_and_no_read_link_on_any_page(production_site):
    pages = sorted(production_site.output.rglob("*.html"))
    assert len(pages) >= 20
    for path in pages:
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        if not page.select_one("header.site-header"):
            continue  # an email's preview, not a page of the site
        assert len(page.find_all("a", string="Back to top")) <= 1, path
        assert not page.find("a", string=re.compile("^Read “")), path


def test_want_more_possibility_is_asked_once_on_subscribe(production_site):
    text = soup(production_site, "subscribe/index.html").body.get_text(" ")
    assert text.count("Want more possibility?") == 1
    article = soup(production_site, f"{ARTICLE}index.html").select_one("section.signup")
    assert article.h2.get_text() == "Want more possibility?"


# Share cards and structured data


def meta(page, key):
    found = page.find("meta", property=key) or page.find("meta", attrs={"name": key})
    return found and found["content"]


@pytest.mark.parametrize("path", [ARTICLE, PAST_EVENT, "about/"])
def test_a_post_an_event_and_a_page_share_their_card(production_site, path):
    page = soup(production_site, f"{path}index.html")
    assert meta(page, "og:image") == f"{PRODUCTION_URL}/{path}card.png"
    assert (meta(page, "og:image:width"), meta(page, "og:image:height")) == ("1200", "630")
    title = page.h1.get_text()
    assert meta(page, "og:image:alt") == (
        f"The Possibility Practice — {title} — Cultivate curiosity. Create possibility.")
    assert meta(page, "twitter:card") == "summary_large_image"
    assert len(page.find_all("meta", property="og:image")) == 1
    assert (production_site.output / f"{path}card.png").is_file()


def test_the_home_page_has_no_card_and_a_small_summary(production_site):
    page = soup(production_site, "index.html")
    assert meta(page, "og:image") is None
    assert meta(page, "twitter:card") == "summary"


def json_ld(page):
    return [json.loads(s.string) for s in page.find_all("script", type="application/ld+json")]


@pytest.mark.parametrize("path", ["", "about/"])
def test_home_and_about_say_who_karen_is_and_what_the_practice_is(production_site, path):
    data = {d["@type"]: d for d in json_ld(soup(production_site, f"{path}index.html"))}
    assert set(data) == {"Person", "ProfessionalService"}
    about = f"{PRODUCTION_URL}/about/"
    person, practice = data["Person"], data["ProfessionalService"]
    assert person["@context"] == practice["@context"] == "https://schema.org"
    assert (person["name"], person["jobTitle"], person["url"]) == (
        "Karen Steinberg", "Executive coach", about)
    assert person["worksFor"]["name"] == "The Possibility Practice"
    assert person["worksFor"]["@id"] == practice["@id"]
    assert practice["name"] == "The Possibility Practice"
    assert practice["url"] == f"{PRODUCTION_URL}/"
    assert practice["slogan"] == "Cultivate curiosity. Create possibility."
    assert practice["description"].startswith("Executive coaching with Karen Steinberg")
    assert practice["founder"] == {"@type": "Person", "@id": person["@id"],
                                   "name": "Karen Steinberg", "url": about}
    assert "areaServed" not in practice  # the content does not say where


@pytest.mark.parametrize("relative", [
    f"{path}index.html" for path in (ARTICLE, PAST_EVENT, "contact/", "subscribe/",
                                     "executive-coaching-group/", "archives/")] + ["404.html"])
def test_no_other_page_carries_them(production_site, relative):
    types = {d["@type"] for d in json_ld(soup(production_site, relative))}
    assert not types & {"Person", "ProfessionalService"}


def test_the_structured_data_is_escaped_json(site):
    title = 'Coach </script><script>alert("x")</script> & co'
    site.build(HOME_JOB_TITLE=title, HOME_AREA_SERVED="New York, NY")
    html = site.html("index.html")
    assert "</script><script>alert" not in html
    data = {d["@type"]: d for d in json_ld(BeautifulSoup(html, "html.parser"))}
    assert data["Person"]["jobTitle"] == title
    assert data["ProfessionalService"]["areaServed"] == "New York, NY"


# Subscribe with a group chosen


def test_an_events_signup_link_arrives_with_its_group_ticked(cohort_site, page_in):
    page = open_home(page_in, cohort_site, 1280, 900,
                     path="events/executive-coaching-group-2027-03/")
    page.get_by_role("link", name=f"Sign up for news of the {GROUP}").click()
    page.wait_for_url(f"{cohort_site.url}/subscribe/?group={quote(GROUP)}")
    form = page.locator("main form[data-signup]")
    assert form.get_by_label(GROUP, exact=True).is_checked()
    assert not form.get_by_label("Articles", exact=True).is_checked()
    assert not form.get_by_label("Events", exact=True).is_checked()
    assert page.outside == []


def test_a_group_the_form_lacks_ticks_nothing(real_site, page_in):
    page = open_home(page_in, real_site, 375, 812, path="subscribe/?group=Book%20Club")
    boxes = page.locator("main form[data-signup] input[type=checkbox]")
    assert boxes.count() == 3
    assert [boxes.nth(i).is_checked() for i in range(3)] == [False, False, False]


def test_without_javascript_the_form_is_there_with_nothing_ticked(real_site, page_in):
    page = page_in(java_script_enabled=False)
    page.goto(f"{real_site.url}/subscribe/?group={quote(GROUP)}", wait_until="load")
    form = page.locator("main form[data-signup]")
    assert form.get_attribute("method") == "post"
    assert not form.get_by_label(GROUP, exact=True).is_checked()
    assert form.locator("button[type=submit]").is_enabled()
