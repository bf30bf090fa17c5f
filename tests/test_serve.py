"""`invoke serve`: a production build shown correctly at 127.0.0.1 (styles, links, feeds) with
the output left as deployed; a missing path gets the site's 404 page with status 404."""

import http.client
import json
import os
import re
import select
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from conftest import PRODUCTION_URL
from publish_helpers import copy_project

from possibility.commands.serve import (
    ServeError,
    built_for,
    is_text,
    make_rewriter,
    serve_output,
)

ATOM = "{http://www.w3.org/2005/Atom}"


@contextmanager
def running(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def fetch(url, method="GET"):
    """(status, headers, body, final url) of `url`; redirects followed, errors returned."""
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read(), response.url
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read(), url


class Links(HTMLParser):
    """Every href and src of a page, and its stylesheets' hrefs."""

    def __init__(self, html):
        super().__init__()
        self.urls, self.stylesheets = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "src"):
            if attrs.get(name):
                self.urls.append(attrs[name])
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.stylesheets.append(attrs["href"])


@pytest.fixture
def production(site):
    site.build()
    return site


@pytest.fixture
def served(production):
    with running(serve_output(production.output, port=0, quiet=True)) as server:
        yield server


def test_it_listens_on_127_0_0_1_and_says_what_it_shows(served, production):
    assert served.server_address[0] == "127.0.0.1"
    assert served.siteurl == PRODUCTION_URL
    port = served.server_address[1]
    assert served.describe(project=production.folder) == (
        f"Serving output/ (built for {PRODUCTION_URL}, shown as http://127.0.0.1:{port}) "
        "(Ctrl-C to stop)"
    )


def test_a_page_has_its_styles_and_every_link_works_locally(served, production):
    status, headers, body, _ = fetch(f"{served.local_url}/")
    assert status == 200 and headers["Content-Type"] == "text/html"
    page = body.decode()
    assert PRODUCTION_URL not in page
    links = Links(page)
    assert links.stylesheets == [f"{served.local_url}/theme/css/site.css"]
    status, headers, css, _ = fetch(links.stylesheets[0])
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    assert css == (production.output / "theme/css/site.css").read_bytes()

    local = sorted({url.split("#")[0] for url in links.urls if url.startswith(served.local_url)})
    assert len(local) > 10  # posts, pages, menu, feeds
    for url in local:
        assert fetch(url)[0] == 200, url
    # The output itself is exactly what would be deployed.
    assert f'href="{PRODUCTION_URL}/theme/css/site.css"' in production.html("index.html")


