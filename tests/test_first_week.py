"""The author's first week (issue 12), played as a newcomer plays it, in a fresh checkout.

On a machine whose clock runs in UTC, and again in Tokyo: new-post, write, build, preview,
serve, publish (the outbox rehearsal), publish again, and every mistake an author makes on
the way (a title that is taken, new-post's sample text left in, a link to a post that is
not there, a file saved where Pelican does not look, a date still in the future), each
with the exact outcome and words the author sees. Every command is the real `invoke` task
in its own process; the Mailchimp key is unset, as on a newcomer's machine.
"""

import json
import os
import re
import select
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from publish_helpers import copy_project, git

SITE_ZONE = ZoneInfo("America/New_York")  # pelicanconf.py's TIMEZONE
TITLE = '"Café" & <Leadership>: Naïve questions'
SLUG = "cafe-leadership-naive-questions"
POST = f"content/posts/{SLUG}.md"


@pytest.fixture
def checkout(tmp_path):
    """The project as a fresh clone has it: the committed files, the ledger included."""
    folder = copy_project(tmp_path / "site", keep_ledger=True, git_init=True)
    git(folder, "add", ".")
    git(folder, "commit", "--quiet", "-m", "the site")
    return folder


class Author:
    """Runs `invoke TASK` in the checkout, in a time zone, as a newcomer would."""

    def __init__(self, folder, zone):
        self.folder = folder
        self.environ = {
            **{k: v for k, v in os.environ.items()
               if not k.startswith(("MAILCHIMP_", "DEPLOY_", "PUBLISH_", "SITEURL", "AWS_"))},
            "TZ": zone, "COLUMNS": "400",
        }

    def invoke(self, *args):
        done = subprocess.run([sys.executable, "-m", "invoke", *args], cwd=self.folder,
                              env=self.environ, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, check=False)
        return done.returncode, " ".join((done.stdout + done.stderr).split())

    def edit(self, relative, **replacements):
        path = self.folder / relative
        text = path.read_text(encoding="utf-8")
        for old, new in replacements.values():
            assert old in text, old
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")

    def date_post(self, moment):
        path = self.folder / POST
        text = re.sub(r"^Date: .*$", f"Date: {moment:%Y-%m-%d %H:%M}",
                      path.read_text(encoding="utf-8"), count=1, flags=re.M)
        path.write_text(text, encoding="utf-8")


def site_now():
    return datetime.now(SITE_ZONE)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo"])
