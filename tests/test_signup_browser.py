"""The signup form in real Chromium, against a local server that answers as Mailchimp does.

The site is built with SIGNUP_ENDPOINT pointing at FakeListManage, which speaks like a
list's ACCOUNT.DC.list-manage.com host: JSONP from /subscribe/post-json (what signup.js
uses, with a captcha demand for robot@example.com, as a list with reCAPTCHA on answers),
the hosted signup form at /subscribe, and /subscribe/post (the plain form without
JavaScript), which sends the browser to the site's thank-you page as Mailchimp does once its
"Signup thank you page" is set to another URL (README "Signup form"). It records every
request, so the tests assert exactly what a reader's browser sent.
"""

import http.server
import json
import re
import threading
from urllib.parse import parse_qsl, urlsplit

import pytest
from browser_fixtures import StaticServer, axe_violations
from playwright.sync_api import expect

U, LIST_ID, FORM_ID = "8f3b1e2d4c5a6b7c8d9e0f1a2", "7c9e1a4b2d", "00e5c8e1f0"
HONEYPOT = f"b_{U}_{LIST_ID}"
TIMEOUT_MS = 1500
CONFIRM = "Thank you — check your inbox to confirm: click the link in the email"
SUBSCRIBE = "subscribe/"

MAILCHIMP_ANSWERS = {
    "taken@example.com": (
        "taken@example.com is already subscribed to list The Possibility Practice. "
        '<a href="https://thepossibilitypractice.us21.list-manage.com/subscribe/send-email'
        f'?e=dGFrZW4%3D&u={U}&id={LIST_ID}">Click here to update your profile</a>'
    ),
    "reader@example": (
        "0 - The domain portion of the email address is invalid "
        "(the portion after the @: example)"
    ),
    "busy@example.com": 'Recipient "busy@example.com" has too many recent signup requests',
    "blocked@example.com": (
        "0 - This email cannot be added to this list. Please enter a different email address."
    ),
    "robot@example.com": "captcha",  # the list has reCAPTCHA on
}
CAPTCHA = ("Mailchimp wants to check you are not a robot: taking you to its signup page, "
           "with your address filled in.")
THANKS = "subscribe/thanks/"


class FakeListManage:
    """A Mailchimp list-manage host on 127.0.0.1 that records what it receives."""

    def __init__(self):
        self.received = []
        self.release = threading.Event()
        self.after_post = None  # where /subscribe/post sends the browser (None: a page)
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def do_GET(self):
                url = urlsplit(self.path)
                if url.path == "/subscribe":
                    fake.received.append(("GET", url.path, parse_qsl(url.query)))
                    self._send(200, "text/html; charset=utf-8",
                               "<!doctype html><title>Subscribe</title><h1>Mailchimp</h1>")
                    return
                if url.path != "/subscribe/post-json":
                    self._send(404, "text/plain", "Not found")
                    return
                query = parse_qsl(url.query, keep_blank_values=True)
                fake.received.append(("GET", url.path, query))
                email = dict(query).get("EMAIL", "")
                if email == "slow@example.com":
                    fake.release.wait(30)
                    return
                if email == "broken@example.com":
                    self._send(503, "text/html", "<h1>Service Unavailable</h1>")
                    return
                if email in MAILCHIMP_ANSWERS:
                    answer = {"result": "error", "msg": MAILCHIMP_ANSWERS[email]}
                else:
                    answer = {"result": "success", "msg": (
                        "Almost finished... We need to confirm your email address. To complete "
                        "the subscription process, please click the link in the email we just "
                        "sent you.")}
                callback = dict(query)["c"]
                self._send(200, "application/javascript", f"{callback}({json.dumps(answer)})")

            def do_POST(self):
                url = urlsplit(self.path)
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                fake.received.append(("POST", f"{url.path}?{url.query}",
                                      parse_qsl(body, keep_blank_values=True)))
                if fake.after_post:
                    self.send_response(302)
                    self.send_header("Location", fake.after_post)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._send(200, "text/html; charset=utf-8",
                           "<!doctype html><title>Almost finished...</title>"
                           "<h1>Almost finished...</h1>")

            def _send(self, status, content_type, text):
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def signup_site(tmp_path_factory):
    """The production build served on 127.0.0.1, its form posting to FakeListManage."""
    from conftest import Site

    yield from served(Site(tmp_path_factory.mktemp("signup")))


