"""A synthetic but realistic corpus: N posts shaped like The Possibility Practice's."""

import random
import uuid
from datetime import datetime, timedelta
from pathlib import Path

CATEGORIES = ["Executive Coaching", "Career", "Leadership", "Relationships", "Teams"]
TAGS = [
    "relationships", "career", "derailment", "books", "feedback", "promotion", "teams",
    "listening", "curiosity", "possibility", "conflict", "delegation", "influence",
    "presence", "strategy", "networking", "transitions", "trust", "habits", "coaching",
]
WORDS = (
    "work relationships people career coaching team promotion skills manager executive "
    "curiosity possibility growth trust listening colleagues clients change learn success "
    "conversation feedback strengths gaps role technical leadership influence practice"
).split()


def _sentence(rng, low=8, high=22):
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng):
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


def post_text(number, rng, start):
    title = f"{_sentence(rng, 3, 7)[:-1]} {number}"
    date = start + timedelta(days=number, hours=rng.randint(0, 10))
    tags = ", ".join(rng.sample(TAGS, 3))
    body = []
    for section in range(rng.randint(3, 5)):
        body.append(f"## {_sentence(rng, 3, 6)[:-1]}\n")
        body.extend(_paragraph(rng) + "\n" for _ in range(rng.randint(2, 4)))
        if section == 1:
            body.append("\n".join(f"{i}. {_sentence(rng, 3, 8)}" for i in range(1, 7)) + "\n")
        if section == 2:
            body.append(f"> {_sentence(rng)}\n")
            previous = f"{{filename}}/posts/post-{max(number - 1, 0)}.md"
            body.append(f"Read [the previous post]({previous}).\n")
    return (
        f"Title: {title}\n"
        f"Date: {date:%Y-%m-%d %H:%M}\n"
        f"Author: Karen Steinberg\n"
        f"Category: {rng.choice(CATEGORIES)}\n"
        f"Tags: {tags}\n"
        f"Slug: post-{number}\n"
        f"Post-Id: {uuid.UUID(int=rng.getrandbits(128), version=4)}\n"
        f"Summary: {_sentence(rng, 15, 30)}\n\n" + "\n".join(body)
    )


def write_corpus(folder, count, seed=1):
    """Write `count` posts into folder/posts and the site's real pages into folder/pages."""
    rng = random.Random(seed)
    posts = Path(folder) / "posts"
    posts.mkdir(parents=True, exist_ok=True)
    start = datetime(2015, 1, 1, 9, 0)
    for number in range(count):
        (posts / f"post-{number}.md").write_text(post_text(number, rng, start), encoding="utf-8")
    return posts
