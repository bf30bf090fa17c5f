"""The email previews in output/newsletter/ stay on the author's machine (DEPLOY_EXCLUDE)."""

from pathlib import Path

import pytest

from possibility.commands.publish.deploy import deploy, deploy_tree
from possibility.commands.publish.progress import no_progress
from possibility.commands.publish.settings import PublishSettingsError, read_settings


def settings_for(environ, **pelican):
    base = {"SITEURL": "https://www.example.org", "OUTPUT_PATH": "/srv/site/output"}
    return read_settings({**base, **pelican}, environ, Path("/srv/site"))


def test_the_newsletter_folder_is_excluded_by_default():
    assert settings_for({}).exclude == ("newsletter",)
    assert settings_for({}, NEWSLETTER_OUTPUT_DIR="emails").exclude == ("emails",)
    assert settings_for({"DEPLOY_EXCLUDE": "drafts, /private/"}).exclude == ("drafts", "private")
    assert settings_for({}, DEPLOY_EXCLUDE=[]).exclude == ()


@pytest.mark.parametrize("value", ["a/b", 7, [".."]])
def test_a_bad_exclude_names_the_setting(value):
    with pytest.raises(PublishSettingsError, match="DEPLOY_EXCLUDE"):
        settings_for({}, DEPLOY_EXCLUDE=value)


def test_deploy_tree_leaves_out_top_level_names_only(tmp_path):
    output = tmp_path / "output"
    (output / "newsletter" / "post").mkdir(parents=True)
    (output / "newsletter" / "post" / "index.html").write_text("email")
    (output / "post" / "newsletter").mkdir(parents=True)
    (output / "post" / "newsletter" / "index.html").write_text("a page about newsletters")
    (output / "index.html").write_text("home")
    with deploy_tree(output, ("newsletter",)) as tree:
        files = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file())
        assert files == ["index.html", "post/newsletter/index.html"]
        assert (tree / "index.html").stat().st_ino == (output / "index.html").stat().st_ino
    assert not tree.exists()
    assert (output / "newsletter" / "post" / "index.html").is_file()
    with deploy_tree(output, ("nothing-here",)) as same:
        assert same == output


def test_rsync_deploys_the_site_without_the_email_previews(production_site, tmp_path):
    target = tmp_path / "www"
    (target / "newsletter" / "old").mkdir(parents=True)
    (target / "newsletter" / "old" / "index.html").write_text("deployed by an older publish")
    settings = settings_for(
        {"DEPLOY_TARGET": "rsync", "DEPLOY_RSYNC_PATH": str(target)},
        OUTPUT_PATH=str(production_site.output),
    )
    assert (production_site.output / "newsletter").is_dir()
    result = deploy(settings, production_site.output, dry_run=False, progress=no_progress)
    assert (target / "should-your-work-speak-for-itself" / "index.html").is_file()
    assert not (target / "newsletter").exists()
    assert "newsletter/old/index.html" in result.deleted
    assert not any(p.name.startswith(".deploy-") for p in production_site.output.parent.iterdir())
