"""Author tasks, run with `invoke TASK` (see `invoke --list`).

Thin wrappers: the logic lives in `plugins/`. Modelled on the tasks.py that
`pelican-quickstart` writes.
"""

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from invoke import task
from invoke.exceptions import Exit

from possibility.commands.new_post import NewPostError, shown, write_new_post
from possibility.commands.publish.build import build_site, load_settings
from possibility.common import PossibilityError
from possibility.core.identity import new_post_id

ROOT = Path(__file__).resolve().parent

SETTINGS_BASE = ROOT / "pelicanconf.py"
SETTINGS_PUBLISH = ROOT / "publishconf.py"
HOST = os.environ.get("SERVE_HOST", "127.0.0.1")
PORT = int(os.environ.get("SERVE_PORT", "8000"))


@contextmanager
def _stops_cleanly(command, note=""):
    """The package's own errors (PossibilityError) end a command with their message and exit
    code 1, never a traceback; a send's partial report is printed first."""
    try:
        yield
    except PossibilityError as exc:
        report = getattr(exc, "report", None)
        if report is not None:
            print("\n".join(report.lines()))
        raise Exit(f"{command}: {exc}{note}", code=1) from None


def _build(settings_file, overrides=None):
    from pelican.log import init as init_logging

    init_logging(level=None)
    with _stops_cleanly("Build failed"):
        result = build_site(settings_file, overrides)
    print(f"Built {result.describe()}")
    return result


@task
def clean(c):
    """Remove the generated site and the build cache."""
    output = Path(load_settings(SETTINGS_BASE)["OUTPUT_PATH"])
    for folder in (output, ROOT / ".cache"):
        shutil.rmtree(folder, ignore_errors=True)


@task
def build(c):
    """Build the local site (relative URLs, drafts under /drafts/) into output/."""
    _build(SETTINGS_BASE)


@task
def rebuild(c):
    """Build the local site from scratch (output/ emptied first)."""
    _build(SETTINGS_BASE, {"DELETE_OUTPUT_DIRECTORY": True, "LOAD_CONTENT_CACHE": False})


@task
def regenerate(c):
    """Rebuild the local site whenever a file changes."""
    from pelican import main as pelican_main

    pelican_main(["-r", "-s", str(SETTINGS_BASE)])


