"""A Markdown file Pelican will not read is named at every build, with where it should go."""

import logging

import pytest

LOGGER = "possibility.site.stray_files"
WHERE = "posts go in content/posts/, pages in content/pages/, events in content/events/"


def stray_warnings(caplog):
    return [r.getMessage() for r in caplog.records
            if r.name == LOGGER and r.levelno == logging.WARNING]


@pytest.fixture
def strays(site):
    (site.content / "my-post.md").write_text("Title: My Post\nDate: 2020-01-01\n\nLost.\n")
    (site.content / "drafts").mkdir()
    (site.content / "drafts" / "x.md").write_text("Title: X\nDate: 2020-01-01\n\nLost too.\n")
    (site.content / "images").mkdir(exist_ok=True)  # a STATIC_PATHS folder
    (site.content / "images" / "notes.markdown").write_text("Copied as a file, never read.\n")
    return site


def test_each_stray_markdown_file_is_named_at_every_build_and_the_build_goes_on(strays, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    expected = [
        f"content/drafts/x.md is not read: {WHERE}",
        f"content/images/notes.markdown is not read: {WHERE}",
        f"content/my-post.md is not read: {WHERE}",
    ]
    for settings in ("publishconf.py", "publishconf.py", "pelicanconf.py"):  # cached builds too
        caplog.clear()
        result = strays.build(settings)
        assert stray_warnings(caplog) == expected
        assert result.pages  # a warning, not an error: the site is built
    # The posts and pages that are read are not named.
    assert (strays.output / "should-your-work-speak-for-itself/index.html").is_file()


def test_a_site_without_stray_files_builds_without_a_word(site, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    site.build()
    assert stray_warnings(caplog) == []


def test_the_rules_are_pelicans_own_settings(strays, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    (strays.content / "posts" / "old").mkdir()
    (strays.content / "posts" / "old" / "archived.md").write_text("Title: Old\n\nOld.\n")
    strays.build(ARTICLE_PATHS=["posts", "drafts"], ARTICLE_EXCLUDES=["posts/old"])
    where = ("posts go in content/posts/ or content/drafts/, pages in content/pages/, "
             "events in content/events/")
    assert stray_warnings(caplog) == [
        f"content/images/notes.markdown is not read: {where}",
        f"content/my-post.md is not read: {where}",
        f"content/posts/old/archived.md is not read: {where}",
    ]
