"""Verify live (possibility.commands.publish.verify_live) against a real HTTP server on
127.0.0.1."""

import pytest
import requests
from browser_fixtures import StaticServer

from possibility.commands.publish.settings import VerifySettings
from possibility.commands.publish.verify_live import LivePage, pauses, shows_title, verify_live

TITLE = "Should Your Work Speak For Itself?"
PAGE = f"<html><head><title>{TITLE} | The Possibility Practice</title></head><body></body></html>"


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """One server for the module; each test writes its own pages under its own folder."""
    root = tmp_path_factory.mktemp("www")
    with StaticServer(root) as server:
        server.root = root
        yield server


def put(web, relative, text):
    path = web.root / relative / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return f"{web.url}/{relative}/"


def test_pauses_double_up_to_a_cap():
    assert pauses(5, 2.0) == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert pauses(3, 40.0) == [40.0, 60.0, 60.0]
    assert pauses(0, 2.0) == []


def test_title_is_found_in_title_or_heading_with_entities_and_spaces():
    assert shows_title("<h1>Should Your Work\n  Speak For Itself&#x3F;</h1>", TITLE)
    assert shows_title(PAGE, TITLE)
    assert shows_title("<h1>Karen&rsquo;s &amp; Co</h1>", "Karen’s & Co")
    assert not shows_title(f"<p>{TITLE}</p>", TITLE)
    assert not shows_title("<title>Page not found</title>", TITLE)


def test_live_pages_pass_at_once(web):
    waits = []
    url = put(web, "live", PAGE)
    problems = verify_live([LivePage(url, TITLE)], VerifySettings(retries=3), sleep=waits.append)
    assert problems == []
    assert waits == []


def test_a_missing_page_is_retried_with_backoff_then_reported(web):
    waits = []
    pages = [LivePage(put(web, "there", PAGE), TITLE), LivePage(f"{web.url}/missing/", "New")]
    problems = verify_live(pages, VerifySettings(retries=3, backoff=1.5), sleep=waits.append)
    assert problems == [f"{web.url}/missing/ answered 404, not 200"]
    assert waits == [1.5, 3.0, 6.0]


def test_a_page_that_appears_while_waiting_passes(web):
    page = LivePage(f"{web.url}/late/", "Late")
    waits = []

    def deploy_meanwhile(seconds):
        waits.append(seconds)
        put(web, "late", "<h1>Late</h1>")

    assert verify_live([page], VerifySettings(retries=2, backoff=2), sleep=deploy_meanwhile) == []
    assert waits == [2]


def test_wrong_title_and_no_server_are_reported(web):
    url = put(web, "other", "<h1>Another post</h1>")
    with requests.Session() as session:
        problems = verify_live(
            [LivePage(url, TITLE), LivePage("http://127.0.0.1:9/", TITLE)],
            VerifySettings(retries=0, timeout=2), session=session,
        )
    assert problems == [
        f"{url} answers but does not show the title {TITLE!r}",
        "http://127.0.0.1:9/ did not answer (ConnectionError)",
    ]
