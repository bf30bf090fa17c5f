"""Lighthouse scores for the home and an article page, ours vs stock notmyidea.

    .venv/bin/python -m bench.lighthouse_bench

Installs lighthouse@12 (13 needs a newer Node than Debian's 20) into bench/.work on
first use, builds both sites with SITEURL pointing at a local server on 127.0.0.1,
and runs Lighthouse in Debian's headless Chromium (CHROME_PATH=/usr/bin/chromium).
Target: 100 in performance, accessibility, best practices and SEO on both pages.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.page_weight import ROOT, build, stock_copy
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
    failed = [
        audit["id"] for audit in data["audits"].values()
        if audit.get("score") is not None and audit["score"] < 1
        and audit.get("scoreDisplayMode") == "binary"
    ]
    return [round(data["categories"][c]["score"] * 100) for c in CATEGORIES], failed


def main():
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
            build(stock_content, work / "stock", work / "stockconf.py", stock.url, work / "c2")
            print("site   page     " + " ".join(f"{c:>15}" for c in CATEGORIES))
            for name, base, article in [
                ("ours", ours.url, "should-your-work-speak-for-itself/"),
                ("stock", stock.url, "should-your-work-speak-for-itself.html"),
            ]:
                for label, path in [("home", ""), ("article", article)]:
                    values, failed = scores(f"{base}/{path}", work)
                    print(f"{name:6} {label:8} " + " ".join(f"{v:>15}" for v in values)
                          + (f"   failing: {', '.join(failed)}" if failed else ""))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
