"""The pull request's review (.github/workflows/preview.yml), tested as publish.yml is: linted
with actionlint (broken variants caught), its triggers and its fork guard read from the
file, and its steps' own commands run, as written, on a copy of the project: the publish
dry run writes the job summary, and the test email reaches the Mailchimp test server's
given addresses only.
"""

import os
import re
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT
from publish_helpers import LATER_POST, NEW_POST, copy_project, git, git_checkout
from test_publish_workflow import assert_lints_clean_and_catches

from possibility.commands.publish.build import build_site, load_settings
from possibility.commands.send import baseline
from possibility.core.newsletter.settings import read_settings

WORKFLOW = ROOT / ".github" / "workflows" / "preview.yml"
FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"
BREAKAGES = {
    "no-runner": (("runs-on: ubuntu-latest", "run-on: ubuntu-latest"),
                  '"runs-on" section is missing'),
    "unknown-event": (("  pull_request:\n", "  pull_requests:\n"), "unknown Webhook event"),
    "typo-in-context": (("secrets.MAILCHIMP_API_KEY", "secret.MAILCHIMP_API_KEY"),
                        'undefined variable "secret"'),
    "unknown-property": (("== github.repository", "== github.repo"),
                         'property "repo" is not defined'),
    "bad-permission": (("contents: read", "contents: reed"),
                       '"reed" is invalid for permission of scope "contents"'),
    "broken-condition": (("if: always() &&", "if: always( &&"), 'unexpected token "&&"'),
    "unknown-step": (("steps.dry_run.outcome", "steps.dryrun.outcome"),
                     'property "dryrun" is not defined'),
}


def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def steps(data=None):
    return (data or workflow())["jobs"]["preview"]["steps"]


def step(name, data=None):
    return next(s for s in steps(data) if s.get("name") == name)


def unguarded_secrets(data):
    """Names of the steps that read a secret without the fork guard."""
    return [s.get("name") or s.get("uses") for s in steps(data)
            if "secrets." in yaml.safe_dump(s) and s.get("if") != FORK_GUARD]


def test_the_workflow_lints_clean_and_broken_ones_are_caught(tmp_path):
    assert_lints_clean_and_catches(WORKFLOW, BREAKAGES, tmp_path)


def test_it_runs_on_every_pull_request_reads_only_and_keeps_one_review_per_pull_request():
    data = workflow()
    assert data[True] == {"pull_request": None}  # YAML 1.1 reads `on` as True; no filters
    assert data["permissions"] == {"contents": "read"}
    assert data["concurrency"] == {
        "group": "preview-${{ github.event.pull_request.number }}", "cancel-in-progress": True}
    names = [s.get("name") or s["uses"] for s in steps(data)]
    assert names == [
        "actions/checkout@v4", "actions/setup-python@v5", "actions/setup-node@v4", "Tests",
        "Production build, publish's checks and dry run", "Upload the site with its emails",
        "Mailchimp test emails to the test addresses"]
    assert {"uses": "actions/setup-python@v5",
            "with": {"python-version": "3.11", "cache": "pip"}} in steps(data)
    assert step("Tests", data)["run"] == "bash .ci/run"
    upload = step("Upload the site with its emails", data)
    assert upload["uses"] == "actions/upload-artifact@v4"
    assert upload["if"] == "always() && steps.dry_run.outcome != 'skipped'"  # checks failed too
    assert step("Production build, publish's checks and dry run", data)["id"] == "dry_run"
    assert upload["with"]["path"] == "output/"  # the site, output/newsletter/ included


def test_secrets_reach_only_the_test_email_and_never_a_forks_pull_request():
    data = workflow()
    test_email = step("Mailchimp test emails to the test addresses", data)
    assert test_email["if"] == FORK_GUARD
    assert test_email["env"] == {
        "MAILCHIMP_API_KEY": "${{ secrets.MAILCHIMP_API_KEY }}",
        "NEWSLETTER_TEST_ADDRESSES": "${{ secrets.NEWSLETTER_TEST_ADDRESSES }}"}
    assert unguarded_secrets(data) == []
    assert "invoke newsletter-send" not in WORKFLOW.read_text()  # never the list
    assert "invoke publish --dry-run" in WORKFLOW.read_text()
    unguarded = yaml.safe_load(re.sub(rf" *if: {re.escape(FORK_GUARD)}\n", "",
                                      WORKFLOW.read_text()))
    assert unguarded_secrets(unguarded) == ["Mailchimp test emails to the test addresses"]


# The steps' commands, as written, on a copy of the project --------------------------------


@pytest.fixture
def project(tmp_path):
    """The project in a git checkout (its posts baselined), a new post and one for later,
    with this virtualenv as its .venv: what the workflow has after `bash .ci/run`."""
    folder = copy_project(tmp_path / "project")
    (folder / ".venv").symlink_to(ROOT / ".venv")
    (folder / ".gitignore").write_text("/.venv\n/output/\n/.cache/\n/outbox/\n__pycache__/\n"
                                       "*.json.rehearsals\n")
    git_checkout(folder, "Preview Test", "preview@example.org")
    overrides = {"CACHE_PATH": str(folder / ".cache" / "publish")}
    result = build_site(folder / "publishconf.py", overrides)
    baseline(result.output_path, read_settings(load_settings(folder / "publishconf.py")))
    (folder / "content" / "posts" / "curiosity-before-strategy.md").write_text(NEW_POST)
    (folder / "content" / "posts" / "written-for-later.md").write_text(LATER_POST)
    git(folder, "add", ".")
    git(folder, "commit", "--quiet", "-m", "a pull request with a new post")
    return folder