def served(built):
    """`built` (a Site) built for production and served on 127.0.0.1, its form posting to
    a FakeListManage (`built.fake`) until the generator is closed."""
    fake = FakeListManage()
    built.output.mkdir()
    with StaticServer(built.output) as server:
        built.build(SITEURL=server.url, SIGNUP_ENDPOINT=fake.url, SIGNUP_TIMEOUT_MS=TIMEOUT_MS)
        built.url = server.url
        built.fake = fake
        yield built
    fake.close()


@pytest.fixture
def fake(signup_site):
    signup_site.fake.received.clear()
    return signup_site.fake


def open_subscribe_page(page_in, site, **options):
    page = page_in(**options)
    elsewhere = []
    page.on("request", lambda r: not r.url.startswith((site.url, "data:"))
            and elsewhere.append(r.url))
    page.goto(f"{site.url}/{SUBSCRIBE}", wait_until="load")
    return page, elsewhere


def tab_to(page, element_id, limit=40):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def fill_by_keyboard(page, email, name="", tick=()):
    """Type into the Subscribe page's form from the e-mail field on, tick groups by label."""
    tab_to(page, "subscribe-signup-EMAIL")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(name)
    for label in ("Articles", "Events", "Executive Coaching Group"):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.parentElement.textContent.trim()") == label
        if label in tick:
            page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")


def sent(fake):
    """The one JSONP request received, its query as (name, value) pairs without c=."""
    [(method, path, query)] = fake.received
    assert (method, path) == ("GET", "/subscribe/post-json")
    callbacks = [value for name, value in query if name == "c"]
    assert len(callbacks) == 1 and re.fullmatch(r"signupAnswer\w+", callbacks[0])
    return [(name, value) for name, value in query if name != "c"]


def test_reader_subscribes_with_the_keyboard_and_stays_on_the_page(signup_site, fake, page_in):
    page, elsewhere = open_subscribe_page(page_in, signup_site)
    status = page.locator("#subscribe-signup-status")
    fill_by_keyboard(page, "reader@example.com", "Ada", tick=["Events"])
    expect(status).to_contain_text(CONFIRM)
    # The message links to the landing page that says the same.
    link = status.get_by_role("link", name="What happens next")
    assert link.get_attribute("href") == f"{signup_site.url}/{THANKS}"
    assert sent(fake) == [
        ("u", U), ("id", LIST_ID), ("f_id", FORM_ID),
        ("EMAIL", "reader@example.com"), ("FNAME", "Ada"), ("group[13157][2]", "2"),
        (HONEYPOT, ""),
    ]
    assert elsewhere and all(u.startswith(f"{fake.url}/subscribe/post-json?") for u in elsewhere)
    assert page.url == f"{signup_site.url}/{SUBSCRIBE}"
    assert page.evaluate("document.activeElement.id") == "subscribe-signup-status"
    assert page.locator("#subscribe-signup-EMAIL").input_value() == ""
    assert page.locator("button[type=submit]").is_enabled()


def test_nothing_is_requested_from_another_host_until_the_reader_submits(signup_site, fake,
                                                                         page_in):
    page, elsewhere = open_subscribe_page(page_in, signup_site)
    tab_to(page, "subscribe-signup-EMAIL")
    page.keyboard.type("reader@example.com")
    page.locator("input[name='group[13157][1]']").check()
    assert elsewhere == []
    assert fake.received == []


