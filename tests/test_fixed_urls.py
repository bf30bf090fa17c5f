"""possibility.site.fixed_urls: URLs computed once give the very site they gave computed
each time."""

import json
import subprocess
import sys
from types import SimpleNamespace

from conftest import ROOT

from possibility.site.fixed_urls import fix_urls


def test_each_url_and_output_path_is_fixed_once_and_an_override_is_kept():
    class Post:
        calls = 0

        @property
        def url(self):
            Post.calls += 1
            return "computed/"

        @property
        def save_as(self):
            Post.calls += 1
            return "computed/index.html"

    post, moved = Post(), Post()
    moved.override_url, moved.override_save_as = "moved/", "moved/index.html"
    fix_urls([SimpleNamespace(articles=[post], pages=[moved]), SimpleNamespace()])
    assert (post.override_url, post.override_save_as) == ("computed/", "computed/index.html")
    assert (moved.override_url, moved.override_save_as) == ("moved/", "moved/index.html")
    assert Post.calls == 2


def test_the_site_is_the_same_with_urls_computed_each_time(tmp_path):
    # Pelican's signals are global to a process: each plugin set builds in its own.
    def build(output, plugins):
        subprocess.run(
            [sys.executable, "-m", "pelican", str(ROOT / "content"), "-o", str(output),
             "-s", str(ROOT / "publishconf.py"), "-q", "-e",
             f"CACHE_PATH={json.dumps(str(output) + '-cache')}", f"PLUGINS={json.dumps(plugins)}"],
            check=True, cwd=ROOT,
        )
        return {p.relative_to(output).as_posix(): p.read_bytes()
                for p in sorted(output.rglob("*")) if p.is_file()}

    from possibility.commands.publish.build import load_settings

    plugins = load_settings(ROOT / "publishconf.py")["PLUGINS"]
    plugin = "possibility.site.fixed_urls"
    assert plugin in plugins
    fixed = build(tmp_path / "fixed", plugins)
    each_time = build(tmp_path / "each-time", [p for p in plugins if p != plugin])
    assert fixed == each_time
    assert "should-your-work-speak-for-itself/index.html" in fixed