def test_the_first_week(checkout, zone):
    author = Author(checkout, zone)

    # Monday: a new post, dated on the site's clock whatever the machine's zone.
    before = site_now().replace(second=0, microsecond=0)
    code, said = author.invoke("new-post", TITLE)
    assert (code, said) == (0, f"Wrote {POST} (Status: draft). Preview it with: invoke "
                               "livereload")
    written = re.search(r"^Date: (.*)$", (checkout / POST).read_text(), re.M).group(1)
    stamp = datetime.strptime(written, "%Y-%m-%d %H:%M").replace(tzinfo=SITE_ZONE)
    assert before <= stamp <= site_now()
    code, said = author.invoke("new-post", TITLE)
    assert code == 1 and said.startswith(
        f"{POST} already exists: choose another title or pass --slug ")
    assert "Errno" not in said and "Traceback" not in said

    # Publishing it with new-post's sample text still in: the build warns, publish refuses.
    author.edit(POST, draft=("Status: draft\n", ""))
    code, said = author.invoke("build")
    assert code == 0 and f"{POST}: field 'Summary' is still new-post's sample text" in said
    code, said = author.invoke("publish")
    assert code == 1
    assert (f"{POST}: field 'Summary' is still new-post's sample text: write one or two "
            "sentences of your own") in said
    assert f"{POST}: the body is still new-post's sample text" in said
    assert "nothing was deployed or sent" in said
    assert not (checkout / "outbox").exists()

    # Written, with a link to a post that is not there: every build stops, naming the fix.
    author.edit(
        POST,
        summary=("Summary: One or two sentences that say what this post gives the reader.",
                 "Summary: Ask *before* you plan: curiosity & <good> questions."),
        body=("Write the post here. Remove 'Status: draft' when it is ready to publish.",
              "Questions first. See [that post]({filename}/posts/is-your-carer-off-track.md)."),
    )
    for task in ("build", "preview", "publish"):
        code, said = author.invoke(task)
        assert code == 1, task
        assert (f"{POST}: the link {{filename}}/posts/is-your-carer-off-track.md points at "
                "nothing: did you mean {filename}/posts/is-your-career-off-track.md?") in said
    author.edit(POST, link=("is-your-carer-off-track", "is-your-career-off-track"))

    # A second post saved where Pelican does not look: named at every build.
    (checkout / "content" / "my-post.md").write_text("Title: Saved in the wrong place\n\nHi.\n")
    code, said = author.invoke("build")
    assert code == 0 and ("content/my-post.md is not read: posts go in content/posts/, pages "
                          "in content/pages/, events in content/events/") in said
    (checkout / "content" / "my-post.md").unlink()

    # Dated later today: held back, and every build and the status say until when.
    author.date_post(site_now() + timedelta(hours=4, minutes=56))
    code, said = author.invoke("build")
    assert code == 0
    held = re.search(rf"{re.escape(POST)} is dated (\S+ \S+ \S+) \(in 4 h 5[56] min\): it is "
                     r"published by the first build after that", said)
    assert held and held.group(1).endswith(("EST", "EDT")), said
    code, said = author.invoke("newsletter-status")
    assert code == 0 and f"held back {SLUG} {POST} is dated {held.group(1)}" in said
    author.date_post(site_now() - timedelta(minutes=2))

    # Preview, then serve: the production site at 127.0.0.1, its 404 page for a missing path.
    code, said = author.invoke("preview")
    assert code == 0 and "See it with: invoke serve" in said
    page = (checkout / "output" / SLUG / "index.html").read_text()
    assert "<title>&#34;Café&#34; &amp; &lt;Leadership&gt;: Naïve questions" in page
    email = json.loads((checkout / "output" / "newsletter" / SLUG / "meta.json").read_text())
    assert email["subject"] == TITLE
    with serving(author) as local:
        assert f'href="{local}/theme/css/site.css"' in fetch(f"{local}/{SLUG}/")[1]
        status, body = fetch(f"{local}/no-such-page/")
        assert status == 404 and "<h1>Page not found</h1>" in body

    # Publish: on defaults the site stays in output/ and the email is a rehearsal.
    code, said = author.invoke("publish")
    assert code == 0 and said.endswith("Published.")
    [eml] = (checkout / "outbox").glob(f"*-{SLUG}.eml")
    assert f"rehearsal: written to outbox/{eml.name}, not sent to subscribers" in said
    assert "set MAILCHIMP_API_KEY to send for real" in said
    assert git(checkout, "log", "--format=%s") == "the site"  # a rehearsal commits nothing
    assert git(checkout, "status", "--porcelain") == f"?? {POST}"

    # Publish again: nothing new to rehearse, nothing sent twice.
    code, said = author.invoke("publish")
    assert code == 0 and "nothing due" in said and said.endswith("Published.")
    assert list((checkout / "outbox").glob("*.eml")) == [eml]

    # A title of 288 characters: a slug of at most 80, cut at a word.
    long_title = " ".join(["Curiosity"] * 28) + " end"
    code, said = author.invoke("new-post", long_title)
    assert code == 0
    [made] = [p for p in (checkout / "content" / "posts").glob("curiosity-*.md")]
    assert len(made.stem) <= 80 and made.stem.endswith("curiosity")


class serving:
    """`invoke serve --port 0` in the checkout; its local address while in the block."""

    def __init__(self, author):
        self.author = author

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "invoke", "serve", "--port", "0"], cwd=self.author.folder,
            env=self.author.environ, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL, text=True)
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        line = self.process.stdout.readline() if ready else ""
        found = re.search(r"shown as (http://127\.0\.0\.1:\d+)\)", line)
        assert found, line
        return found.group(1)

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")
