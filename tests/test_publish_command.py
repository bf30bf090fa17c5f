"""`invoke publish` as an author runs it: the real task in a copy of the project, on defaults."""

import io
import os
import subprocess
import sys

import pytest
from publish_helpers import NEW_POST, copy_project, git
from rich.console import Console

from possibility.commands.publish.build import build_site, load_settings
from possibility.commands.publish.command import is_interactive, run_publish
from possibility.commands.send import baseline
from possibility.core.newsletter.settings import read_settings as newsletter_settings


@pytest.fixture
def project(tmp_path):
    """A copy of this project as a fresh git checkout, its posts baselined, one post new."""
    folder = copy_project(tmp_path / "project", git_init=True)
    settings_file = folder / "publishconf.py"
    overrides = {"CACHE_PATH": str(tmp_path / "cache")}
    result = build_site(settings_file, overrides)
    baseline(result.output_path, newsletter_settings(load_settings(settings_file, overrides)))
    git(folder, "add", ".")
    git(folder, "commit", "--quiet", "-m", "the site")
    (folder / "content" / "posts" / "curiosity-before-strategy.md").write_text(NEW_POST)
    return folder


def invoke_publish(folder):
    """`invoke publish` in `folder` as a newcomer runs it: no settings, no secrets, no terminal."""
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("DEPLOY_", "PUBLISH_", "MAILCHIMP_", "AWS_", "SITEURL"))}
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "publish"], cwd=folder, env={**environ, "COLUMNS": "200"},
        capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False,
    )
    return done.returncode, done.stdout + done.stderr


def test_invoke_publish_on_defaults_keeps_the_site_in_output_and_rehearses_in_the_outbox(
        project):
    code, printed = invoke_publish(project)
    assert code == 0, printed
    assert (project / "output/curiosity-before-strategy/index.html").is_file()
    assert f"no DEPLOY_TARGET set: the site stays in {project / 'output'}" in printed
    assert "not checked: the target is local" in printed
    emails = list((project / "outbox").glob("*-curiosity-before-strategy.eml"))
    assert len(emails) == 1
    shown = " ".join(printed.split())
    assert (f"rehearsal: written to outbox/{emails[0].name}, not sent to subscribers"
            in shown), printed
    assert ("the local outbox (outbox): a rehearsal, not sent to subscribers; set "
            "MAILCHIMP_API_KEY to send for real") in shown
    # a rehearsal is never committed: the ledger keeps it, uncommitted
    assert git(project, "log", "-1", "--format=%s") == "the site"
    assert ("content/newsletter-ledger.json unchanged: nothing to commit; the outbox's "
            "rehearsals are kept apart in content/newsletter-ledger.json.rehearsals, never "
            "committed") in shown
    # the checkout stays clean: the rehearsal is kept apart, in a file git ignores
    assert git(project, "status", "--porcelain") == "?? content/posts/curiosity-before-strategy.md"
    assert "Published." in printed


def test_a_bad_setting_stops_before_anything_happens(project):
    screen = io.StringIO()
    code = run_publish(project, project / "publishconf.py", environ={"DEPLOY_TARGET": "ftp"},
                       console=Console(file=screen, width=200), interactive=False)
    assert code == 2
    assert screen.getvalue().startswith("publish: DEPLOY_TARGET is 'ftp': write one of 'none'")
    assert "Nothing was built, deployed or sent." in screen.getvalue()
    assert not (project / "output/curiosity-before-strategy").exists()


def test_a_dry_run_exits_zero_and_leaves_everything_as_it_was(project):
    screen = io.StringIO()
    code = run_publish(project, project / "publishconf.py", dry_run=True, environ={},
                       console=Console(file=screen, width=200), interactive=False)
    assert code == 0, screen.getvalue()
    assert not (project / "outbox").exists()
    assert git(project, "status", "--porcelain") == "?? content/posts/curiosity-before-strategy.md"
    assert "Dry run: nothing was deployed and nothing was sent." in screen.getvalue()


class _Terminal:
    def __init__(self, tty):
        self.tty = tty

    def isatty(self):
        return self.tty


def test_only_a_terminal_outside_ci_counts_as_interactive():
    assert is_interactive({}, _Terminal(True))
    assert not is_interactive({"CI": "true"}, _Terminal(True))
    assert not is_interactive({}, _Terminal(False))


def test_the_readme_main_job_runs_end_to_end_on_the_project_as_committed(tmp_path):
    """README's first command: the committed content and ledger, no settings, no secrets."""
    folder = copy_project(tmp_path / "fresh", keep_ledger=True)
    code, printed = invoke_publish(folder)
    assert code == 0, printed
    assert (folder / "output/should-your-work-speak-for-itself/index.html").is_file()
    assert (folder / "output/feeds/all.atom.xml").is_file()
    assert "Published." in printed
    assert not any((folder / "outbox").glob("*.eml"))
