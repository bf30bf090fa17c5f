"""Time our full production build against stock Pelican on the same synthetic corpus.

    .venv/bin/python -m bench.build_bench [--posts 1000] [--rounds 5]

Stock Pelican is what `pelican-quickstart` writes with its defaults (theme notmyidea,
pagination 10, the quickstart's publishconf: Atom feeds on). Both run as `pelican`
subprocesses, alternating, cold (no content cache, an empty output folder, as on a
fresh clone), and in each round a warm rebuild of ours after one post changed
(Pelican's content cache, the last build's output in place); the figures are the
medians of the rounds. Machines are noisy: only the ratios measured side by
side in one run mean anything.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import write_corpus

ROOT = Path(__file__).resolve().parent.parent
PELICAN = [sys.executable, "-m", "pelican"]

STOCK_CONF = """
AUTHOR = "Karen Steinberg"
SITENAME = "The Possibility Practice"
SITEURL = "https://www.thepossibilitypractice.com"
PATH = "content"
TIMEZONE = "America/New_York"
DEFAULT_LANG = "en"
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
LINKS = (("Pelican", "https://getpelican.com/"), ("Python.org", "https://www.python.org/"))
SOCIAL = (("You can add links in your config file", "#"),)
DEFAULT_PAGINATION = 10
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = True
"""


def run_pelican(content, output, settings, extra=()):
    started = time.perf_counter()
    subprocess.run(
        [*PELICAN, str(content), "-o", str(output), "-s", str(settings), "-q", *extra],
        check=True,
        cwd=ROOT,
        env={**os.environ, "SITEURL": "https://www.thepossibilitypractice.com"},
    )
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        content = work / "content"
        write_corpus(content, args.posts)
        shutil.copytree(ROOT / "content" / "pages", content / "pages")
        for extra in ROOT.joinpath("content").glob("*.json"):
            shutil.copy(extra, content / extra.name)
        # Stock Pelican gets the same posts and pages, minus our theme's own templates.
        stock_content = work / "stock-content"
        shutil.copytree(content, stock_content)
        for page in (stock_content / "pages").glob("*.md"):
            lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
            page.write_text("".join(x for x in lines if not x.startswith("Template:")))
        stock_conf = work / "stockconf.py"
        stock_conf.write_text(STOCK_CONF)
        ours_conf = ROOT / "publishconf.py"
        cold = ["-e", f'PATH="{content}"', f'CACHE_PATH="{work / "cold"}"']
        cold.append("LOAD_CONTENT_CACHE=false")

        # The warm series has its own output folder and cache, built once beforehand.
        warm_cache = ["-e", f'PATH="{content}"', f'CACHE_PATH="{work / "warm"}"']
        run_pelican(content, work / "warm-output", ours_conf, warm_cache)
        changed = content / "posts" / "post-7.md"

        stock_times, ours_times, warm_times = [], [], []
        for round_number in range(args.rounds):
            for output in ("stock", "ours"):
                shutil.rmtree(work / output, ignore_errors=True)
            stock_times.append(run_pelican(stock_content, work / "stock", stock_conf))
            ours_times.append(run_pelican(content, work / "ours", ours_conf, cold))
            changed.write_text(changed.read_text() + f"\nOne more sentence, {round_number}.\n")
            warm_times.append(run_pelican(content, work / "warm-output", ours_conf, warm_cache))
            print(
                f"round {round_number + 1}: stock {stock_times[-1]:.2f} s, "
                f"ours {ours_times[-1]:.2f} s (ratio {ours_times[-1] / stock_times[-1]:.2f}), "
                f"warm {warm_times[-1]:.2f} s (ratio {warm_times[-1] / ours_times[-1]:.2f})",
                flush=True,
            )
        stock, ours = statistics.median(stock_times), statistics.median(ours_times)
        warm = statistics.median(warm_times)

        pages = sum(1 for _ in (work / "ours").rglob("*.html"))
        print()
        print(f"posts: {args.posts}; our site: {pages} HTML pages")
        print(f"stock Pelican (quickstart, notmyidea): {stock:.2f} s (median of {args.rounds})")
        print(f"our production build:                  {ours:.2f} s (median of {args.rounds})")
        print(f"ratio ours / stock:                    {ours / stock:.2f}  (target <= 1.00)")
        print(f"warm rebuild, one post changed:        {warm:.2f} s (median of {args.rounds})")
        print(f"ratio warm / our cold:                 {warm / ours:.2f}  (target <= 0.50)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