@task(help={"port": "the port (default 8000, or SERVE_PORT; 0: any free one)"})
def serve(c, port=PORT):
    """Serve output/ at http://127.0.0.1:PORT/; a production build is shown with local links."""
    from possibility.commands.serve import ServeError, serve_output

    output = load_settings(SETTINGS_BASE)["OUTPUT_PATH"]
    try:
        server = serve_output(output, port=int(port), project=ROOT)
    except ServeError as exc:
        raise Exit(f"serve: {exc}", code=1) from None
    print(server.describe(project=ROOT), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@task
def livereload(c, port=PORT):
    """Build, serve, and reload the browser tab whenever a file changes."""
    from livereload import Server

    def cached_build():
        _build(SETTINGS_BASE, {"CACHE_CONTENT": True, "LOAD_CONTENT_CACHE": True})

    cached_build()
    settings = load_settings(SETTINGS_BASE)
    server = Server()
    for pattern in ("pelicanconf.py", "content/**/*", "theme/**/*", "plugins/**/*.py"):
        server.watch(str(ROOT / pattern), cached_build)
    server.serve(host=HOST, port=int(port), root=settings["OUTPUT_PATH"])


@task
def preview(c):
    """Build the production site (publishconf.py) into output/ without deploying it."""
    _build(SETTINGS_PUBLISH)
    print("See it with: invoke serve")


@task(
    help={
        "dry-run": "do everything but deploy and send, and say what they would do",
        "yes": "confirm a first send to a list that never received one without asking",
        "commit": "commit the newsletter ledger to git after a send (--no-commit: don't)",
        "summary": "also write the report as Markdown into FILE (e.g. $GITHUB_STEP_SUMMARY)",
    }
)
def publish(c, dry_run=False, yes=False, commit=True, summary=None):
    """Build, check, deploy, verify live, email new posts, report (see README "Publishing")."""
    from pelican.log import console
    from pelican.log import init as init_logging

    from possibility.commands.publish.command import run_publish

    init_logging(level=None)  # Pelican's log and the progress bars share its console
    code = run_publish(
        ROOT, SETTINGS_PUBLISH, dry_run=dry_run, yes=yes, commit=commit, console=console,
        summary=summary,
    )
    if code:
        raise Exit(code=code)


@task(
    help={
        "title": "the post's title",
        "category": "its category",
        "slug": "its address and file name (default: made from the title, at most 80 characters)",
    }
)
def new_post(c, title, category="Executive Coaching", slug=None):
    """Start a draft post with complete front matter in content/posts/, dated now (TIMEZONE)."""
    settings = load_settings(SETTINGS_BASE)
    folder = Path(settings["PATH"]) / settings["ARTICLE_PATHS"][0]
    try:
        path = write_new_post(
            folder, title, author=settings["AUTHOR"], category=category, post_id=new_post_id(),
            timezone=settings["TIMEZONE"], slug=slug, project=ROOT,
        )
    except NewPostError as exc:  # the message names the file and the fix: shown as it is
        raise Exit(str(exc), code=1) from None
    print(f"Wrote {shown(path, ROOT)} (Status: draft). Preview it with: invoke livereload")


def _signup_audience_path():
    from possibility.core.signup.settings import read_settings as read_signup_settings

    path = read_signup_settings(load_settings(SETTINGS_BASE)).audience_file
    if path is None:
        raise Exit("SIGNUP_AUDIENCE_FILE is empty in pelicanconf.py: the form is off", code=1)
    return path


@task(help={"file": "a file holding the embed code from Mailchimp (Signup forms > Embedded)"})
def audience_import(c, file):
    """Write the signup form's audience file from the embed code Mailchimp generates."""
    from possibility.core.signup.audience_file import describe_audience, import_embed_code

    path = _signup_audience_path()
    with _stops_cleanly("audience-import", "\nNothing was changed."):
        data, changed, left_out = import_embed_code(file, path)
    print(f"{'Wrote' if changed else 'Unchanged:'} {path}")
    print("\n".join(describe_audience(data)))
    for line in left_out:  # every input of the embed code the site's form does not offer
        print(line)
    if any("interest_id" not in g for cat in data["interest_categories"] for g in cat["groups"]):
        print("Next: invoke audience-sync (MAILCHIMP_API_KEY set) records the groups' API ids.")


@task
def audience_sync(c):
    """Record Mailchimp's API id of each interest group in the audience file.

    Needs MAILCHIMP_API_KEY (environment or .env); MAILCHIMP_API_URL overrides the API address.
    """
    from dotenv import load_dotenv

    from possibility.commands.audience_sync import sync_audience_file

    load_dotenv(ROOT / ".env")
    path = _signup_audience_path()
    if not path.is_file():
        raise Exit(f"audience-sync: no {path}; run invoke audience-import FILE first", code=1)
    with _stops_cleanly("audience-sync", "\nNothing was changed."):
        report, changed = sync_audience_file(
            path, os.environ.get("MAILCHIMP_API_KEY", ""), os.environ.get("MAILCHIMP_API_URL")
        )
    print("\n".join(report.lines()))
    print(f"{'Updated' if changed else 'Unchanged:'} {path}")


# Newsletter (possibility.site.newsletter; README "Newsletter"). The send tasks work from a
# production build (publishconf.py), exactly as `invoke publish` does.


def _newsletter(settings_file=None):
    from possibility.core.newsletter.settings import read_settings

    with _stops_cleanly("newsletter"):
        return read_settings(load_settings(settings_file or SETTINGS_PUBLISH))


def _newsletter_call(function, *args, **kwargs):
    """Run a newsletter function; its errors become a message and exit code 1."""
    with _stops_cleanly("newsletter"):
        return function(*args, **kwargs)


def _content_path(settings_file=None):
    """Pelican's PATH: where the sends read each post's source (its sample text)."""
    return Path(load_settings(settings_file or SETTINGS_PUBLISH)["PATH"])


@task
def newsletter_status(c):
    """Build the production site; list every post: sent to the list, rehearsed in the outbox,
    due, held back by its date (until when), skipped (why), changed."""
    from dotenv import load_dotenv

    from possibility.commands.publish.checks import unpublished_posts
    from possibility.commands.send import status

    load_dotenv(ROOT / ".env")  # where a send would go: Mailchimp with a key, else the outbox
    result = _build(SETTINGS_PUBLISH)
    held = [(Path(post.source).stem, post.goes_out())
            for post in unpublished_posts(load_settings(SETTINGS_PUBLISH)) if post.held_back]
    report = _newsletter_call(status, result.output_path, _newsletter(), held_back=held,
                              content_path=_content_path())
    print("\n".join(report.lines()))


@task(help={"slug": "the post (default: the newest)", "open": "open it in the web browser"})
def newsletter_preview(c, slug=None, open=False):
    """Build the local site and show the rendered email of SLUG (drafts too)."""
    import webbrowser

    from possibility.commands.send import preview

    result = _build(SETTINGS_BASE)
    report = _newsletter_call(preview, result.output_path, _newsletter(SETTINGS_BASE), slug)
    print("\n".join(report.lines()))
    if open:
        webbrowser.open(report.path.resolve().as_uri())


@task(
    iterable=["test_to"],
    help={
        "dry-run": "say what would be sent; send and record nothing",
        "test-to": "also send a test of each email to ADDRESS first (repeatable)",
    },
)
def newsletter_send(c, dry_run=False, test_to=None):
    """Build the production site and send each new post once (outbox without MAILCHIMP_API_KEY)."""
    from dotenv import load_dotenv

    from possibility.commands.send import send

    load_dotenv(ROOT / ".env")
    result = _build(SETTINGS_PUBLISH)
    report = _newsletter_call(
        send, result.output_path, _newsletter(), dry_run=dry_run, test_to=test_to or (),
        content_path=_content_path(),
    )
    print("\n".join(report.lines()))


@task(
    iterable=["to"],
    help={"to": "send the test emails to ADDRESS (repeatable; or several, comma-separated)"},
)
def newsletter_test(c, to=None):
    """Build the production site and send a test of each due email to --to only: its draft
    campaign is made, tested and deleted; nothing goes to the list, the ledger is unchanged."""
    from dotenv import load_dotenv

    from possibility.commands.send import send_tests

    load_dotenv(ROOT / ".env")
    result = _build(SETTINGS_PUBLISH)
    report = _newsletter_call(send_tests, result.output_path, _newsletter(), to or (),
                              content_path=_content_path())
    print("\n".join(report.lines()))


@task(iterable=["send"], help={"send": "leave this post (slug) to be sent (repeatable)"})
def newsletter_baseline(c, send=None):
    """Mark every published post as sent-before-the-newsletter, so none of them goes out."""
    from possibility.commands.send import baseline

    result = _build(SETTINGS_PUBLISH)
    report = _newsletter_call(baseline, result.output_path, _newsletter(), keep=send or ())
    print("\n".join(report.lines()))


@task(help={"slug": "the post whose scheduled email should not go out"})
def newsletter_cancel(c, slug):
    """Unschedule the Mailchimp campaign of SLUG and mark it cancelled in the ledger."""
    from dotenv import load_dotenv

    from possibility.commands.send import cancel
    from possibility.core.newsletter.backends import choose_backend

    load_dotenv(ROOT / ".env")
    settings = _newsletter()
    backend = _newsletter_call(choose_backend, settings)
    print("\n".join(_newsletter_call(cancel, settings, slug, backend)))


@task
def newsletter_report(c):
    """What each email did (opens, clicks, unsubscribes, bounces, top links), from Mailchimp's
    reports: a summary here and .cache/newsletter-report/index.html (figures kept beside it).

    Needs MAILCHIMP_API_KEY (environment or .env); without it, lists the rehearsal outbox.
    """
    from dotenv import load_dotenv

    from possibility.commands.newsletter_report import make_report

    load_dotenv(ROOT / ".env")
    timezone = load_settings(SETTINGS_PUBLISH).get("TIMEZONE") or "UTC"
    report = _newsletter_call(make_report, _newsletter(), os.environ,
                              ROOT / ".cache" / "newsletter-report", timezone=timezone)
    print("\n".join(report.lines()))
