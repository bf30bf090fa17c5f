"""possibility.site.output_sync: builds write in place, leave unchanged files alone and remove
what the site no longer has, ending with exactly what a build into an empty folder makes."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, Site
from pelican.writers import FileOverwriteFailedError

from possibility.commands.publish.build import load_settings
from possibility.site.output_sync.stale import remove_stale, stale_files
from possibility.site.output_sync.writer import ChangedOnlyWriter

POST = """Title: A Short-Lived Post
Date: 2024-03-01 09:00
Slug: short-lived
Tags: only-here
Post-Id: 7c0e7a52-5d6e-4c44-9a55-5a0c1a7e0001

Here today, gone tomorrow. ![A small square](/images/square.png)
"""

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"
)


def tree(folder):
    """{relative path: bytes} of every file under `folder`."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


def mtimes(folder):
    return {
        path.relative_to(folder).as_posix(): path.stat().st_mtime_ns
        for path in folder.rglob("*") if path.is_file()
    }


def test_what_is_stale_is_old_not_current_and_not_retained():
    files = {"a/index.html": 5, "b.html": 5, "new.html": 10, "img/x.png": 5, ".git/HEAD": 1}
    assert stale_files(files, started_ns=10, current={"img/x.png"}, retained={".git"}) == [
        "a/index.html", "b.html"]
    assert stale_files(files, started_ns=1, current=set(), retained=set()) == []


def test_removing_stale_files_removes_the_folders_they_empty(tmp_path):
    (tmp_path / "gone" / "deep").mkdir(parents=True)
    (tmp_path / "gone" / "deep" / "index.html").write_text("old")
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "old.html").write_text("old")
    (tmp_path / "kept" / "index.html").write_text("new")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref")
    os.utime(tmp_path / "kept" / "index.html", ns=(10**19, 10**19))
    removed = remove_stale(tmp_path, started_ns=10**19, current=set(), retained={".git"})
    assert removed == ["gone/deep/index.html", "kept/old.html"]
    assert sorted(tree(tmp_path)) == [".git/HEAD", "kept/index.html"]
    assert not (tmp_path / "gone").exists()


def test_the_writer_leaves_an_identical_file_alone_and_writes_a_changed_one(tmp_path):
    writer = ChangedOnlyWriter(str(tmp_path), settings={})
    same, changed = tmp_path / "same.html", tmp_path / "changed.html"
    same.write_text("<p>été</p>", encoding="utf-8")
    changed.write_text("<p>before</p>", encoding="utf-8")
    before = same.stat()
    with writer._open_w(str(same), "utf-8") as handle:
        handle.write("<p>été</p>")
    with writer._open_w(str(changed), "utf-8") as handle:
        handle.write("<p>after</p>")
    assert (same.stat().st_mtime_ns, same.stat().st_ino) == (before.st_mtime_ns, before.st_ino)
    assert changed.read_text(encoding="utf-8") == "<p>after</p>"
    assert writer.unchanged == {str(same)}


def test_the_writer_keeps_pelicans_rules_for_a_file_written_twice(tmp_path):
    writer = ChangedOnlyWriter(str(tmp_path), settings={})
    path = str(tmp_path / "page.html")
    with writer._open_w(path, "utf-8") as handle:
        handle.write("first")
    with pytest.raises(FileOverwriteFailedError):
        writer._open_w(path, "utf-8")
    with writer._open_w(path, "utf-8", override=True) as handle:
        handle.write("override wins")
    with writer._open_w(path, "utf-8") as handle:  # later writes are dropped
        handle.write("ignored")
    assert (tmp_path / "page.html").read_text() == "override wins"


def test_a_failed_write_leaves_the_old_file(tmp_path):
    writer = ChangedOnlyWriter(str(tmp_path), settings={})
    page = tmp_path / "page.html"
    page.write_text("old")
    with pytest.raises(RuntimeError), writer._open_w(str(page), "utf-8") as handle:
        handle.write("half")
        raise RuntimeError("template failed")
    assert page.read_text() == "old"


