"""The emails in real Chromium: phone and desktop widths without horizontal scrolling,
dark mode, and no accessibility violations."""

import pytest
from browser_fixtures import axe_violations

from possibility.core.newsletter.html_transform import absolutize
from possibility.core.newsletter.model import load_posts
from possibility.core.newsletter.render_email import fill_merge_tags, render_digest, render_post

EMAILS = ["newsletter/should-your-work-speak-for-itself/", "newsletter/is-your-career-off-track/"]
STRESS = (
    "<p>A link nobody shortened: https://www.thepossibilitypractice.com/a/very/long/path/"
    "that-keeps-going-and-going-without-a-single-break-in-it-at-all/index.html</p>"
    '<p><img src="https://www.thepossibilitypractice.com/images/wide.jpg" alt="A wide picture"'
    ' width="1600" height="400"></p>'
    "<pre>a_line_of_code_that_is_far_too_long_for_any_phone_screen_to_show_whole = 1</pre>"
    "<table><tr><td>Cell</td><td>Another cell with some words in it</td></tr></table>"
)


WIDTHS = [375, 600]


def widths_overflowing(page, url):
    """The widths (of 375 and 600 px) at which the page scrolls sideways."""
    page.goto(url, wait_until="load")
    overflowing = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        scroll = page.evaluate("document.documentElement.scrollWidth")
        heading = page.locator("h1").bounding_box()["width"]
        if scroll > width or heading > width:
            overflowing.append((width, scroll))
    return overflowing


@pytest.mark.parametrize("path", EMAILS)
def test_an_email_fits_phone_and_desktop_widths(production_site, serve, page_in, path):
    server = serve(production_site.output)
    assert widths_overflowing(page_in(), f"{server.url}/{path}") == []


def test_digests_and_awkward_content_fit_too(production_site, serve, page_in, tmp_path):
    posts = load_posts(production_site.output / "newsletter")
    digest = render_digest(posts, subject="2 new articles", preview="Both")
    stress = render_post(posts[0], absolutize(STRESS, posts[0].url, max_image_width=560))
    for name, email in [("digest", digest), ("stress", stress)]:
        (tmp_path / f"{name}.html").write_text(fill_merge_tags(email.html, "Site"), "utf-8")
    server = serve(tmp_path)
    page = page_in()
    for name in ("digest", "stress"):
        assert widths_overflowing(page, f"{server.url}/{name}.html") == [], name


@pytest.mark.parametrize(
    "scheme, card, text", [("light", "rgb(253, 252, 249)", "rgb(31, 36, 39)"),
                           ("dark", "rgb(31, 37, 40)", "rgb(233, 230, 223)")],
)
def test_the_email_follows_the_readers_colour_scheme_without_axe_violations(
    production_site, serve, page_in, scheme, card, text
):
    server = serve(production_site.output)
    page = page_in(width=600, color_scheme=scheme)
    page.goto(f"{server.url}/{EMAILS[0]}", wait_until="load")
    colours = page.eval_on_selector(
        "td.card", "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]")
    assert colours == [card, text]
    assert axe_violations(page) == []
