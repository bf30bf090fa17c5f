"""The signup form in real builds: where it appears, what it posts, and the site without it."""

import collections
import json

import jinja2
import pytest
from bs4 import BeautifulSoup
from conftest import PRODUCTION_URL, ROOT, Site
from test_html_valid import nu_errors

from possibility.commands.publish.build import BuildError

ARTICLE = "should-your-work-speak-for-itself/index.html"
SUBSCRIBE = "subscribe/index.html"
ACTION = (
    "https://thepossibilitypractice.us21.list-manage.com/subscribe/post"
    "?u=8f3b1e2d4c5a6b7c8d9e0f1a2&id=7c9e1a4b2d&f_id=00e5c8e1f0"
)
HONEYPOT = "b_8f3b1e2d4c5a6b7c8d9e0f1a2_7c9e1a4b2d"
ARCHIVE_SETTING = "past-issues/"
ARCHIVE = f"https://www.thepossibilitypractice.com/{ARCHIVE_SETTING}"


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
    site.build(SIGNUP_ARCHIVE_URL=ARCHIVE_SETTING)
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
    for page, where in [(ARTICLE, "section.signup"), (SUBSCRIBE, "section.signup"),
                        ("about/index.html", ".site-footer .signup-compact")]:
        assert soup(site, page).select_one(f"{where} a.signup-archive")["href"] == ARCHIVE
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


# What ticking nothing means; past issues beside every form


@pytest.mark.parametrize(("relative", "prefix"), [(ARTICLE, "article-signup"),
                                                  (SUBSCRIBE, "subscribe-signup")])
def test_the_choices_say_what_ticking_nothing_means(production_site, relative, prefix):
    form = soup(production_site, relative).select_one("form[data-signup]")
    fieldset = form.select_one("fieldset")
    hint = fieldset.select_one("p.choice-hint")
    assert hint.get_text() == "Tick nothing to get every article."
    assert hint["id"] == fieldset["aria-describedby"] == f"{prefix}-group-1-hint"
    assert hint.find_previous_sibling("label")  # under the choices, inside the fieldset
    assert not hint.find_next_sibling("label")


@pytest.fixture(scope="module")
def archive_linked_site(tmp_path_factory):
    """The site built with the link to past issues on (pelicanconf.py leaves it off until the
    archive page is built)."""
    built = Site(tmp_path_factory.mktemp("archive-linked"))
    built.build(SIGNUP_ARCHIVE_URL=ARCHIVE_SETTING)
    return built


@pytest.mark.parametrize("relative", [ARTICLE, SUBSCRIBE, "index.html", "about/index.html",
                                      "archives/index.html", "404.html",
                                      "subscribe/thanks/index.html"])
def test_every_signup_form_links_to_past_issues(archive_linked_site, relative):
    page = soup(archive_linked_site, relative)
    [form] = page.select("form[data-signup]")
    slot = form.find_parent("section", class_="signup") or form
    [link] = slot.select("a.signup-archive")
    assert link.get_text() == "See past issues"
    assert link["href"] == ARCHIVE


def render_signup(audience=None, **signup_settings):
    """The signup partials rendered with the committed audience (or `audience`) and these
    settings."""
    from possibility.core.signup.settings import read_settings
    from possibility.site.signup.form import form_context, site_link

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "theme" / "templates"),
                             trim_blocks=True, lstrip_blocks=True)
    audience = audience or json.loads(
        (ROOT / "content" / "audience.json").read_text(encoding="utf-8"))
    settings = read_settings({"PATH": str(ROOT / "content"), "SITENAME": "X", **signup_settings})
    html = env.from_string(
        '{% set signup_id = "one" %}{% include "partials/signup.html" %}'
        '{% include "partials/signup_compact.html" %}'
    ).render(
        SIGNUP={"form": form_context(audience, settings), "texts": settings.texts,
                "archive": site_link(settings.archive_url)},
        SITEURL="../..", THEME_STATIC_DIR="theme", SITENAME="X",
    )
    return BeautifulSoup(html, "html.parser")


@pytest.mark.parametrize(
    ("setting", "hrefs"),
    [
        ({}, ["../../past-issues/"] * 2),
        ({"SIGNUP_ARCHIVE_URL": "https://us21.campaign-archive.com/home/?u=1&id=2"},
         ["https://us21.campaign-archive.com/home/?u=1&id=2"] * 2),
        ({"SIGNUP_ARCHIVE_URL": ""}, []),
    ],
)
def test_the_archive_link_follows_its_setting(setting, hrefs):
    assert [a["href"] for a in render_signup(**setting).select("a.signup-archive")] == hrefs


def test_consent_without_a_heading_gets_the_default_one_and_escapes_the_lists_words():
    audience = json.loads((ROOT / "content" / "audience.json").read_text(encoding="utf-8"))
    audience["marketing_permissions"] = {
        "title": None, "intro": [],
        "permissions": [{"field": "gdpr[7]", "label": "Email <b>now</b>", "value": "Y"}],
        "notes": [[{"text": "See <script>"}, {"text": "terms", "href": "https://x.test/?a=1&b=2"}]],
    }
    page = render_signup(audience)
    for consent in page.select("fieldset.consent"):  # the full form and the compact one
        assert consent.legend.get_text() == "Marketing permissions"
        assert consent.select_one("label.choice").get_text().strip() == "Email <b>now</b>"
        assert consent.p.get_text() == "See <script>terms"
        assert consent.p.a["href"] == "https://x.test/?a=1&b=2"
    assert len(page.select("fieldset.consent")) == 2 and not page.select("script:not([src])")


