"""`invoke new-post`: any title gives a short, clean slug; the date is the site's time; an
existing file is named, never overwritten."""

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from publish_helpers import copy_project

from possibility.commands.new_post import (
    MAX_SLUG_LENGTH,
    NewPostError,
    PostExistsError,
    choose_slug,
    slugify,
    write_new_post,
)

SITE_ZONE = ZoneInfo("America/New_York")  # pelicanconf.py's TIMEZONE
LONG_TITLE = ("How Curious Leaders Turn Difficult Conversations Into Possibility, "
              "One Question At A Time: ") * 3 + "What Comes Next"  # 288 characters


# The slug


@pytest.mark.parametrize("title", [
    LONG_TITLE,
    "word " * 200,
    "Supercalifragilisticexpialidocious-" * 5,
    "a-" * 100,
    "Café " * 40,
])
def test_a_slug_is_at_most_80_characters_cut_between_words(title):
    full = slugify(title, max_length=10_000)
    slug = slugify(title)
    assert 0 < len(slug) <= MAX_SLUG_LENGTH
    assert not slug.endswith("-") and not slug.startswith("-")
    assert full.startswith(slug)
    assert full[len(slug)] == "-"  # cut where a word ends
    next_word_end = full.find("-", len(slug) + 1)
    assert len(full if next_word_end == -1 else full[:next_word_end]) > MAX_SLUG_LENGTH


def test_the_288_character_title_cuts_at_the_last_word_that_fits():
    assert len(LONG_TITLE) == 288
    assert slugify(LONG_TITLE) == (  # 78 characters: "-at" would make 81
        "how-curious-leaders-turn-difficult-conversations-into-possibility-one-question"
    )


def test_a_short_slug_is_kept_whole_and_one_long_word_is_cut_at_80():
    assert slugify("Should Your Work Speak For Itself?") == "should-your-work-speak-for-itself"
    exactly = "-".join(["abcdefghi"] * 8)  # 79 characters
    assert slugify(exactly + "x") == exactly + "x"
    assert slugify("x" * 300) == "x" * 80


@pytest.mark.parametrize(("title", "slug"), [
    ("Café", "cafe"),
    ("Naïve", "naive"),
    ("Nai\u0308ve Cafe\u0301", "naive-cafe"),  # accents as combining marks
    ("北京 Office", "bei-jing-office"),
    ('"Café" & <Leadership>: Naïve questions', "cafe-leadership-naive-questions"),
    ("Straße, Ørsted and Æsop", "strasse-orsted-and-aesop"),
    ("Don’t Stop: It’s 2.0", "dont-stop-its-20"),
    ("Élan vital!", "elan-vital"),
])
def test_accents_and_punctuation_are_transliterated(title, slug):
    assert slugify(title) == slug


def test_emoji_are_dropped():
    assert slugify("🚀 Launch 🎉 Your Career 💼") == "launch-your-career"
    assert slugify("Growth🌱Mindset") == "growth-mindset"


@pytest.mark.parametrize("title", ["🚀🎉", "!!! ???", "—", "   "])
def test_a_title_with_nothing_to_make_a_slug_of_asks_for_slug(title):
    assert slugify(title) == ""
    with pytest.raises(NewPostError, match="pass one with --slug, for example --slug my-new-post"):
        choose_slug(title)
    assert choose_slug(title, "Launch Day") == "launch-day"
    with pytest.raises(NewPostError, match="--slug '🚀' has no letters or digits"):
        choose_slug(title, "🚀")


# Writing the file


def test_the_date_is_the_site_time_of_the_moment(tmp_path):
    moment = datetime(2026, 11, 24, 14, 30, tzinfo=ZoneInfo("UTC"))  # 09:30 in New York
    path = write_new_post(tmp_path, "Curiosity", author="K", category="C", post_id="x",
                          timezone="America/New_York", now=moment)
    assert "\nDate: 2026-11-24 09:30\n" in path.read_text(encoding="utf-8")


def test_an_existing_file_is_named_and_left_untouched(tmp_path):
    folder = tmp_path / "content" / "posts"
    first = write_new_post(folder, "Curiosity", author="K", category="C", post_id="x",
                           timezone="America/New_York")
    (folder / "curiosity-2.md").write_text("taken")
    before = first.read_bytes()
    with pytest.raises(PostExistsError) as error:
        write_new_post(folder, "Curiosity!", author="K", category="C", post_id="y",
                       timezone="America/New_York", project=tmp_path)
    assert str(error.value) == (
        "content/posts/curiosity.md already exists: choose another title or pass "
        "--slug curiosity-3"
    )
    assert first.read_bytes() == before


