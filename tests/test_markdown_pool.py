"""front_matter/markdown_pool: posts converted on every core give what a serial read gives."""

import logging
import os
import signal

import pytest
from conftest import ROOT, Site
from pelican.readers import MarkdownReader

from possibility.commands.publish.build import load_settings
from possibility.common import SettingsError
from possibility.core.text import summary_html
from possibility.site.front_matter import CheckedMarkdownReader
from possibility.site.front_matter.links import LINKS_KEY
from possibility.site.front_matter.markdown_pool import MarkdownPool

POST = """Title: Post number {n}
Date: 2024-01-{day:02d} 09:00
Category: Careers
Tags: one, two{extra}
Summary: The *{n}th* summary.
Post-Id: 6f1c1f0e-1111-4c44-9a55-5a0c1a7e{n:04d}

## Part {n}

Some text with a [link](https://example.org/{n}) and a list:

1. first
2. second
"""


def write_posts(folder, count):
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"post-{n}.md"
        path.write_text(POST.format(n=n, day=n % 28 + 1, extra=""), encoding="utf-8")
        paths.append(str(path))
    return paths


def tree(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_workers_give_each_file_what_a_serial_read_gives(tmp_path):
    """The reader with a pool returns, file by file, what it returns without one, and that
    is what Pelican's own reader (a new Markdown instance per file) returns, but the
    Summary, whose HTML is the rule's."""
    settings = load_settings(ROOT / "publishconf.py", {"PATH": str(tmp_path)})
    paths = write_posts(tmp_path / "posts", 40)
    with open(paths[5], "a", encoding="utf-8") as handle:  # state a reset must clear
        handle.write("\nA note[^1] and an ABBR.\n\n[^1]: The note.\n*[ABBR]: An abbreviation\n")
    missing = str(tmp_path / "missing.md")
    pool = MarkdownPool.start(settings, paths + [missing])
    assert pool is not None
    try:
        pooled, serial = CheckedMarkdownReader(settings), CheckedMarkdownReader(settings)
        pooled.pool = pool
        pelicans = MarkdownReader(settings)
        for path in reversed(paths):  # in any order Pelican asks
            content, metadata = pooled.read(path)
            assert (content, metadata) == serial.read(path)
            expected_content, expected = pelicans.read(path)
            assert content == expected_content
            written = open(path, encoding="utf-8").read().split("Summary: ")[1].split("\n")[0]
            assert metadata.pop("summary") == str(summary_html(written)) != expected.pop("summary")
            assert {k: v for k, v in metadata.items() if k in expected} == expected
            assert set(metadata) - set(expected) == {"word_count", LINKS_KEY}
        assert pool.take(missing) is None  # read again by the build, error and all
        assert pool.take(paths[0]) is None  # handed over once
    finally:
        pool.close()


def test_a_few_files_are_read_serially(tmp_path):
    settings = load_settings(ROOT / "publishconf.py", {"PATH": str(tmp_path)})
    assert MarkdownPool.start(settings, write_posts(tmp_path, 5)) is None


def test_a_workers_warning_reaches_the_builds_log(tmp_path, caplog):
    settings = load_settings(ROOT / "publishconf.py", {"PATH": str(tmp_path)})
    paths = write_posts(tmp_path, 40)
    text = POST.format(n=3, day=3, extra="").replace("Category:", "Slug: a\nSlug: b\nCategory:")
    (tmp_path / "post-3.md").write_text(text, encoding="utf-8")
    pool = MarkdownPool.start(settings, paths)
    try:
        with caplog.at_level(logging.WARNING):
            for path in paths:
                pool.take(path)
    finally:
        pool.close()
    assert any("Duplicate definition of `slug`" in r.getMessage() for r in caplog.records)


def test_a_site_built_on_every_core_is_the_site_built_serially(tmp_path, monkeypatch):
    started = []
    start = MarkdownPool.start.__func__
    monkeypatch.setattr(MarkdownPool, "start", classmethod(
        lambda cls, *args: started.append(start(cls, *args)) or started[-1]))
    parallel = Site(tmp_path / "parallel")
    write_posts(parallel.content / "posts", 40)
    parallel.build()
    assert [pool is not None for pool in started] == [True, False]  # posts; the 5 pages
    serial = Site(tmp_path / "serial")
    write_posts(serial.content / "posts", 40)
    started.clear()
    serial.build(MARKDOWN_POOL=False)
    assert started == [None, None]
    assert tree(parallel.output) == tree(serial.output)
    assert "Post number 39" in parallel.html("post-number-39/index.html")


def test_markdown_pool_must_be_true_or_false(tmp_path):
    settings = load_settings(ROOT / "publishconf.py", {"PATH": str(tmp_path),
                                                       "MARKDOWN_POOL": "yes"})
    with pytest.raises(SettingsError, match="MARKDOWN_POOL is 'yes': write True or False"):
        MarkdownPool.start(settings, write_posts(tmp_path, 40))


def test_a_worker_that_dies_leaves_the_rest_to_the_build(tmp_path, caplog):
    settings = load_settings(ROOT / "publishconf.py", {"PATH": str(tmp_path)})
    paths = write_posts(tmp_path, 200)
    pool = MarkdownPool.start(settings, paths)
    try:
        assert pool.take(paths[0]) is not None
        for process in list(pool._executor._processes.values()):
            os.kill(process.pid, signal.SIGKILL)
        with caplog.at_level(logging.WARNING):
            taken = [pool.take(path) for path in paths[1:]]
    finally:
        pool.close()
    assert taken[-1] is None  # read by the build, no hang
    assert any("Reading posts on every core stopped" in r.getMessage() for r in caplog.records)
