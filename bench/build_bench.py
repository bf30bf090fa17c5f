"""Time our full production build against stock Pelican, and what each speed piece saves.

    .venv/bin/python -m bench.build_bench [--posts 1000] [--rounds 5] [--pieces a,b]
                                          [--set NAME=VALUE ...] [--against FOLDER ...]

Stock Pelican is what `pelican-quickstart` writes with its defaults (theme notmyidea,
pagination 10, the quickstart's publishconf: Atom feeds on). All builds run as `pelican`
subprocesses on the same synthetic corpus. Each round builds, one after the other: stock,
ours with every piece, and ours with each piece off in turn, cold (no cache folder at all:
no content cache, no email cache, no share card or image; an empty output folder, as on a
fresh clone); then, after one post changed, a warm rebuild of ours with every piece and
with each piece off that can matter warm (all the caches and the last build's output in
place, each series in its own folders). `--set` gives every build of ours a setting more
(pelican's `-e`, VALUE in JSON), e.g. `--set SHARE_CARDS=false` to leave a feature out.
`--against` (one or more) builds another checkout of the project too (a `git worktree` of an
older commit, with its own publishconf.py, plugins and pages), cold and warm, in the same
rounds: how a change moved the ratios, measured side by side.

A piece is switched off by its one setting, or by leaving its plugin out of PLUGINS (`-e` on
pelican's command line):

    markdown_pool       MARKDOWN_POOL = False
    email_pool          NEWSLETTER_EMAIL_POOL = False
    email_cache         NEWSLETTER_EMAIL_CACHE = False
    card_drawing        SHARE_CARDS_BACKGROUND = False
    output_sync         PLUGINS without possibility.site.output_sync, and
                        DELETE_OUTPUT_DIRECTORY = True (what builds clean output without it)
    fixed_urls          PLUGINS without possibility.site.fixed_urls

What a piece saves is (its build off - ours) / ours, taken in each round and the median
printed. Each build's peak memory is the largest resident set of its processes (the
`pelican` process and the workers it forks: `ru_maxrss` of its wait4), and its CPU time
their user and system time (the same wait4): steadier than the wall clock when other work
takes a core from a build that uses two. Machines are
noisy: only ratios measured side by side in one run mean anything.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.corpus import write_corpus
from possibility.commands.publish.build import load_settings

ROOT = Path(__file__).resolve().parent.parent
PELICAN = [sys.executable, "-m", "pelican"]
OURS_CONF = ROOT / "publishconf.py"

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


@dataclass(frozen=True)
class Piece:
    name: str
    switch: str  # how it is turned off, as printed
    warm: bool  # whether a warm rebuild (one post changed) can use it

    def settings(self, plugins):
        """The -e settings that build ours without this piece."""
        if self.name == "output_sync":
            return {"PLUGINS": _without(plugins, "possibility.site.output_sync"),
                    "DELETE_OUTPUT_DIRECTORY": True}
        if self.name == "fixed_urls":
            return {"PLUGINS": _without(plugins, "possibility.site.fixed_urls")}
        return {self.switch.split(" = ")[0]: False}


PIECES = (
    Piece("markdown_pool", "MARKDOWN_POOL = False", warm=False),
    Piece("email_pool", "NEWSLETTER_EMAIL_POOL = False", warm=False),
    Piece("email_cache", "NEWSLETTER_EMAIL_CACHE = False", warm=True),
    Piece("card_drawing", "SHARE_CARDS_BACKGROUND = False", warm=False),
    Piece("output_sync", "not in PLUGINS", warm=True),
    Piece("fixed_urls", "not in PLUGINS", warm=True),
)


def _without(plugins, plugin):
    if plugin not in plugins:
        raise SystemExit(f"{plugin} is not in publishconf.py's PLUGINS: nothing to switch off")
    return [p for p in plugins if p != plugin]


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mib: float  # the largest resident set of the build's processes
    cpu_seconds: float  # user + system time of the build's processes


def run_pelican(content, output, settings_file, settings=None, checkout=ROOT):
    """Build `content` into `output` with `checkout`'s code; the time and peak memory."""
    extra = []
    if settings:
        extra = ["-e", *(f"{name}={json.dumps(value)}" for name, value in settings.items())]
    started = time.perf_counter()
    process = subprocess.Popen(
        [*PELICAN, str(content), "-o", str(output), "-s", str(settings_file), "-q", *extra],
        cwd=checkout, env={**os.environ, "SITEURL": "https://www.thepossibilitypractice.com",
                           "PYTHONPATH": str(checkout / "plugins")},  # its own package first
        stdout=subprocess.DEVNULL,  # its "Done: ..." line
    )
    # wait4's ru_maxrss: the largest of the process and the children it waited for
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"pelican failed ({process.returncode}) building {output}")
    return Run(seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)