# The landing pages Mailchimp sends readers to

LANDING = {
    "subscribe/thanks/": "Thank you — check your inbox to confirm",
    "subscribe/confirmed/": "You're confirmed",
}


@pytest.mark.parametrize("url", LANDING)
def test_the_landing_pages_are_at_their_urls_in_the_practices_voice(production_site, url):
    page = soup(production_site, f"{url}index.html")
    assert page.h1.get_text() == LANDING[url]
    assert page.title.get_text() == f"{LANDING[url]} · The Possibility Practice"
    assert page.select_one("link[rel=canonical]")["href"] == f"{PRODUCTION_URL}/{url}"
    text = " ".join(page.select_one("main").get_text(" ").split())
    for words in ("The Possibility Practice", "Karen Steinberg",
                  "Cultivate curiosity. Create possibility."):
        assert words in text
    # Not in the main navigation; listed in the sitemap like every other page.
    for relative in (f"{url}index.html", "index.html", "subscribe/index.html"):
        menu = [a["href"] for a in soup(production_site, relative).select("nav a")]
        assert f"{PRODUCTION_URL}/subscribe/" in menu or relative != "index.html"
        assert not [href for href in menu if "/subscribe/" in href and href.endswith(
            ("/thanks/", "/confirmed/"))]
    assert not page.select("nav [aria-current]")
    assert f"<loc>{PRODUCTION_URL}/{url}</loc>" in production_site.html("sitemap.xml")


def test_the_landing_pages_link_only_to_pages_that_exist(production_site):
    from possibility.commands.publish.site_check import check_links

    broken = [b for b in check_links(production_site.output, PRODUCTION_URL)
              if b.page.startswith("subscribe/") and b.target != ARCHIVE]
    assert broken == []


def test_the_landing_pages_are_valid_html(production_site, tmp_path):
    for url in LANDING:
        target = tmp_path / url
        target.mkdir(parents=True)
        (target / "index.html").write_text(production_site.html(f"{url}index.html"))
    assert nu_errors(tmp_path) == []


def test_a_build_without_a_landing_page_says_so(site, caplog):
    (site.content / "pages" / "subscribe-confirmed.md").unlink()
    site.build()
    assert not (site.output / "subscribe" / "confirmed").exists()
    warnings = [r.getMessage() for r in caplog.records if r.name == "possibility.site.signup"]
    assert warnings == ["Signup: no page of the site is at subscribe/confirmed/ "
                        "(SIGNUP_CONFIRMED_URL); add one in content/pages/ with "
                        "'URL: subscribe/confirmed/' and 'Save_as: subscribe/confirmed/index.html'"]


def test_the_readme_says_where_to_set_the_landing_pages_in_mailchimp():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Signup form", 1)[1].split("\n## ", 1)[0]
    for words in ("Audience > Signup forms > Form builder", "Confirmation thank you page",
                  "Signup thank you page", "Send subscribers to another URL",
                  f"{PRODUCTION_URL}/subscribe/thanks/", f"{PRODUCTION_URL}/subscribe/confirmed/",
                  "SIGNUP_ARCHIVE_URL", "SIGNUP_THANKS_URL", "SIGNUP_CONFIRMED_URL"):
        assert words in section, words


# An EU list's consent fields


@pytest.fixture(scope="module")
def consent_site(tmp_path_factory):
    """The production build with the audience imported from an EU list's embed code."""
    from conftest import eu_list_site

    built = eu_list_site(tmp_path_factory.mktemp("consent"))
    built.build()
    return built


@pytest.mark.parametrize("relative", [SUBSCRIBE, ARTICLE, "about/index.html"])
def test_every_form_shows_the_lists_consent_fields_in_its_own_words(consent_site, relative):
    [form] = soup(consent_site, relative).select("form[data-signup]")
    consent = form.select_one("fieldset.consent")
    assert consent.legend.get_text() == "Marketing Permissions"
    paragraphs = [p.get_text() for p in consent.select("p")]
    assert paragraphs[0].startswith("The Possibility Practice will use the information")
    assert paragraphs[1].startswith("You can change your mind at any time")
    assert paragraphs[2].startswith("We use Mailchimp as our marketing platform.")
    assert [(a.get_text(), a["href"]) for a in consent.select("a")] == [
        ("hello@thepossibilitypractice.com", "mailto:hello@thepossibilitypractice.com"),
        ("Learn more", "https://mailchimp.com/legal/terms"),
    ]
    boxes = [(i["type"], i["name"], i["value"], i.parent.get_text().strip())
             for i in consent.select("label.choice > input")]
    assert boxes == [("checkbox", "gdpr[41031]", "Y", "Email"),
                     ("checkbox", "gdpr[41039]", "Y", "Customized Online Advertising")]
    assert not any(i.has_attr("checked") for i in consent.select("input"))
    # Consent comes after the choices and before the button.
    assert consent.find_next("button", type="submit")


def test_the_consent_form_is_valid_html(consent_site, tmp_path):
    for relative in (SUBSCRIBE, "about/index.html"):
        target = tmp_path / relative
        target.parent.mkdir(parents=True)
        target.write_text(consent_site.html(relative))
    assert nu_errors(tmp_path) == []
