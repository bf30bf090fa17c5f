"""Screenshots for review: the pages a visitor sees first, as Chromium shows them.

    .venv/bin/python -m bench.screenshots [--out bench/.work/screenshots] [--full-page]

Builds the production site (publishconf.py) into a temporary folder, serves it on
127.0.0.1 with `invoke serve`'s server (so every link is local), and saves a PNG of the
home page, an article, an event (the first in /events/, when the site has one) and the
Subscribe page at 375 and 1280 px wide, in light and in dark mode. It prints each file and
the page's height, so a layout that grew or collapsed shows up in the figures too.
"""

import argparse
import shutil
import tempfile
import threading
from pathlib import Path

from possibility.commands.publish.build import build_site
from possibility.commands.serve import serve_output
from tests.browser_fixtures import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "home": "/",
    "article": "/should-your-work-speak-for-itself/",
    "subscribe": "/subscribe/",
}
WIDTHS = (375, 1280)
SCHEMES = ("light", "dark")


def first_event(output):
    """The URL path of the first event page the build wrote, or None."""
    pages = sorted((output / "events").glob("*/index.html"))
    return f"/events/{pages[0].parent.name}/" if pages else None


def main():
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / ".work" / "screenshots")
    parser.add_argument("--full-page", action="store_true", help="the whole page, not a screen")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    work = Path(tempfile.mkdtemp(prefix="screenshots-"))
    try:
        output = work / "output"
        build_site(ROOT / "publishconf.py", {"OUTPUT_PATH": str(output),
                                             "CACHE_PATH": str(work / "cache")})
        pages = dict(PAGES)
        event = first_event(output)
        if event:
            pages["event"] = event
        server = serve_output(output, port=0, quiet=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=CHROMIUM_ARGS)
                for name, path in pages.items():
                    for width in WIDTHS:
                        for scheme in SCHEMES:
                            context = browser.new_context(
                                viewport={"width": width, "height": 900 if width > 600 else 812},
                                color_scheme=scheme,
                            )
                            page = context.new_page()
                            page.goto(server.local_url + path, wait_until="networkidle")
                            target = args.out / f"{name}-{width}-{scheme}.png"
                            page.screenshot(path=str(target), full_page=args.full_page)
                            height = page.evaluate("document.documentElement.scrollHeight")
                            print(f"{target}  page height {height} px")
                            context.close()
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
