"""Every generated HTML page passes the Nu HTML Checker (vnu.jar, run with the machine's Java)."""

import json
import subprocess

from conftest import ROOT

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def nu_errors(folder):
    """The checker's errors for every .html file under `folder`, as 'file:line: message'."""
    assert VNU.is_file(), "vnu.jar missing: run `bash .ci/install` (npm ci installs vnu-jar)"
    run = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--skip-non-html", "--format", "json",
         str(folder)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    return [
        f"{m.get('url', '?').rsplit(str(folder), 1)[-1]}:{m.get('lastLine', '?')}: {m['message']}"
        for m in messages
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]


def test_production_site_is_valid_html(production_site):
    pages = list(production_site.output.rglob("*.html"))
    assert len(pages) >= 20
    assert nu_errors(production_site.output) == []


def test_local_site_with_drafts_is_valid_html(site):
    site.write_post(
        "draft.md", "Title: Draft <&> “quotes”\nDate: 2020-01-01\nStatus: draft\nSlug: d\n\nHi\n"
    )
    site.build("pelicanconf.py")
    assert nu_errors(site.output) == []


def test_the_checker_does_catch_errors(tmp_path):
    (tmp_path / "bad.html").write_text("<!doctype html><title>x</title><p><div></p>")
    assert nu_errors(tmp_path)