@pytest.mark.parametrize(
    ("email", "message", "focus"),
    [
        ("taken@example.com", "This address is already subscribed", "subscribe-signup-status"),
        ("reader@example", "That email address does not look right", "subscribe-signup-EMAIL"),
        ("busy@example.com", "too many signup attempts", "submit"),
        ("blocked@example.com", "This email cannot be added to this list.", "submit"),
        ("broken@example.com", "We could not reach the mailing list", "submit"),
    ],
)
def test_mailchimp_errors_are_told_in_a_readers_words(signup_site, fake, page_in, email,
                                                     message, focus):
    page, _ = open_subscribe_page(page_in, signup_site)
    status = page.locator("#subscribe-signup-status")
    fill_by_keyboard(page, email)
    expect(status).to_contain_text(message)
    text = status.text_content()
    assert "0 -" not in text and "<a" not in text and "Click here" not in text
    active = page.evaluate("document.activeElement.id || document.activeElement.type")
    assert active == focus
    if focus == "subscribe-signup-EMAIL":
        assert page.locator("#subscribe-signup-EMAIL").get_attribute("aria-invalid") == "true"
    assert page.locator("button[type=submit]").is_enabled()
    assert len(fake.received) == 1


def test_a_silent_server_times_out_and_the_form_cannot_be_sent_twice(signup_site, fake, page_in):
    page, _ = open_subscribe_page(page_in, signup_site)
    form = page.locator("form[data-signup]")
    assert form.get_attribute("data-timeout") == str(TIMEOUT_MS)
    fill_by_keyboard(page, "slow@example.com")
    expect(page.locator("#subscribe-signup-status")).to_have_text("Subscribing…")
    expect(page.locator("button[type=submit]")).to_be_disabled()
    assert form.get_attribute("aria-busy") == "true"
    form.evaluate("f => f.requestSubmit()")
    expect(page.locator("#subscribe-signup-status")).to_contain_text("did not answer in time")
    expect(page.locator("button[type=submit]")).to_be_enabled()
    assert page.evaluate("document.activeElement.type") == "submit"
    assert len(fake.received) == 1


def test_without_javascript_the_plain_form_posts_to_mailchimp(signup_site, fake, page_in):
    page, elsewhere = open_subscribe_page(page_in, signup_site, java_script_enabled=False)
    assert elsewhere == []
    ticks = ["Articles", "Executive Coaching Group"]
    fill_by_keyboard(page, "reader@example.com", "Ada", tick=ticks)
    page.wait_for_url(f"{fake.url}/**")
    assert page.locator("h1").text_content() == "Almost finished..."
    assert fake.received == [(
        "POST", f"/subscribe/post?u={U}&id={LIST_ID}&f_id={FORM_ID}",
        [("EMAIL", "reader@example.com"), ("FNAME", "Ada"), ("group[13157][1]", "1"),
         ("group[13157][4]", "4"), (HONEYPOT, "")],
    )]