@dataclass(frozen=True)
class Checkout:
    """Another checkout of the project (`--against`), built from content of its own."""
    folder: Path
    content: Path

    @property
    def name(self):
        return f"against {self.folder.name}"


def write_sites(work, posts, against=()):
    """(ours, stock, [Checkout]): the same posts; each with its own pages, stock's without
    our templates."""
    content = work / "content"
    write_corpus(content, posts)
    others = []
    for number, folder in enumerate(against):
        other = Checkout(folder, work / f"against-{number}")
        shutil.copytree(content, other.content)
        _add_pages(other.content, folder)
        others.append(other)
    _add_pages(content, ROOT)
    stock_content = work / "stock-content"
    shutil.copytree(content, stock_content)
    for page in (stock_content / "pages").glob("*.md"):
        lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
        page.write_text("".join(x for x in lines if not x.startswith("Template:")))
    return content, stock_content, others


def _add_pages(content, checkout):
    shutil.copytree(checkout / "content" / "pages", content / "pages")
    for extra in checkout.joinpath("content").glob("*.json"):
        shutil.copy(extra, content / extra.name)


def _name(piece):
    return piece if isinstance(piece, str) else piece.name if piece else "ours"


def _ratios(other, cold, warm):
    last, stock = cold[other.name][-1].seconds, cold["stock"][-1].seconds
    return (f"{other.name} {last:.2f} s (ratio {last / stock:.2f}), warm "
            f"{warm[other.name][-1].seconds:.2f} s")


def _turned(series, by):
    by %= len(series)
    return series[by:] + series[:by]


