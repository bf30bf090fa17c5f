"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright, and a local web server.

Loaded from conftest.py as a pytest plugin. Chromium runs headless, as root, with
no internet: the flags keep it from reaching for Google's services.
"""

import functools
import http.server
import threading
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


class StaticServer:
    """Serve a folder on 127.0.0.1 (an ephemeral port) in a background thread."""

    def __init__(self, folder):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page_in(browser):
    """Open a fresh page (its own context) at a given viewport; closed after the test."""
    contexts = []

    def open_page(width=1280, height=900, **context_options):
        viewport = {"width": width, "height": height}
        context = browser.new_context(viewport=viewport, **context_options)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def serve():
    """Serve a folder over HTTP on 127.0.0.1 for the duration of a test."""
    servers = []

    def start(folder):
        server = StaticServer(Path(folder)).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def axe_violations(page):
    """Run axe-core (as shipped by axe-playwright-python) on the page; list what fails."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: "
        f"{', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in results.response["violations"]
    ]
