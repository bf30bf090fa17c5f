"""Lighthouse scores for the home page, an article and an event page, ours vs stock notmyidea.

    .venv/bin/python -m bench.lighthouse_bench [--ours-only]

Installs lighthouse@12 (13 needs a newer Node than Debian's 20) into bench/.work on
first use, builds both sites with SITEURL pointing at a local server on 127.0.0.1,
and runs Lighthouse (its default: mobile) in Debian's headless Chromium
(CHROME_PATH=/usr/bin/chromium). Target: 100 in performance, accessibility, best practices
and SEO on each of our pages. Any audit that does not pass is named after the scores.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.page_weight import ROOT, build, first_event, stock_copy
from tests.browser_fixtures import CHROMIUM, StaticServer

WORK = Path(__file__).resolve().parent / ".work"
LIGHTHOUSE = WORK / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
    "--disable-background-networking --disable-component-update --no-first-run --disable-sync"
)


def install_lighthouse():
    if LIGHTHOUSE.exists():
        return
    WORK.mkdir(exist_ok=True)
    (WORK / "package.json").write_text('{"private": true}\n')
    subprocess.run(
        ["npm", "install", "--prefix", str(WORK), "--no-audit", "--no-fund", "lighthouse@12"],
        check=True,
    )


def scores(url, report_dir):
    report = report_dir / "report.json"
    subprocess.run(
        [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
         f"--chrome-flags={CHROME_FLAGS}", "--only-categories=" + ",".join(CATEGORIES)],
        check=True, env={**os.environ, "CHROME_PATH": CHROMIUM},
    )
    data = json.loads(report.read_text())
    # The audits that count towards a score (weight > 0) and did not fully pass; the
    # opportunities and insights (compression, cache headers of the test server...) do not.
    weighted = {ref["id"] for c in CATEGORIES for ref in data["categories"][c]["auditRefs"]
                if ref.get("weight")}
    failed = [
        f"{audit['id']} ({audit['score']:.2f})" for audit in data["audits"].values()
        if audit["id"] in weighted and audit.get("score") is not None and audit["score"] < 1
    ]
    return [round(data["categories"][c]["score"] * 100) for c in CATEGORIES], failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours-only", action="store_true", help="skip stock notmyidea")
    args = parser.parse_args()
    install_lighthouse()
    work = Path(tempfile.mkdtemp(prefix="lighthouse-"))
    try:
        content = work / "content"
        shutil.copytree(ROOT / "content", content)
        stock_content = stock_copy(content, work / "stock-content")
        (work / "ours").mkdir()
        (work / "stock").mkdir()
        with StaticServer(work / "ours") as ours, StaticServer(work / "stock") as stock:
            build(content, work / "ours", ROOT / "publishconf.py", ours.url, work / "cache")
            pages = [("ours", ours.url, "home", ""),
                     ("ours", ours.url, "article", "should-your-work-speak-for-itself/")]
            event = first_event(work / "ours")
            if event:
                pages.append(("ours", ours.url, "event", event))
            if not args.ours_only:
                build(stock_content, work / "stock", work / "stockconf.py", stock.url,
                      work / "c2")
                pages += [("stock", stock.url, "home", ""),
                          ("stock", stock.url, "article",
                           "should-your-work-speak-for-itself.html")]
            print("site   page     " + " ".join(f"{c:>15}" for c in CATEGORIES), flush=True)
            for name, base, label, path in pages:
                values, failed = scores(f"{base}/{path}", work)
                print(f"{name:6} {label:8} " + " ".join(f"{v:>15}" for v in values)
                      + (f"   below 1: {', '.join(failed)}" if failed else ""), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
