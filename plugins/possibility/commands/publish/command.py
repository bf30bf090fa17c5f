"""The `invoke publish` command: settings in, the pipeline wired to the real world, report out.

Reads `.env` and the settings (failing before any step when one is wrong), connects
the pipeline's edges to Pelican, the deploy target, HTTP, the newsletter and git,
runs it, prints the report and returns the exit code. Secrets never pass through here:
boto3, ssh and the newsletter's Mailchimp backend read them from the environment.
"""

import os
import sys
from dataclasses import dataclass

from possibility.common import PossibilityError

from .build import build_site, load_settings
from .checks import unpublished_posts
from .deploy import deploy
from .ledger_git import commit_ledger
from .newsletter_bridge import Newsletter
from .pipeline import Edges, PublishOptions, publish
from .progress import rich_progress
from .report import markdown, redact, render
from .settings import load_environment, read_settings, secret_values
from .verify_live import verify_live


@dataclass(frozen=True)
class Setup:
    """Everything read before the first step: the settings and the edges they make."""

    settings: object  # PublishSettings
    edges: Edges


def is_interactive(environ, stdin=None):
    """A person at a terminal (not cron, not CI) can answer a question."""
    stdin = sys.stdin if stdin is None else stdin
    return bool(stdin and stdin.isatty()) and not environ.get("CI")


def setup(project, settings_file, overrides, environ, console):
    """Read and check every setting, and wire the real edges; raises on a bad setting."""
    from rich.prompt import Confirm

    pelican_settings = load_settings(settings_file, overrides)
    settings = read_settings(pelican_settings, environ, project)
    newsletter = Newsletter(pelican_settings, environ)
    progress = rich_progress(console)

    def build():
        with progress("Building the site"):
            return build_site(settings_file, overrides)

    edges = Edges(
        build=build,
        unpublished=lambda: unpublished_posts(pelican_settings),
        newsletter=newsletter,
        deploy=lambda output, dry_run: deploy(settings, output, dry_run, progress),
        verify=lambda pages: verify_live(pages, settings.verify),
        commit_ledger=lambda ledger, titles: commit_ledger(project, ledger, titles),
        confirm=lambda question: Confirm.ask(question, console=console, default=False),
    )
    return Setup(settings, edges)


def run_publish(project, settings_file, *, dry_run=False, yes=False, commit=True,
                overrides=None, environ=None, console=None, interactive=None, summary=None):
    """Publish the site of `project`; the exit code (0: published, 1: stopped, 2: setup).

    `summary`: a file to write the report into as Markdown (a pull request's job summary,
    $GITHUB_STEP_SUMMARY), whatever the outcome."""
    from rich.console import Console

    load_environment(project)
    environ = os.environ if environ is None else environ
    console = console or Console()
    secrets = secret_values(environ)
    try:
        wired = setup(project, settings_file, overrides, environ, console)
    except PossibilityError as exc:
        message = redact(f"publish: {exc}\nNothing was built, deployed or sent.", secrets)
        console.print(message, style="bold red", markup=False, highlight=False)
        if summary:
            write_summary(summary, f"## Publish: ❌ a setting is wrong\n\n```text\n{message}"
                                   "\n```\n")
        return 2
    options = PublishOptions(
        dry_run=dry_run,
        yes=yes,
        commit=commit,
        interactive=is_interactive(environ) if interactive is None else interactive,
    )
    report = publish(wired.settings, options, wired.edges)
    render(report, console, secrets)
    if summary:
        write_summary(summary, markdown(report, secrets))
    if report.trace:
        console.print(redact(report.trace, secrets), markup=False, highlight=False)
    return 0 if report.ok else 1


def write_summary(path, text):
    """Write the Markdown summary to `path` (its folder made if need be)."""
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