def run_step(name, project, **environ):
    """The step's `run` script, as written, with bash in `project` (exit code, output)."""
    script = step(name)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DEPLOY_", "PUBLISH_", "MAILCHIMP_", "AWS_", "SITEURL",
                                "NEWSLETTER_", "GITHUB_"))}
    env.update({k: str(v) for k, v in (script.get("env") or {}).items()
                if "${{" not in str(v)})
    env.update(environ)
    done = subprocess.run(["bash", "-e", "-c", script["run"]], cwd=project, env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          check=False)
    return done.returncode, done.stdout + done.stderr


def test_the_dry_run_writes_what_would_be_emailed_and_what_is_held_back(project, tmp_path):
    summary = tmp_path / "step-summary.md"
    code, printed = run_step("Production build, publish's checks and dry run", project,
                             GITHUB_STEP_SUMMARY=str(summary))
    assert code == 0, printed
    text = summary.read_text()
    assert text.startswith("## Publish dry run: ✅ Dry run: nothing was deployed and nothing "
                           "was sent.\n")
    assert re.search(r"\*\*Checks passed:\*\* checked the links of \d+ pages and \d+ feeds "
                     r"and data files; kept out: 0 drafts, 1 future-dated post", text), text
    assert "| Subject | Groups | Size | Posts |" in text
    row = re.search(r"\| Curiosity Before Strategy \| Articles \| (\d+\.\d) KB HTML, "
                    r"(\d+\.\d) KB text \| \[Curiosity Before Strategy\]\(https://www\."
                    r"thepossibilitypractice\.com/curiosity-before-strategy/\) \|", text)
    assert row and 1 < float(row[1]) < 90 and 0 < float(row[2]) < float(row[1]), text
    assert re.search(r"### Held back by their date\n\n- content/posts/written-for-later\.md is "
                     r"dated 2999-01-01 10:00 EST \(in \d+ years\): it is published by the "
                     r"first build after that\n", text), text
    assert "| deploy | skipped |" in text  # DEPLOY_TARGET: none
    # what the artifact uploads: the site with its emails
    assert (project / "output" / "curiosity-before-strategy" / "index.html").is_file()
    assert (project / "output" / "newsletter" / "curiosity-before-strategy" /
            "index.html").is_file()
    assert git(project, "status", "--porcelain") == ""  # nothing sent, nothing recorded


def test_a_failed_check_is_in_the_summary_and_fails_the_job(project, tmp_path):
    sample = NEW_POST.replace("Summary: Why the best plans start with a question.",
                              "Summary: One or two sentences that say what this post gives "
                              "the reader.")
    (project / "content" / "posts" / "curiosity-before-strategy.md").write_text(sample)
    summary = tmp_path / "step-summary.md"
    code, printed = run_step("Production build, publish's checks and dry run", project,
                             GITHUB_STEP_SUMMARY=str(summary))
    assert code == 1, printed
    text = summary.read_text()
    assert text.startswith("## Publish dry run: ❌ Publish stopped: check failed: 1 problem")
    assert ("content/posts/curiosity-before-strategy.md: field 'Summary' is still new-post's "
            "sample text: write one or two sentences of your own") in text
    assert "Not known: the run stopped before the newsletter was asked." in text


def test_the_test_email_reaches_the_test_addresses_only(project, mailchimp_api):
    code, printed = run_step(
        "Mailchimp test emails to the test addresses", project,
        MAILCHIMP_API_KEY=mailchimp_api.api_key, MAILCHIMP_API_URL=mailchimp_api.base_url,
        MAILCHIMP_LIST_ID=mailchimp_api.list_id,
        NEWSLETTER_TEST_ADDRESSES="karen@example.org, editor@example.org")
    assert code == 0, printed
    server = mailchimp_api.server
    [test] = server.test_sends
    assert sorted(test["test_emails"]) == ["editor@example.org", "karen@example.org"]
    assert server.deliveries == {}  # no campaign was sent: the list got nothing
    assert server.campaigns == {}  # the draft made for the test is gone
    assert [c for c in server.calls() if "/actions/send" in c.path
            or "/actions/schedule" in c.path] == []
    assert "tested: curiosity-before-strategy: 'Curiosity Before Strategy' (for Articles" \
        in printed
    assert git(project, "status", "--porcelain") == ""  # the ledger is unchanged


def test_without_the_secrets_no_test_email_is_sent(project):
    code, printed = run_step("Mailchimp test emails to the test addresses", project,
                             MAILCHIMP_API_KEY="", NEWSLETTER_TEST_ADDRESSES="")
    assert (code, printed.strip()) == (
        0, "No MAILCHIMP_API_KEY or NEWSLETTER_TEST_ADDRESSES secret: no test email.")
    assert not (project / "outbox").exists()


def test_the_task_refuses_without_an_address(project):
    done = subprocess.run([sys.executable, "-m", "invoke", "newsletter-test"], cwd=project,
                          capture_output=True, text=True, check=False,
                          env={k: v for k, v in os.environ.items()
                               if not k.startswith("MAILCHIMP_")})
    assert done.returncode == 1
    assert "no address to send the test emails to: invoke newsletter-test --to " \
           "you@example.org" in done.stderr
