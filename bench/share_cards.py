"""Time drawing share cards, ours against another checkout's, side by side.

    .venv/bin/python -m bench.share_cards [--cards 300] [--rounds 5] [--against FOLDER ...]

Each round draws the same cards (the corpus's titles, the site's name and tagline) with
`possibility.site.share_cards.render.render_card` in a fresh process per checkout (its
package first on PYTHONPATH, e.g. a `git worktree` of an older commit), in one process
after the other, and prints the milliseconds per card and the bytes per card; then the
median of the rounds. One core, no cache: what a cold build pays per card.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DRAW = """
import json, sys, time
from possibility.site.share_cards.render import render_card
titles = json.loads(sys.argv[1])
render_card("The Possibility Practice", "Warm up", "Cultivate curiosity. Create possibility.")
started, size = time.perf_counter(), 0
for title in titles:
    size += len(render_card("The Possibility Practice", title,
                            "Cultivate curiosity. Create possibility."))
print(json.dumps([(time.perf_counter() - started) / len(titles), size / len(titles)]))
"""

WORDS = ("Should Your Work Speak For Itself? Curiosity Before Strategy: Leading Through "
         "Change, Naïve Questions & Difficult Conversations With Possibility").split()


def titles(count):
    """`count` titles of 3 to 14 words, the same on every run."""
    return [" ".join(WORDS[(n * 7 + i) % len(WORDS)] for i in range(3 + n % 12))
            for n in range(count)]


def draw(checkout, names):
    """(seconds per card, bytes per card) of drawing `names` with `checkout`'s code."""
    result = subprocess.run(
        [sys.executable, "-c", DRAW, json.dumps(names)], cwd=checkout, check=True,
        capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(checkout / "plugins")})
    return json.loads(result.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", type=Path, action="append", default=[],
                        metavar="FOLDER", help="another checkout of the project")
    args = parser.parse_args()
    checkouts = [ROOT, *(folder.resolve() for folder in args.against)]
    names = titles(args.cards)
    runs = {checkout: [] for checkout in checkouts}
    for round_number in range(args.rounds):
        # Each round in another order, so that none is always drawn first.
        turned = checkouts[round_number % len(checkouts):] + checkouts[:round_number
                                                                      % len(checkouts)]
        for checkout in turned:
            runs[checkout].append(draw(checkout, names))
        print(f"round {round_number + 1}: " + ", ".join(
            f"{checkout.name} {runs[checkout][-1][0] * 1000:.2f} ms" for checkout in checkouts),
            flush=True)
    print()
    print(f"{args.cards} cards, one core, medians of {args.rounds} rounds")
    ours = statistics.median(seconds for seconds, _ in runs[ROOT])
    for checkout in checkouts:
        seconds = statistics.median(s for s, _ in runs[checkout])
        size = statistics.median(b for _, b in runs[checkout])
        print(f"{str(checkout):<40} {seconds * 1000:6.2f} ms a card ({seconds / ours:.2f}x "
              f"ours), {size / 1024:5.1f} KiB a card")


if __name__ == "__main__":
    main()
