"""The newsletter's build-time work made cheap: cached emails, worker processes, emails
kept in a file rather than in memory, and the shortcuts of the cold path. None of them may
change a byte of what a build writes (each speed piece is switched off by its setting and
the bytes compared), nor let a stale email through."""

import gzip
import os
import pickle
import random
import shutil
import textwrap

import pytest
from conftest import ROOT

from possibility.commands.publish.build import BuildError
from possibility.core.newsletter.html_transform import _fill, absolutize
from possibility.core.newsletter.render_email import EmailTemplates
from possibility.site.newsletter import email_cache, email_pool
from possibility.site.newsletter.email_store import EmailStore

PUBLISHED = ["is-your-career-off-track", "should-your-work-speak-for-itself"]


def post_text(slug, body="A body with enough words to read.", extra=""):
    return (f"Title: Post {slug}\nDate: 2021-05-05 10:00\nSlug: {slug}\n"
            f"Summary: The summary of {slug}.\n{extra}\n{body}\n")


def newsletter_files(site):
    folder = site.output / "newsletter"
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def email_text(site, slug):
    return (site.output / "newsletter" / slug / "email.txt").read_text("utf-8")


@pytest.fixture
def composed(monkeypatch):
    """Slugs of the posts whose email a build composed rather than took from the cache."""
    slugs = []
    real = email_pool.compose

    def spy(post, *args):
        slugs.append(post.slug)
        return real(post, *args)

    monkeypatch.setattr(email_pool, "compose", spy)
    return slugs


def test_a_warm_rebuild_composes_nothing_and_writes_the_same_bytes(site, composed):
    site.build()
    cold = newsletter_files(site)
    assert sorted(composed) == PUBLISHED
    composed.clear()
    site.build()
    assert composed == []
    assert newsletter_files(site) == cold


def test_an_edited_post_alone_is_composed_again(site, composed):
    path = site.write_post("extra.md", post_text("extra"))
    site.build()
    composed.clear()
    path.write_text(post_text("extra", body="A body the author rewrote."), encoding="utf-8")
    site.build()
    assert composed == ["extra"]
    assert "A body the author rewrote." in email_text(site, "extra")


def test_a_post_whose_link_target_moved_is_composed_again(site, composed):
    site.write_post("a.md", post_text("a", body="Read [b]({filename}/posts/b.md)."))
    target = site.write_post("b.md", post_text("b"))
    site.build()
    composed.clear()
    target.write_text(post_text("b").replace("Slug: b", "Slug: b-moved"), encoding="utf-8")
    site.build()
    assert sorted(composed) == ["a", "b-moved"]
    assert "https://www.thepossibilitypractice.com/b-moved/" in email_text(site, "a")


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"SITEURL": "https://staging.example.org"}, "https://staging.example.org/extra/"),
        ({"NEWSLETTER_CONTENT": "summary"}, "The summary of extra."),
        ({"SITESUBTITLE": "A new tagline"}, "A new tagline"),
        ({"DEFAULT_DATE_FORMAT": "%Y-%m-%d"}, "2021-05-05"),
        ({"NEWSLETTER_MAX_SUBJECT": 140}, "Post extra"),
    ],
)
def test_a_setting_every_email_shares_composes_them_all_again(
    site, composed, overrides, expected
):
    site.write_post("extra.md", post_text("extra", body="Only in the body."))
    site.build()
    composed.clear()
    site.build(**overrides)
    assert sorted(composed) == sorted([*PUBLISHED, "extra"])
    assert expected in email_text(site, "extra")


def test_a_changed_theme_template_composes_every_email_again(site, tmp_path, composed):
    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", theme)
    (theme / "templates" / "newsletter").mkdir()
    footer = theme / "templates" / "newsletter" / "footer.txt"
    tags = "*|UNSUB|* *|UPDATE_PROFILE|* *|LIST:ADDRESS|*"
    footer.write_text(f"Version 1 {tags}\n")
    site.build(THEME=str(theme))
    composed.clear()
    footer.write_text(f"Version 2 {tags}\n")
    site.build(THEME=str(theme))
    assert sorted(composed) == PUBLISHED
    assert "Version 2" in email_text(site, PUBLISHED[0])


