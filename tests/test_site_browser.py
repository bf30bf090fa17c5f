"""What a reader gets in a real browser: no errors, nothing from elsewhere, accessible, fits."""

import pytest
from browser_fixtures import axe_violations
from conftest import PRODUCTION_URL

ARTICLE = "should-your-work-speak-for-itself/"
EVENT = "events/executive-coaching-group-2019-04/"


@pytest.fixture(scope="module")
def served_site(tmp_path_factory):
    """The production build, with SITEURL set to where the test server serves it."""
    from browser_fixtures import StaticServer
    from conftest import Site

    built = Site(tmp_path_factory.mktemp("served"))
    built.output.mkdir()
    with StaticServer(built.output) as server:
        built.build(SITEURL=server.url)
        built.url = server.url
        yield built


def _watch(page, base_url):
    seen = {"errors": [], "outside": []}
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on(
        "request",
        lambda r: not r.url.startswith((base_url, "data:")) and seen["outside"].append(r.url),
    )
    return seen


@pytest.mark.parametrize("path", ["", ARTICLE, EVENT, "subscribe/", "about/"])
def test_page_loads_cleanly_with_no_request_outside_the_site(served_site, page_in, path):
    page = page_in()
    seen = _watch(page, served_site.url)
    response = page.goto(f"{served_site.url}/{path}", wait_until="load")
    assert response.status == 200
    assert seen == {"errors": [], "outside": []}


@pytest.mark.parametrize(
    "path", ["", ARTICLE, EVENT, "about/", "404.html", "subscribe/", "archives/",
             "executive-coaching-group/"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation(served_site, page_in, path, scheme):
    page = page_in(color_scheme=scheme)
    page.goto(f"{served_site.url}/{path}", wait_until="load")
    assert axe_violations(page) == []


@pytest.mark.parametrize("path", ["", ARTICLE])
@pytest.mark.parametrize("width", [320, 375])
def test_article_fits_a_phone_without_horizontal_scrolling(served_site, page_in, width, path):
    page = page_in(width=width, height=800)
    page.goto(f"{served_site.url}/{path}", wait_until="load")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width
    assert page.locator("h1").bounding_box()["width"] <= width


def test_skip_link_is_first_and_moves_focus_to_the_content(served_site, page_in):
    page = page_in()
    page.goto(f"{served_site.url}/{ARTICLE}", wait_until="load")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_canonical_points_at_the_configured_site(served_site):
    assert served_site.url != PRODUCTION_URL
    assert f'href="{served_site.url}/{ARTICLE}"' in served_site.html(f"{ARTICLE}index.html")


def test_text_measure_stays_readable_on_a_wide_screen(served_site, page_in):
    page = page_in(width=1920, height=1000)
    page.goto(f"{served_site.url}/{ARTICLE}", wait_until="load")
    paragraph_width, seventy_five_chars = page.evaluate(
        """() => {
            const p = document.querySelector('.post-body p');
            const probe = document.createElement('span');
            probe.style.whiteSpace = 'nowrap';
            probe.textContent = 'abcdefghijklmnopqrstuvwxyz '.repeat(3).slice(0, 75);
            p.appendChild(probe);
            const result = [p.getBoundingClientRect().width, probe.getBoundingClientRect().width];
            probe.remove();
            return result;
        }"""
    )
    assert paragraph_width <= seventy_five_chars


def test_dark_mode_follows_the_reader_preference(served_site, page_in):
    colours = {}
    for scheme in ("light", "dark"):
        page = page_in(color_scheme=scheme)
        page.goto(f"{served_site.url}/{ARTICLE}", wait_until="load")
        colours[scheme] = page.evaluate(
            "(s => [s.backgroundColor, s.color])(getComputedStyle(document.body))"
        )
    assert colours["light"] != colours["dark"]
