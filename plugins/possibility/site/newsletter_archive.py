"""The public archive of past issues: /past-issues/ and a web copy of each email.

Every build writes, from the committed ledger (`NEWSLETTER_LEDGER_PATH`) and the web
copies beside it (`content/newsletter-archive/`, written by the send as each email goes
out: `possibility.core.newsletter.archive`):

- `past-issues/index.html` (template `newsletter_archive.html`): every email that
  went to the Mailchimp list, newest first, with its date (in TIMEZONE), subject and
  groups, linked to its web copy. Never a baseline entry or an outbox rehearsal. With no
  ledger, or nothing sent yet, the page says so: the signup forms' "See past issues"
  (SIGNUP_ARCHIVE_URL) always has a page to go to.
- `past-issues/<YYYY-MM-DD>-<name>/index.html` (template `newsletter_issue.html`)
  for each web copy: the email's main part with no personal link, merge tag, sample
  value or UTM tag (a copy that has one stops the build). A link to a post follows the
  post (by its Post-Id) to its address today, and becomes plain words when the post is
  no longer on the site.

An email with no web copy (sent before the archive existed, or its copy was not
committed) is listed without a link, and the build says so. Templates get
`NEWSLETTER_ARCHIVE` ({url, issues}) and, on a copy's page, `issue`.

The pages are the site's own, written through Pelican's writer (so a rebuild leaves the
unchanged ones alone, and removes those the site no longer has), and deployed with it;
they live apart from the author-only email previews of `output/newsletter/<slug>/`
(`possibility.site.newsletter`), which never leave the author's machine. A post or page
written under `past-issues/` would share the archive's folder: that stops the build.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup
from pelican import signals
from pelican.generators import Generator

from possibility.common import ProblemsError
from possibility.core.newsletter.archive import (
    copies_folder,
    copy_problems,
    read_copy,
    relink,
    sent_to_list,
    stored_copies,
    web_copy,
)
from possibility.core.newsletter.ledger import LedgerError, read_ledger
from possibility.core.newsletter.settings import NewsletterSettingsError, read_settings

ARCHIVE_URL = "past-issues/"
CONTEXT_KEY = "NEWSLETTER_ARCHIVE"

logger = logging.getLogger(__name__)
if hasattr(logger, "disable_filter"):  # name a missing copy at every build of livereload
    logger.disable_filter()


class ArchiveError(ProblemsError):
    """The archive cannot be built as it is; one line per problem, with what to fix."""

    headline = "the site was not built: the newsletter archive"


@dataclass(frozen=True)
class Issue:
    """One email of the archive, as the templates show it."""

    name: str  # "2026-11-24-should-your-work-speak-for-itself"
    subject: str
    kind: str  # "post" or "digest"
    groups: tuple
    date: datetime  # in the site's TIMEZONE
    date_text: str
    posts: tuple  # ((slug, title), ...)
    html: Markup | None  # the web copy; None: listed without one
    url: str = ""
    save_as: str = ""

    @property
    def groups_text(self):
        return ", ".join(self.groups) if self.groups else "everyone on the list"


class NewsletterArchiveGenerator(Generator):
    """Reads the ledger and the copies in `generate_context` (after the posts, so links
    follow them), writes the pages in `generate_output`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.issues = []

    def generate_context(self):
        try:
            ns = read_settings(self.settings)
            ledger = read_ledger(ns.ledger_path)
        except (NewsletterSettingsError, LedgerError) as exc:
            raise ArchiveError([str(exc)]) from None
        problems = self._folder_problems()
        zone = _zone(self.settings)
        date_format = self.settings.get("DEFAULT_DATE_FORMAT") or "%B %-d, %Y"
        folder = copies_folder(ns.ledger_path)
        copies = stored_copies(folder)
        urls = self._post_urls(ns.siteurl)
        issues = []
        for sent in reversed(sent_to_list(ledger)):
            path = copies.get(sent.key)
            html = None
            if path is None:
                logger.warning(
                    "Newsletter archive: %r (sent %s) has no web copy in %s: it is listed "
                    "without one.", sent.subject, f"{sent.sent_at:%Y-%m-%d}", folder)
            else:
                _, stored = read_copy(path)
                problems += [f"{path}: {problem}" for problem in copy_problems(stored,
                                                                                ns.siteurl)]
                html = Markup(relink(web_copy(stored, key=sent.key, siteurl=ns.siteurl),
                                     urls))
            name = path.stem if path is not None else ""
            date = sent.sent_at.astimezone(zone)
            issues.append(Issue(
                name=name, subject=sent.subject, kind=sent.kind, groups=sent.groups,
                date=date, date_text=date.strftime(date_format), posts=sent.posts, html=html,
                url=f"{ARCHIVE_URL}{name}/" if html is not None else "",
                save_as=f"{ARCHIVE_URL}{name}/index.html" if html is not None else ""))
        if problems:
            raise ArchiveError(problems)
        self.issues = issues
        self.context[CONTEXT_KEY] = {"url": ARCHIVE_URL, "issues": issues}

    def _folder_problems(self):
        """Posts and pages that would be written where the archive's pages go."""
        context = self.context
        posts = [*context.get("articles", ()), *context.get("hidden_articles", ()),
                 *context.get("drafts", ())]
        pages = [*context.get("pages", ()), *context.get("hidden_pages", ()),
                 *context.get("draft_pages", ())]
        return [
            f"{content.relative_source_path}: is written to {content.save_as}, inside "
            f"{ARCHIVE_URL}, the archive of past issues: give it another 'Slug:' or 'URL:'."
            for content in posts + pages
            if str(getattr(content, "save_as", "") or "").startswith(ARCHIVE_URL)
        ]

    def _post_urls(self, siteurl):
        """{post identity: its address today}, for every post with a page."""
        posts = [*self.context.get("articles", ()), *self.context.get("hidden_articles", ())]
        return {post.post_id: f"{siteurl}/{post.url}" for post in posts
                if getattr(post, "post_id", None)}

    def generate_output(self, writer):
        relative = self.settings.get("RELATIVE_URLS", False)
        writer.write_file(
            f"{ARCHIVE_URL}index.html", self.get_template("newsletter_archive"), self.context,
            relative_urls=relative, url=ARCHIVE_URL, issues=self.issues,
            page_name="newsletter_archive")
        for issue in self.issues:
            if issue.html is not None:
                writer.write_file(
                    issue.save_as, self.get_template("newsletter_issue"), self.context,
                    relative_urls=relative, url=issue.url, issue=issue,
                    page_name="newsletter_issue")
        logger.info("Newsletter archive: %d past issue(s) at %s", len(self.issues), ARCHIVE_URL)


def _zone(settings):
    try:
        return ZoneInfo(str(settings.get("TIMEZONE") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def get_generators(pelican):
    return NewsletterArchiveGenerator


def register():
    signals.get_generators.connect(get_generators)