def test_other_code_composes_every_email_again(site, composed, monkeypatch):
    site.build()
    composed.clear()
    monkeypatch.setattr(email_cache, "CODE", "the fingerprint of other code")
    site.build()
    assert sorted(composed) == PUBLISHED


def test_pelicans_cache_settings_are_followed(site, composed):
    site.build(CACHE_CONTENT=False)
    assert not (site.folder / "cache" / email_cache.CACHE_NAME).exists()
    site.build()
    composed.clear()
    site.build(LOAD_CONTENT_CACHE=False)
    assert sorted(composed) == PUBLISHED


def test_a_gzipped_cache_is_read_whatever_gzip_cache_says_now(site, composed):
    site.build(GZIP_CACHE=True)
    assert (site.folder / "cache" / email_cache.CACHE_NAME).read_bytes()[:2] == b"\x1f\x8b"
    composed.clear()
    site.build(GZIP_CACHE=False)
    assert composed == []


def test_an_unreadable_cache_means_composing_everything_again(site, composed, caplog):
    site.build()
    (site.folder / "cache" / email_cache.CACHE_NAME).write_bytes(b"not a pickle")
    composed.clear()
    site.build()
    assert sorted(composed) == PUBLISHED
    assert "Cannot read the newsletter cache" in caplog.text


def test_a_cached_problem_still_stops_the_build(site, composed):
    site.write_post("bad.md", post_text("bad", extra="Subject: " + "Long " * 31))
    for _ in range(2):
        composed.clear()
        with pytest.raises(BuildError, match="the subject is 154 characters"):
            site.build()
    assert composed == []  # the second time, from the cache