def test_rebuilds_in_place_end_with_what_a_fresh_build_makes(tmp_path):
    """Edit a post, add one, remove it again: after each in-place build the output is
    byte for byte what a build into an empty folder makes, and unchanged pages keep
    their mtime."""
    site = Site(tmp_path / "site")
    (site.content / "images").mkdir(exist_ok=True)
    (site.content / "images" / "square.png").write_bytes(PNG)
    site.build()
    (site.output / ".git").mkdir()
    (site.output / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    first = mtimes(site.output)

    post = site.write_post("short-lived.md", POST)
    site.build()
    assert (site.output / "short-lived" / "index.html").is_file()
    assert (site.output / "tag" / "only-here" / "index.html").is_file()
    assert (site.output / "newsletter" / "short-lived" / "meta.json").is_file()
    second = mtimes(site.output)
    assert second["about/index.html"] == first["about/index.html"]
    assert second["images/square.png"] == first["images/square.png"]
    assert second["index.html"] != first["index.html"]
    assert_same_as_a_fresh_build(site, tmp_path / "fresh-1")

    post.unlink()
    site.build()
    for gone in ("short-lived", "tag/only-here", "newsletter/short-lived"):
        assert not (site.output / gone).exists(), gone
    assert (site.output / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (site.output / "images" / "square.png").read_bytes() == PNG
    assert_same_as_a_fresh_build(site, tmp_path / "fresh-2")


def assert_same_as_a_fresh_build(site, folder):
    fresh = Site(folder)
    shutil.rmtree(fresh.content)
    shutil.copytree(site.content, fresh.content)
    fresh.build()
    built = {k: v for k, v in tree(site.output).items() if not k.startswith(".git/")}
    assert built == tree(fresh.output)


def test_a_production_build_after_a_local_one_drops_the_drafts(site):
    (site.content / "images").mkdir(exist_ok=True)  # the post's image (a missing one stops
    (site.content / "images" / "square.png").write_bytes(PNG)  # the build)
    site.write_post("draft.md", POST.replace("Slug: short-lived", "Status: draft\nSlug: wip"))
    site.build("pelicanconf.py")
    assert (site.output / "drafts" / "wip" / "index.html").is_file()
    site.build()
    assert not (site.output / "drafts").exists()
    assert 'href="https://www.thepossibilitypractice.com/contact/"' in site.html(
        "about/index.html")


def test_pruning_can_be_turned_off(site):
    site.build()
    (site.output / "kept-by-hand.html").write_text("mine")
    site.build(OUTPUT_SYNC_PRUNE=False)
    assert (site.output / "kept-by-hand.html").read_text() == "mine"
    site.build()
    assert not (site.output / "kept-by-hand.html").exists()


def test_the_build_says_what_it_wrote_left_and_removed(site):
    first = site.build()
    assert first.output.written and not first.output.unchanged
    assert "about/index.html" in first.output.written
    (site.output / "gone.html").write_text("old")
    again = site.build()
    assert again.output.written == () and "about/index.html" in again.output.unchanged
    assert again.output.removed == ("gone.html",)
    # The numbers add up: the files are the site's pages (written + already right), the
    # email previews (the newsletter's own writer) and the other files; removed apart.
    pages, emails = len(again.pages_unchanged), len(again.email_previews)
    others = len(again.files) - pages - emails
    assert pages > 10 and emails == 2 and others > 0
    assert {p.as_posix() for p in again.pages} == set(again.site_pages) | {
        p.as_posix() for p in again.email_previews}
    assert again.describe() == (
        f"{len(again.files)} files in {site.output}: {pages} pages (0 written, {pages} already "
        f"right), 2 email previews, {others} other files; 1 old file removed")


def test_the_site_is_the_same_built_into_an_emptied_folder_without_output_sync(tmp_path):
    """The plugin is switched off by leaving it out of PLUGINS, with Pelican's own
    DELETE_OUTPUT_DIRECTORY for a clean output: the same bytes either way."""
    # Pelican's signals are global to a process: each plugin set builds in its own.
    def build(output, plugins, *extra):
        subprocess.run(
            [sys.executable, "-m", "pelican", str(ROOT / "content"), "-o", str(output),
             "-s", str(ROOT / "publishconf.py"), "-q", "-e",
             f"CACHE_PATH={json.dumps(str(output) + '-cache')}",
             f"PLUGINS={json.dumps(plugins)}", *extra],
            check=True, cwd=ROOT,
        )
        return tree(output)

    plugins = load_settings(ROOT / "publishconf.py")["PLUGINS"]
    plugin = "possibility.site.output_sync"
    assert plugin in plugins
    (tmp_path / "without").mkdir()
    (tmp_path / "without" / "stale.html").write_text("from an earlier build")
    synced = build(tmp_path / "synced", plugins)
    emptied = build(tmp_path / "without", [p for p in plugins if p != plugin],
                    "DELETE_OUTPUT_DIRECTORY=true")
    assert synced == emptied
    assert "newsletter/should-your-work-speak-for-itself/meta.json" in synced


def test_a_build_into_an_empty_folder_looks_for_nothing_stale(site, monkeypatch):
    from possibility.site.output_sync import stale

    walked = []
    output_files = stale.output_files
    monkeypatch.setattr(stale, "output_files", lambda *args: walked.append(args)
                        or output_files(*args))
    site.build()
    assert walked == []  # a fresh clone's build: nothing there before it
    (site.output / "gone.html").write_text("old")
    assert site.build().output.removed == ("gone.html",)
    assert len(walked) == 1
