"""Page weight as a reader's browser loads it: bytes and requests, ours vs stock.

    .venv/bin/python -m bench.page_weight

Builds the real content with our theme and with stock Pelican (notmyidea), serves
each on 127.0.0.1 and loads the same article in Debian's Chromium, counting every
request and its uncompressed body size; then our home page (the front door) and an event
page. Images are counted apart (the home page's portrait, when HOME_PORTRAIT names one).
Targets: article <= 30 KB, <= 3 requests; home page before images <= 40 KB, <= 3 requests.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.build_bench import STOCK_CONF
from tests.browser_fixtures import CHROMIUM, CHROMIUM_ARGS, StaticServer

ROOT = Path(__file__).resolve().parent.parent

ARTICLE = "should-your-work-speak-for-itself"


def stock_copy(content, target):
    """The same content for stock Pelican: minus our templates, plus its quickstart settings."""
    shutil.copytree(content, target)
    for page in (target / "pages").glob("*.md"):
        lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
        page.write_text("".join(x for x in lines if not x.startswith("Template:")))
    (target.parent / "stockconf.py").write_text(STOCK_CONF + 'ARTICLE_URL = "{slug}.html"\n')
    return target


def build(content, output, settings, siteurl, cache):
    """Build in a subprocess: Pelican's signals are global, so plugins must not leak."""
    overrides = [f'PATH="{content}"', f'SITEURL="{siteurl}"', f'CACHE_PATH="{cache}"']
    subprocess.run(
        [sys.executable, "-m", "pelican", str(content), "-o", str(output), "-s", str(settings),
         "-q", "-e", *overrides],
        check=True, cwd=ROOT, capture_output=True,
    )


def measure(browser, url, images=False):
    """(requests, bytes) the page at `url` loads: without its images, or only them."""
    sizes = []
    page = browser.new_page()

    def finished(request):
        if (request.resource_type == "image") == images:
            sizes.append(len(request.response().body()))

    page.on("requestfinished", finished)
    page.goto(url, wait_until="networkidle")
    page.close()
    return len(sizes), sum(sizes)


def first_event(output):
    """The URL path of the first event page the build wrote, or None."""
    pages = sorted((output / "events").glob("*/index.html"))
    return f"events/{pages[0].parent.name}/" if pages else None


def main():
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="weight-"))
    try:
        content = work / "content"
        shutil.copytree(ROOT / "content", content)
        stock_content = stock_copy(content, work / "stock-content")
        with StaticServer(work / "ours") as ours, StaticServer(work / "stock") as stock:
            (work / "ours").mkdir(exist_ok=True)
            build(content, work / "ours", ROOT / "publishconf.py", ours.url, work / "cache")
            build(stock_content, work / "stock", work / "stockconf.py", stock.url, work / "cache2")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                ours_requests, ours_bytes = measure(browser, f"{ours.url}/{ARTICLE}/")
                stock_requests, stock_bytes = measure(browser, f"{stock.url}/{ARTICLE}.html")
                home_requests, home_bytes = measure(browser, f"{ours.url}/")
                image_requests, image_bytes = measure(browser, f"{ours.url}/", images=True)
                event = first_event(work / "ours")
                if event:
                    event_requests, event_bytes = measure(browser, f"{ours.url}/{event}")
                browser.close()
        print(f"ours:  article {ours_bytes / 1024:.1f} KB in {ours_requests} requests "
              "(target <= 30 KB, <= 3 requests)")
        print(f"stock: article {stock_bytes / 1024:.1f} KB in {stock_requests} requests "
              "(notmyidea)")
        print(f"ours:  home    {home_bytes / 1024:.1f} KB in {home_requests} requests before "
              f"images (target <= 40 KB, <= 3 requests); images {image_bytes / 1024:.1f} KB "
              f"in {image_requests}")
        if event:
            print(f"ours:  event   {event_bytes / 1024:.1f} KB in {event_requests} requests "
                  f"(/{event})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