def median(values):
    return statistics.median(values) if values else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pieces", default=",".join(p.name for p in PIECES),
                        help="comma-separated pieces to switch off, or 'none' (default: all: "
                             + ", ".join(p.name for p in PIECES) + ")")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for every build of ours (VALUE in JSON)")
    parser.add_argument("--against", type=Path, metavar="FOLDER", action="append", default=[],
                        help="another checkout of the project (a git worktree) to build too")
    args = parser.parse_args()
    try:
        extra = {name: json.loads(value)
                 for name, _, value in (item.partition("=") for item in args.set)}
    except ValueError as exc:
        parser.error(f"--set wants NAME=VALUE with VALUE in JSON: {exc}")
    names = [] if args.pieces == "none" else [n.strip() for n in args.pieces.split(",")]
    unknown = set(names) - {p.name for p in PIECES}
    if unknown:
        parser.error(f"unknown pieces {', '.join(sorted(unknown))}")
    pieces = [p for p in PIECES if p.name in names]
    plugins = load_settings(OURS_CONF)["PLUGINS"]

    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        against = [folder.resolve() for folder in args.against]
        content, stock_content, others = write_sites(work, args.posts, against)
        stock_conf = work / "stockconf.py"
        stock_conf.write_text(STOCK_CONF)

        def build(series, cold, off=None):
            cache = work / f"cache-{series}"
            if cold:  # as on a fresh clone: no cache of any kind
                shutil.rmtree(cache, ignore_errors=True)
            if isinstance(off, Checkout):
                return run_pelican(off.content, work / f"out-{series}",
                                   off.folder / "publishconf.py",
                                   {"PATH": str(off.content), "CACHE_PATH": str(cache)},
                                   checkout=off.folder)
            settings = {"PATH": str(content), "CACHE_PATH": str(cache), **extra}
            settings.update(off.settings(plugins) if off else {})
            return run_pelican(content, work / f"out-{series}", OURS_CONF, settings)

        # Each warm series has its own output folder and caches, built once beforehand.
        warm_series = [None] + [p for p in pieces if p.warm] + others
        for piece in warm_series:
            build(f"warm-{_name(piece)}", cold=False, off=piece)
        changed = [folder / "posts" / "post-7.md"
                   for folder in [content, *(other.content for other in others)]]

        cold, warm = {}, {}  # series name -> [Run per round]
        cold_series = ["stock", None, *pieces, *others]
        for round_number in range(args.rounds):
            for folder in work.glob("out-cold-*"):
                shutil.rmtree(folder)
            shutil.rmtree(work / "stock", ignore_errors=True)
            # Each round in another order, so that none is always built last (or first).
            for piece in _turned(cold_series, round_number):
                if piece == "stock":
                    run = run_pelican(stock_content, work / "stock", stock_conf)
                else:
                    run = build(f"cold-{_name(piece)}", cold=True, off=piece)
                cold.setdefault(_name(piece), []).append(run)
            for post in changed:
                post.write_text(post.read_text() + f"\nOne more sentence, {round_number}.\n")
            for piece in _turned(warm_series, round_number):
                warm.setdefault(_name(piece), []).append(
                    build(f"warm-{_name(piece)}", cold=False, off=piece))
            stock, ours, ours_warm = cold["stock"][-1], cold["ours"][-1], warm["ours"][-1]
            print(
                f"round {round_number + 1}: stock {stock.seconds:.2f} s, ours "
                f"{ours.seconds:.2f} s (ratio {ours.seconds / stock.seconds:.2f}), warm "
                f"{ours_warm.seconds:.2f} s (ratio {ours_warm.seconds / ours.seconds:.2f}); "
                + "; ".join([f"{p.name} off {cold[p.name][-1].seconds:.2f} s"
                             + (f" / warm {warm[p.name][-1].seconds:.2f} s" if p.warm else "")
                             for p in pieces] + [_ratios(o, cold, warm) for o in others]),
                flush=True,
            )
        report(args, work, pieces, others, cold, warm)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(args, work, pieces, others, cold, warm):
    rounds = args.rounds
    seconds = {name: median([r.seconds for r in runs]) for name, runs in cold.items()}
    peak = {name: median([r.peak_mib for r in runs]) for name, runs in cold.items()}
    stock, ours = seconds["stock"], seconds["ours"]
    cpu = {name: median([r.cpu_seconds for r in runs]) for name, runs in cold.items()}

    def paired(name):  # the median of the rounds' ratios to stock
        return median([run.seconds / base.seconds
                       for run, base in zip(cold[name], cold["stock"], strict=True)])
    ours_warm = median([r.seconds for r in warm["ours"]])
    pages = sum(1 for _ in (work / "out-cold-ours").rglob("*.html"))
    print()
    print(f"posts: {args.posts}; our site: {pages} HTML pages; medians of {rounds} rounds")
    if args.set:
        print(f"every build of ours with: {' '.join(args.set)}")
    print(f"stock Pelican (quickstart, notmyidea): {stock:.2f} s")
    print(f"our production build:                  {ours:.2f} s")
    print(f"ratio ours / stock:                    {ours / stock:.2f}  (target <= 1.00; "
          f"median of the rounds' ratios {paired('ours'):.2f})")
    print(f"warm rebuild, one post changed:        {ours_warm:.2f} s")
    print(f"ratio warm / our cold:                 {ours_warm / ours:.2f}  (target <= 0.50)")
    print(f"peak memory, largest process: stock {peak['stock']:.0f} MiB, ours "
          f"{peak['ours']:.0f} MiB, ratio {peak['ours'] / peak['stock']:.2f}  (target <= 1.50)")
    print(f"CPU time, cold (user + system, every process of the build): stock "
          f"{cpu['stock']:.2f} s, ours {cpu['ours']:.2f} s, ratio {cpu['ours'] / cpu['stock']:.2f}")
    for other in others:
        name = other.name
        other_warm = median([r.seconds for r in warm[name]])
        print(f"{name} ({other.folder}): cold {seconds[name]:.2f} s, ratio to stock "
              f"{seconds[name] / stock:.2f} (ours {ours / stock:.2f}; rounds' median "
              f"{paired(name):.2f}, ours {paired('ours'):.2f}); warm {other_warm:.2f} s, warm / "
              f"its cold {other_warm / seconds[name]:.2f} (ours {ours_warm / ours:.2f}); peak "
              f"{peak[name]:.0f} MiB; CPU {cpu[name]:.2f} s (ours {cpu['ours']:.2f} s)")
    if not pieces:
        return
    print()
    print("what each piece saves: its build off, and (off - ours) / ours, the median of "
          "the rounds' ratios")
    header = (f"{'piece':<18} {'off by':<37} {'cold off':>9} {'saves':>7} "
              f"{'warm off':>9} {'saves':>7} {'peak':>8}")
    print(header)
    print("-" * len(header))

    def saving(series, name):
        ratios = [off.seconds / all_on.seconds - 1
                  for off, all_on in zip(series[name], series["ours"], strict=True)]
        return f"{median(ratios) * 100:+6.1f}%"

    print(f"{'(ours, all on)':<18} {'':<37} {ours:>7.2f} s {'':>7} {ours_warm:>7.2f} s "
          f"{'':>7} {peak['ours']:>4.0f} MiB")
    for piece in pieces:
        warm_off = warm_saves = "—"
        if piece.warm:
            warm_off = f"{median([r.seconds for r in warm[piece.name]]):.2f} s"
            warm_saves = saving(warm, piece.name)
        print(f"{piece.name:<18} {piece.switch:<37} {seconds[piece.name]:>7.2f} s "
              f"{saving(cold, piece.name):>7} {warm_off:>9} {warm_saves:>7} "
              f"{peak[piece.name]:>4.0f} MiB")


if __name__ == "__main__":
    main()