def test_the_footer_form_joins_the_default_group(signup_site, fake, page_in):
    page = page_in()
    page.goto(f"{signup_site.url}/about/", wait_until="load")
    tab_to(page, "footer-signup-EMAIL")
    page.keyboard.type("reader@example.com")
    page.keyboard.press("Enter")
    expect(page.locator("#footer-signup-status")).to_contain_text(CONFIRM)
    assert sent(fake) == [
        ("u", U), ("id", LIST_ID), ("f_id", FORM_ID),
        ("EMAIL", "reader@example.com"), ("group[13157][1]", "1"), (HONEYPOT, ""),
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_in_any_state(signup_site, fake, page_in, scheme):
    page, _ = open_subscribe_page(page_in, signup_site, color_scheme=scheme)
    status = page.locator("#subscribe-signup-status")
    assert axe_violations(page) == []
    fill_by_keyboard(page, "reader@example.com", tick=["Articles"])
    expect(status).to_contain_text(CONFIRM)
    assert axe_violations(page) == []
    fill_by_keyboard(page, "reader@example")
    expect(status).to_contain_text("does not look right")
    assert axe_violations(page) == []


def test_without_javascript_the_reader_ends_on_our_thank_you_page(signup_site, fake, page_in):
    """Mailchimp's "Signup thank you page" set as the README says: the reader lands on ours."""
    fake.after_post = f"{signup_site.url}/{THANKS}"
    try:
        page, _ = open_subscribe_page(page_in, signup_site, java_script_enabled=False)
        fill_by_keyboard(page, "reader@example.com")
        page.wait_for_url(f"{signup_site.url}/{THANKS}")
    finally:
        fake.after_post = None
    assert page.locator("h1").text_content() == "Thank you — check your inbox to confirm"
    [(method, _, sent_fields)] = fake.received
    assert method == "POST" and ("EMAIL", "reader@example.com") in sent_fields


def open_with_paused_timers(page_in, site, url=SUBSCRIBE, **options):
    """A page whose timers run only when the test says (Playwright's clock): what the page
    shows before its own delayed steps is checked without racing them, and without sleeping."""
    page = page_in(**options)
    page.clock.install()
    page.goto(f"{site.url}/{url}", wait_until="load")
    return page


def test_a_captcha_demand_takes_the_reader_to_mailchimps_form_filled_in(signup_site, fake,
                                                                        page_in):
    page = open_with_paused_timers(page_in, signup_site)
    hosted_requests = []
    page.on("request", lambda r: r.url.startswith(f"{fake.url}/subscribe?")
            and hosted_requests.append(r.url))
    status = page.locator("#subscribe-signup-status")
    fill_by_keyboard(page, "robot@example.com", "Ada", tick=["Articles", "Events"])
    # The reader is told why, with a link, before the page changes.
    expect(status).to_contain_text(CAPTCHA)
    assert hosted_requests == []
    hosted = (f"{fake.url}/subscribe?u={U}&id={LIST_ID}&EMAIL=robot%40example.com&FNAME=Ada"
              "&group%5B13157%5D%5B1%5D=1&group%5B13157%5D%5B2%5D=2")
    link = status.get_by_role("link", name="Go to Mailchimp's signup page now")
    assert link.get_attribute("href") == hosted
    assert page.evaluate("document.activeElement.id") == "subscribe-signup-status"
    assert "error" not in status.get_attribute("class")
    # Time to read or hear the message: the page stays a few seconds, then goes on its own.
    page.clock.run_for(3000)
    assert page.url == f"{signup_site.url}/{SUBSCRIBE}"
    expect(status).to_contain_text(CAPTCHA)
    page.clock.run_for(1000)
    page.wait_for_url(hosted)
    assert hosted_requests == [hosted]
    assert page.locator("h1").text_content() == "Mailchimp"
    [_, (method, path, query)] = fake.received
    assert (method, path) == ("GET", "/subscribe")
    assert query == [("u", U), ("id", LIST_ID), ("EMAIL", "robot@example.com"), ("FNAME", "Ada"),
                     ("group[13157][1]", "1"), ("group[13157][2]", "2")]
    # Back on the site (from the back/forward cache or not), the form is usable again.
    page.go_back(wait_until="load")
    expect(page.locator("#subscribe-signup-status")).to_have_text("")
    expect(page.locator("button[type=submit]")).to_be_enabled()


def test_a_captcha_from_the_footer_form_keeps_its_default_group(signup_site, fake, page_in):
    page = page_in()
    page.goto(f"{signup_site.url}/about/", wait_until="load")
    page.locator("#footer-signup-EMAIL").fill("robot@example.com")
    with page.expect_request(f"{fake.url}/subscribe?**") as request:
        page.locator("#footer-signup-EMAIL").press("Enter")
        expect(page.locator("#footer-signup-status")).to_contain_text(CAPTCHA)
    assert request.value.url == (f"{fake.url}/subscribe?u={U}&id={LIST_ID}"
                                 "&EMAIL=robot%40example.com&group%5B13157%5D%5B1%5D=1")


# The landing pages and what the page looks like while it hands over to Mailchimp


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("url", [THANKS, "subscribe/confirmed/"])
def test_axe_finds_no_violation_on_the_landing_pages(signup_site, page_in, scheme, url):
    page = page_in(color_scheme=scheme)
    response = page.goto(f"{signup_site.url}/{url}", wait_until="load")
    assert response.status == 200
    assert axe_violations(page) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_while_handing_over_to_mailchimp(signup_site, fake, page_in,
                                                                 scheme):
    page = open_with_paused_timers(page_in, signup_site, color_scheme=scheme)
    fill_by_keyboard(page, "robot@example.com")
    expect(page.locator("#subscribe-signup-status")).to_contain_text(CAPTCHA)
    assert axe_violations(page) == []  # the page stays: its timer is paused
    assert page.url == f"{signup_site.url}/{SUBSCRIBE}"


# An EU list: its consent fields are shown and sent


@pytest.fixture(scope="module")
def consent_site(tmp_path_factory):
    """The production build with the audience of an EU list (GDPR fields), served."""
    from conftest import eu_list_site

    yield from served(eu_list_site(tmp_path_factory.mktemp("consent")))


@pytest.fixture
def consent_fake(consent_site):
    consent_site.fake.received.clear()
    return consent_site.fake


def test_the_consent_checkbox_is_sent_with_the_signup(consent_site, consent_fake, page_in):
    page, _ = open_subscribe_page(page_in, consent_site)
    consent = page.get_by_role("group", name="Marketing Permissions")
    expect(consent).to_contain_text("We use Mailchimp as our marketing platform.")
    page.locator("#subscribe-signup-EMAIL").fill("reader@example.eu")
    consent.get_by_label("Email", exact=True).check()
    page.locator("#subscribe-signup-EMAIL").press("Enter")
    expect(page.locator("#subscribe-signup-status")).to_contain_text(CONFIRM)
    assert sent(consent_fake) == [
        ("u", U), ("id", LIST_ID), ("f_id", FORM_ID), ("EMAIL", "reader@example.eu"),
        ("FNAME", ""), ("gdpr[41031]", "Y"), (HONEYPOT, ""),
    ]


def test_the_consent_checkbox_is_sent_without_javascript(consent_site, consent_fake, page_in):
    page, _ = open_subscribe_page(page_in, consent_site, java_script_enabled=False)
    page.locator("#subscribe-signup-EMAIL").fill("reader@example.eu")
    page.get_by_role("group", name="Marketing Permissions").get_by_label(
        "Customized Online Advertising").check()
    page.locator("#subscribe-signup-EMAIL").press("Enter")
    page.wait_for_url(f"{consent_fake.url}/**")
    [(method, _, fields)] = consent_fake.received
    assert method == "POST"
    assert ("gdpr[41039]", "Y") in fields and not [f for f in fields if f[0] == "gdpr[41031]"]


def test_the_footer_form_sends_consent_too(consent_site, consent_fake, page_in):
    page = page_in()
    page.goto(f"{consent_site.url}/about/", wait_until="load")
    footer = page.locator("form.signup-compact")
    footer.get_by_label("Email", exact=True).check()
    page.locator("#footer-signup-EMAIL").fill("reader@example.eu")
    page.locator("#footer-signup-EMAIL").press("Enter")
    expect(page.locator("#footer-signup-status")).to_contain_text(CONFIRM)
    assert ("gdpr[41031]", "Y") in sent(consent_fake)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_in_the_consent_form(consent_site, page_in, scheme):
    for url in ("subscribe/", "about/"):
        page = page_in(color_scheme=scheme)
        page.goto(f"{consent_site.url}/{url}", wait_until="load")
        assert axe_violations(page) == []