def test_the_feeds_link_to_the_local_site(served, production):
    _, _, body, _ = fetch(f"{served.local_url}/")
    alternate = r'<link rel="alternate" type="[^"]+" [^>]*href="([^"]+)"'
    feed_links = re.findall(alternate, body.decode())
    assert f"{served.local_url}/feeds/all.atom.xml" in feed_links

    status, headers, atom, _ = fetch(f"{served.local_url}/feeds/all.atom.xml")
    assert status == 200 and "xml" in headers["Content-Type"]
    hrefs = [link.get("href") for link in ElementTree.fromstring(atom).iter(f"{ATOM}link")]
    assert len(hrefs) >= 3 and all(h.startswith(served.local_url + "/") for h in hrefs), hrefs

    _, _, rss, _ = fetch(f"{served.local_url}/feeds/all.rss.xml")
    links = [link.text for link in ElementTree.fromstring(rss).iter("link")]
    assert len(links) >= 3 and all(link.startswith(served.local_url + "/") for link in links)

    status, headers, data, _ = fetch(f"{served.local_url}/feeds/all.json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    feed = json.loads(data)
    urls = [feed["home_page_url"], feed["feed_url"]] + [item["url"] for item in feed["items"]]
    assert all(url.startswith(served.local_url + "/") for url in urls), urls
    for url in urls:
        assert fetch(url)[0] == 200, url
    assert PRODUCTION_URL in (production.output / "feeds/all.json").read_text()


def test_a_missing_path_gets_the_sites_404_page_with_status_404(served, production):
    status, headers, body, _ = fetch(f"{served.local_url}/no-such-post/")
    assert status == 404
    assert headers["Content-Type"] == "text/html"
    not_found = (production.output / "404.html").read_bytes()
    assert body == make_rewriter(PRODUCTION_URL, served.local_url)(not_found)
    assert b"<title>Page not found" in body and PRODUCTION_URL.encode() not in body

    status, _, body, _ = fetch(f"{served.local_url}/images/missing.jpg", method="HEAD")
    assert status == 404 and body == b""


def test_clean_urls_serve_the_folder_page(served, production):
    rewrite = make_rewriter(PRODUCTION_URL, served.local_url)
    status, _, body, _ = fetch(f"{served.local_url}/about/")
    assert status == 200 and body == rewrite(production.output.joinpath("about/index.html")
                                             .read_bytes())
    status, _, _, final = fetch(f"{served.local_url}/about")
    assert status == 200 and final == f"{served.local_url}/about/"
    assert fetch(f"{served.local_url}/robots.txt/")[0] == 404  # a file is not a folder


def test_nothing_outside_the_output_is_served(served, production):
    (production.folder / "secret.txt").write_text("not for the web")
    connection = http.client.HTTPConnection("127.0.0.1", served.server_address[1], timeout=30)
    try:
        connection.request("GET", "/../secret.txt")
        response = connection.getresponse()
        assert response.status == 404 and b"not for the web" not in response.read()
    finally:
        connection.close()


def test_a_local_build_is_served_exactly_as_written(site):
    site.build("pelicanconf.py")
    assert built_for(site.output) == ""
    with running(serve_output(site.output, port=0, quiet=True)) as server:
        assert server.describe(project=site.folder) == (
            f"Serving output/ (a local build) at {server.local_url}/ (Ctrl-C to stop)"
        )
        files = [p for p in site.output.rglob("*") if p.is_file()]
        assert len(files) > 20
        for path in files:
            url = f"{server.local_url}/{path.relative_to(site.output).as_posix()}"
            status, _, body, _ = fetch(url)
            assert (status, body) == (200, path.read_bytes()), url


def test_the_siteurl_is_the_one_the_served_build_was_made_for(production):
    assert built_for(production.output) == PRODUCTION_URL
    production.build(SITEURL="https://other.example.org")
    assert built_for(production.output) == "https://other.example.org"
    production.build("pelicanconf.py")
    assert built_for(production.output) == ""


def test_no_output_yet_says_what_to_run(tmp_path):
    with pytest.raises(ServeError, match="there is no output/ to serve yet: run invoke build"):
        serve_output(tmp_path / "output", project=tmp_path)


def test_only_the_address_itself_is_rewritten():
    rewrite = make_rewriter("https://example.org", "http://127.0.0.1:8000")
    text = (b'<a href="https://example.org/">home</a> https://example.org '
            b'https://example.org.evil.com/ https://example.org:8443/ https://example.organic/ '
            b'{"url": "https:\\/\\/example.org\\/feeds\\/all.json"}')
    assert rewrite(text) == (
        b'<a href="http://127.0.0.1:8000/">home</a> http://127.0.0.1:8000 '
        b'https://example.org.evil.com/ https://example.org:8443/ https://example.organic/ '
        b'{"url": "http:\\/\\/127.0.0.1:8000\\/feeds\\/all.json"}'
    )
    assert make_rewriter("", "http://127.0.0.1:8000")(text) == text
    assert all(map(is_text, ["text/html", "text/css", "application/json", "text/xml",
                             "application/xml", "text/javascript", "application/atom+xml",
                             "application/feed+json", "text/plain; charset=utf-8"]))
    assert not any(map(is_text, ["image/jpeg", "image/png", "application/octet-stream"]))


# The real tasks, as the author runs them: invoke preview, then invoke serve.


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path / "project")


def test_invoke_preview_then_invoke_serve_shows_the_production_site(project, tmp_path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SITEURL", "SERVE_"))}
    done = subprocess.run([sys.executable, "-m", "invoke", "preview"], cwd=project, env=environ,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 0, done.stdout + done.stderr

    with open(tmp_path / "serve.log", "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "invoke", "serve", "--port", "0"], cwd=project, env=environ,
            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True,
        )
    try:
        ready, _, _ = select.select([server.stdout], [], [], 60)
        line = server.stdout.readline() if ready else ""
        found = re.fullmatch(
            r"Serving output/ \(built for https://www\.thepossibilitypractice\.com, shown as "
            r"(http://127\.0\.0\.1:\d+)\) \(Ctrl-C to stop\)\n", line)
        assert found, line + (tmp_path / "serve.log").read_text()
        local = found.group(1)
        _, _, page, _ = fetch(f"{local}/should-your-work-speak-for-itself/")
        stylesheet = Links(page.decode()).stylesheets[0]
        assert stylesheet == f"{local}/theme/css/site.css"
        status, headers, _, _ = fetch(stylesheet)
        assert status == 200 and headers["Content-Type"].startswith("text/css")
        status, _, body, _ = fetch(f"{local}/missing/")
        assert status == 404 and b"Page not found" in body
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()
    assert f'href="{PRODUCTION_URL}/theme/css/site.css"' in (
        project / "output/index.html").read_text()
