"""The signup form in real builds: where it appears, what it posts, and the site without it."""

import collections
import json

import jinja2
import pytest
from bs4 import BeautifulSoup
from conftest import ROOT
from test_html_valid import nu_errors

from possibility.commands.publish.build import BuildError

ARTICLE = "should-your-work-speak-for-itself/index.html"
SUBSCRIBE = "subscribe/index.html"
ACTION = (
    "https://thepossibilitypractice.us21.list-manage.com/subscribe/post"
    "?u=8f3b1e2d4c5a6b7c8d9e0f1a2&id=7c9e1a4b2d&f_id=00e5c8e1f0"
)
HONEYPOT = "b_8f3b1e2d4c5a6b7c8d9e0f1a2_7c9e1a4b2d"


def soup(site, relative):
    return BeautifulSoup(site.html(relative), "html.parser")


def test_article_and_subscribe_page_carry_the_full_form(production_site):
    for relative, prefix in [(ARTICLE, "article-signup"), (SUBSCRIBE, "subscribe-signup")]:
        page = soup(production_site, relative)
        [form] = page.select("form[data-signup]")
        assert form.find_parent("section", class_="signup")["aria-labelledby"] == (
            f"{prefix}-heading")
        assert (form["action"], form["method"]) == (ACTION, "post")
        assert "* indicates required" in form.select_one(".required-note").get_text()
        email = form.select_one("input[name=EMAIL]")
        assert (email["type"], email["autocomplete"], email["id"]) == (
            "email", "email", f"{prefix}-EMAIL")
        assert email.has_attr("required")
        assert form.select_one(f"label[for={prefix}-EMAIL]").get_text().startswith("Email")
        assert not form.select_one("input[name=FNAME]").has_attr("required")
        fieldset = form.select_one("fieldset")
        assert fieldset.legend.get_text() == "I would like to receive:"
        choices = [(i["type"], i["name"], i["value"], i.parent.get_text().strip())
                   for i in fieldset.select("label.choice > input")]
        assert choices == [
            ("checkbox", "group[13157][1]", "1", "Articles"),
            ("checkbox", "group[13157][2]", "2", "Events"),
            ("checkbox", "group[13157][4]", "4", "Executive Coaching Group"),
        ]
        trap = form.select_one(f"input[name={HONEYPOT}]")
        assert (trap["value"], trap["tabindex"]) == ("", "-1")
        assert trap.find_parent(attrs={"aria-hidden": "true"})
        assert form.select_one("[data-signup-status]")["aria-live"] == "polite"
        assert form["data-timeout"] == "10000"
        assert "check your inbox" in form["data-success"]
        assert page.select_one("script[src$='/theme/js/signup.js']").has_attr("defer")
        assert not page.select(".site-footer form")


@pytest.mark.parametrize("relative", ["index.html", "about/index.html", "archives/index.html",
                                      "404.html"])
def test_other_pages_carry_the_compact_form_in_the_footer(production_site, relative):
    page = soup(production_site, relative)
    [form] = page.select("form[data-signup]")
    assert form.find_parent("footer", class_="site-footer")
    assert form["action"] == ACTION
    assert [i["name"] for i in form.select("input:not([type=hidden])")] == ["EMAIL", HONEYPOT]
    joins = [(i["name"], i["value"]) for i in form.select("input[type=hidden]")]
    assert joins == [("group[13157][1]", "1")]
    assert form.select_one("a.signup-more")["href"].endswith("/subscribe/")


def test_nothing_third_party_is_loaded_by_any_page(production_site):
    for html_file in production_site.output.rglob("*.html"):
        page = BeautifulSoup(html_file.read_text(encoding="utf-8"), "html.parser")
        for tag in page.select("script[src], link[href], img[src], iframe"):
            url = tag.get("src") or tag.get("href") or ""
            assert url.startswith(("https://www.thepossibilitypractice.com/", "data:")), (
                html_file, url)


def test_audience_file_never_reaches_the_site(production_site):
    assert (ROOT / "content" / "audience.json").is_file()
    files = [p for p in production_site.output.rglob("*") if p.is_file()]
    assert not [p for p in files if "audience" in p.name]
    assert not [p for p in files if b"interest_id" in p.read_bytes()]


def test_a_page_with_two_forms_has_no_duplicate_ids():
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "theme" / "templates"),
                             trim_blocks=True, lstrip_blocks=True)
    audience = json.loads((ROOT / "content" / "audience.json").read_text(encoding="utf-8"))
    from possibility.core.signup.settings import read_settings
    from possibility.site.signup.form import form_context

    settings = read_settings({"PATH": str(ROOT / "content"), "SITENAME": "X"})
    template = env.from_string(
        '{% set signup_id = "one" %}{% include "partials/signup.html" %}'
        '{% set signup_id = "two" %}{% include "partials/signup.html" %}'
        '{% include "partials/signup_compact.html" %}'
    )
    html = template.render(
        SIGNUP={"form": form_context(audience, settings), "texts": settings.texts},
        SITEURL="", THEME_STATIC_DIR="theme", SITENAME="X",
    )
    ids = collections.Counter(tag["id"] for tag in BeautifulSoup(html, "html.parser")
                              .select("[id]"))
    assert len(ids) > 10
    assert [i for i, n in ids.items() if n > 1] == []


def test_without_an_audience_file_the_slots_invite_without_a_dead_form(site):
    (site.content / "audience.json").unlink()
    site.build()
    assert "<form" not in "".join(p.read_text(encoding="utf-8")
                                  for p in site.output.rglob("*.html"))
    assert "signup.js" not in site.html(ARTICLE) + site.html(SUBSCRIBE) + site.html("index.html")
    article = soup(site, ARTICLE).select_one("section.signup")
    assert article.select_one("a")["href"].endswith("/subscribe/")
    subscribe = soup(site, SUBSCRIBE).select_one("section.signup")
    assert "Online signup is not open yet." in subscribe.get_text()
    assert subscribe.select_one("a")["href"].endswith("/contact/")
    footer = soup(site, "about/index.html").select_one(".site-footer .signup-compact")
    assert footer.select_one("a")["href"].endswith("/subscribe/")
    assert nu_errors(site.output) == []


def test_an_empty_audience_file_setting_turns_the_form_off(site):
    site.build(SIGNUP_AUDIENCE_FILE="")
    assert "<form" not in site.html(SUBSCRIBE)


def test_a_damaged_audience_file_stops_the_build_and_says_how_to_fix_it(site):
    (site.content / "audience.json").write_text('{"format": 1}', encoding="utf-8")
    with pytest.raises(BuildError) as error:
        site.build()
    message = str(error.value)
    assert "audience.json" in message and "invoke audience-import" in message
    assert not site.output.exists() or not list(site.output.rglob("*.html"))


def test_a_wrong_setting_stops_the_build(site):
    with pytest.raises(BuildError, match="SIGNUP_COMPACT_GROUPS"):
        site.build(SIGNUP_COMPACT_GROUPS=["Podcasts"])


def test_subscribe_page_with_its_css_and_script_stays_small(production_site):
    weight = sum(len(production_site.html(p).encode()) for p in (
        SUBSCRIBE, "theme/css/site.css", "theme/js/signup.js"))
    assert weight < 30 * 1024
