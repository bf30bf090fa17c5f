"""Shared fixtures: real Pelican builds of the real site into temporary folders."""

import shutil
import sys
from pathlib import Path

import pytest
from outside_reads import forbidden_roots, guard

from possibility.commands.publish.build import build_site

ROOT = Path(__file__).resolve().parent.parent

pytest_plugins = ["browser_fixtures", "mailchimp_fixtures"]

# Nothing in the run may read beside the project (tests/outside_reads.py).
sys.addaudithook(guard(forbidden_roots(ROOT)))

PRODUCTION_URL = "https://www.thepossibilitypractice.com"


class Site:
    """A copy of the project's content that a test may change, and its builds."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.content = self.folder / "content"
        # A fresh site: the project's newsletter ledger stays behind.
        shutil.copytree(
            ROOT / "content", self.content, ignore=shutil.ignore_patterns("newsletter-ledger.json*")
        )
        self.output = self.folder / "output"

    def write_post(self, name, text):
        path = self.content / "posts" / name
        path.write_text(text, encoding="utf-8")
        return path

    def build(self, settings="publishconf.py", **overrides):
        settings_overrides = {
            "PATH": str(self.content),
            "OUTPUT_PATH": str(self.output),
            "CACHE_PATH": str(self.folder / "cache"),
            "SITEURL": PRODUCTION_URL if settings == "publishconf.py" else "",
        }
        settings_overrides.update(overrides)
        return build_site(ROOT / settings, settings_overrides)

    def html(self, relative):
        return (self.output / relative).read_text(encoding="utf-8")


def eu_list_site(folder):
    """A Site whose audience is an EU list's (GDPR consent fields), imported from its embed
    code as `invoke audience-import` does."""
    from possibility.core.signup.audience_file import import_embed_code

    built = Site(folder)
    (built.content / "audience.json").unlink()
    import_embed_code(ROOT / "tests" / "fixtures" / "embed" / "eu_gdpr.html",
                      built.content / "audience.json")
    return built


@pytest.fixture
def site(tmp_path):
    return Site(tmp_path)


@pytest.fixture(scope="session")
def production_site(tmp_path_factory):
    """The real site, built once with publishconf.py, plus a draft and a future post."""
    built = Site(tmp_path_factory.mktemp("production"))
    built.write_post("draft-post.md", DRAFT_POST)
    built.write_post("future-post.md", FUTURE_POST)
    built.result = built.build()
    return built


DRAFT_POST = """Title: A Draft Nobody Should See
Date: 2020-01-01 10:00
Status: draft
Slug: a-draft-nobody-should-see
Post-Id: 2b4a1c7e-0000-4000-8000-000000000001

Unfinished.
"""

FUTURE_POST = """Title: A Post From The Future
Date: 2999-01-01 10:00
Slug: a-post-from-the-future
Post-Id: 2b4a1c7e-0000-4000-8000-000000000002

Not yet.
"""