# The real task, in a copy of the project, on machines whose clocks run in other zones


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path / "project")


def invoke(folder, *args, tz="UTC"):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SITEURL")}
    done = subprocess.run(
        [sys.executable, "-m", "invoke", *args], cwd=folder, env={**environ, "TZ": tz},
        capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False,
    )
    return done.returncode, done.stdout, done.stderr


def minutes(start, end):
    """Every 'YYYY-MM-DD HH:MM' from `start` to `end` (site time)."""
    moment = start.replace(second=0, microsecond=0)
    found = []
    while moment <= end:
        found.append(f"{moment:%Y-%m-%d %H:%M}")
        moment += timedelta(minutes=1)
    return found


@pytest.mark.parametrize("tz", ["UTC", "Asia/Tokyo"])
def test_new_post_is_dated_now_in_new_york_whatever_the_machine_clock(project, tz):
    before = datetime.now(SITE_ZONE)
    code, out, err = invoke(project, "new-post", '"Café" & <Leadership>: Naïve questions 🚀',
                            tz=tz)
    after = datetime.now(SITE_ZONE)
    assert code == 0, out + err
    assert out.strip() == ("Wrote content/posts/cafe-leadership-naive-questions.md "
                           "(Status: draft). Preview it with: invoke livereload")
    text = (project / "content/posts/cafe-leadership-naive-questions.md").read_text()
    assert text.startswith('Title: "Café" & <Leadership>: Naïve questions 🚀\n')
    date = re.search(r"^Date: (.+)$", text, re.MULTILINE).group(1)
    assert date in minutes(before, after)  # now, in New York (not in the future)

    # Published at once (Status: draft removed), the production build has it: not future.
    post = project / "content/posts/cafe-leadership-naive-questions.md"
    post.write_text(text.replace("Status: draft\n", ""))
    code, out, err = invoke(project, "preview", tz=tz)
    assert code == 0, out + err
    assert (project / "output/cafe-leadership-naive-questions/index.html").is_file()


def test_an_existing_file_fails_with_its_name_and_the_fix(project):
    post = project / "content/posts/should-your-work-speak-for-itself.md"
    before = post.read_bytes()
    code, out, err = invoke(project, "new-post", "Should Your Work Speak For Itself?")
    assert code == 1
    assert err == ("content/posts/should-your-work-speak-for-itself.md already exists: "
                   "choose another title or pass --slug should-your-work-speak-for-itself-2\n")
    assert "Errno" not in out + err and "Traceback" not in out + err
    assert post.read_bytes() == before

    code, out, err = invoke(project, "new-post", "Should Your Work Speak For Itself?",
                            "--slug", "should-your-work-speak-for-itself-2")
    assert code == 0, out + err
    text = (project / "content/posts/should-your-work-speak-for-itself-2.md").read_text()
    assert "\nSlug: should-your-work-speak-for-itself-2\n" in text
    assert post.read_bytes() == before


def test_a_288_character_title_works(project):
    code, out, err = invoke(project, "new-post", LONG_TITLE)
    assert code == 0, out + err
    slug = "how-curious-leaders-turn-difficult-conversations-into-possibility-one-question"
    assert f"Wrote content/posts/{slug}.md" in out
    text = (project / f"content/posts/{slug}.md").read_text()
    assert f"Title: {LONG_TITLE}\n" in text and f"\nSlug: {slug}\n" in text


def test_an_emoji_title_asks_for_slug_and_works_with_it(project):
    posts_before = sorted(path.name for path in (project / "content/posts").iterdir())
    code, out, err = invoke(project, "new-post", "🚀🎉")
    assert code == 1
    assert err == ("the title '🚀🎉' gives an empty slug (it has no letters or digits to make "
                   "the post's address from): pass one with --slug, for example "
                   "--slug my-new-post\n")
    assert sorted(path.name for path in (project / "content/posts").iterdir()) == posts_before
    code, out, err = invoke(project, "new-post", "🚀🎉", "--slug", "launch-day")
    assert code == 0, out + err
    assert "Title: 🚀🎉\n" in (project / "content/posts/launch-day.md").read_text()