def test_emails_composed_by_worker_processes_are_the_same(site, monkeypatch):
    for number in range(6):
        site.write_post(f"p{number}.md", post_text(f"p{number}", body=f"Body {number}."))
    pools = []

    class CountedPool(email_pool.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(kwargs["mp_context"].get_start_method())
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(email_pool, "ProcessPoolExecutor", CountedPool)
    monkeypatch.setattr(email_pool, "_workers", lambda count: 2)
    site.build(LOAD_CONTENT_CACHE=False, NEWSLETTER_EMAIL_POOL=False)
    assert pools == []
    here = newsletter_files(site)
    site.build(LOAD_CONTENT_CACHE=False)
    assert pools == ["fork"]
    assert newsletter_files(site) == here


def test_every_email_composed_again_without_the_cache_is_the_same(site, composed):
    site.build()
    cached = newsletter_files(site)
    composed.clear()
    site.build(NEWSLETTER_EMAIL_CACHE=False)
    assert sorted(composed) == PUBLISHED
    assert newsletter_files(site) == cached
    composed.clear()
    site.build()  # the cache the switch left alone is still right
    assert composed == []
    assert newsletter_files(site) == cached


@pytest.mark.parametrize("name", ["NEWSLETTER_EMAIL_POOL", "NEWSLETTER_EMAIL_CACHE"])
def test_a_switch_that_is_not_true_or_false_stops_the_build(site, name):
    with pytest.raises(BuildError, match=f"{name} is 'no': write True or False"):
        site.build(**{name: "no"})


def test_a_damaged_cached_email_alone_is_composed_again(site, composed):
    site.build()
    cached = newsletter_files(site)
    path = site.folder / "cache" / email_cache.CACHE_NAME
    store = EmailStore.open(path)
    offset, size, _, _ = next(
        entry for key, entry in store.index.items()
        if store.files(key)["meta.json"].count(b'"slug": "is-your-career-off-track"'))
    store.close()
    data = bytearray(path.read_bytes())
    data[offset + size // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    composed.clear()
    site.build()
    assert composed == ["is-your-career-off-track"]
    assert newsletter_files(site) == cached


def test_the_store_reads_one_email_at_a_time(tmp_path, monkeypatch):
    store = EmailStore.new(tmp_path)
    store.add("a", ("a problem",), pickle.dumps({"meta.json": b"A"}))
    store.add("b", (), gzip.compress(pickle.dumps({"meta.json": b"B", "email.txt": b"b"})))
    store.add("a", (), pickle.dumps({"meta.json": b"other"}))  # one key, one email
    store.finish()
    store.keep_as(tmp_path / "emails")
    store.close()
    assert [p.name for p in tmp_path.iterdir()] == ["emails"]
    reads = []
    real = os.pread
    monkeypatch.setattr(os, "pread", lambda fd, size, at: reads.append(size) or real(fd, size,
                                                                                     at))
    opened = EmailStore.open(tmp_path / "emails")
    assert sorted(opened.keys()) == ["a", "b"] and opened.problems("a") == ("a problem",)
    assert sum(reads) < 200  # the index, no email
    assert opened.files("b") == {"meta.json": b"B", "email.txt": b"b"}
    assert opened.files("a") == {"meta.json": b"A"}
    opened.close()


def test_an_error_in_a_worker_process_stops_the_build_with_its_message(site, monkeypatch):
    for number in range(4):
        site.write_post(f"p{number}.md", post_text(f"p{number}"))
    real, parent = email_pool.compose, os.getpid()

    def failing(post, *args):
        if os.getpid() != parent:
            raise ValueError(f"{post.slug} cannot be composed in process {os.getpid()}")
        return real(post, *args)

    monkeypatch.setattr(email_pool, "compose", failing)
    monkeypatch.setattr(email_pool, "_workers", lambda count: 2)
    with pytest.raises(BuildError, match="cannot be composed in process") as caught:
        site.build()
    assert f"process {parent}" not in str(caught.value)


def test_an_error_while_writing_stops_the_build_with_its_message(site):
    site.output.mkdir()
    (site.output / "newsletter").write_text("a file where the folder goes")
    with pytest.raises(BuildError, match="File exists"):
        site.build("pelicanconf.py")


def test_templates_are_read_once_with_a_themes_overrides_first(tmp_path):
    (tmp_path / "post.txt").write_bytes(b"Theirs\r\n")
    templates = EmailTemplates(tmp_path)
    assert templates.environment.get_template("post.txt").render() == "Theirs\n"
    assert "base.html" in templates.sources
    before = templates.fingerprint
    (tmp_path / "post.txt").write_bytes(b"Changed\n")
    assert EmailTemplates(tmp_path).fingerprint != before


def test_line_filling_gives_what_textwrap_gives():
    rng = random.Random(5)
    pieces = ["a", "bb", "word", "x" * 30, " ", " ", "  ", "\t", "\xa0", "-", "a-b"]
    for _ in range(3000):
        line = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        for width in (5, 20, 76):
            expected = textwrap.wrap(
                line, width=width, break_long_words=False, break_on_hyphens=False
            ) or [""]
            assert _fill(line, width) == expected, (line, width)


def test_a_fragment_link_resolves_against_an_anchor_defined_after_it():
    html = ('<a href="#later">l</a> <a href="#gone">g</a> <a href="  #later">s</a>'
            '<p id="later"></p>')
    assert absolutize(html, "https://s.org/post/") == (
        '<a href="#later">l</a> <a href="https://s.org/post/#gone">g</a> '
        '<a href="  #later">s</a><p id="later"></p>')


def test_a_build_a_later_check_stops_writes_no_email(site):
    """The emails are written once every check of the build has passed, not before."""
    site.write_post("late.md", "Title: Late\nDate: 2020-01-01 10:00\nEvent: no-such-event\n\n"
                    "Text.\n")
    with pytest.raises(BuildError, match="no-such-event"):
        site.build()
    assert not (site.output / "newsletter").exists()
