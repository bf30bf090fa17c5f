"""The build half of the newsletter: render and check every post's email, then write it.

At `all_generators_finalized` (every post read, every link resolvable, nothing written
yet) each post's email is rendered and checked; any problem stops the build with one
message listing them all. Otherwise the generator writes, per post,
output/<NEWSLETTER_OUTPUT_DIR>/<slug>/{index.html, email.txt, email.html.txt, meta.json}.

A build only renders: no network, no ledger. It runs many times (autoreload), so the
folder is rewritten whole each time and never keeps a stale email.
"""

import os
import shutil
from dataclasses import replace
from pathlib import Path

from pelican.generators import ArticlesGenerator, PagesGenerator
from pelican.utils import truncate_html_words

from .email_checks import check_email
from .html_transform import absolutize
from .model import (
    HTML_FILE,
    PREVIEW_FILE,
    TEXT_FILE,
    PostRecord,
    SiteInfo,
    content_hash,
    write_record,
)
from .post_fields import newsletter_fields, plain
from .render_email import fill_merge_tags, render_post
from .settings import NewsletterSettingsError, read_settings


class NewsletterBuildError(Exception):
    """Emails that cannot go out as they are; the build stops before writing anything."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(
            f"the site was not built: {len(self.problems)} newsletter problem(s):\n"
            + "\n".join(self.problems)
        )


class NewsletterGenerator:
    """Pelican generator: `prepare` renders and checks, `generate_output` writes."""

    def __init__(self, context, settings, path, theme, output_path, *args, **kwargs):
        self.context = context
        self.settings = settings
        self.output_path = output_path
        self.newsletter = None
        self.emails = None  # [(PostRecord, RenderedEmail | None)] once prepared

    def prepare(self, articles, pages):
        """Render and check every email; NewsletterBuildError lists all problems."""
        try:
            ns = read_settings(self.settings)
        except NewsletterSettingsError as exc:
            raise NewsletterBuildError([f"settings: {exc}"]) from None
        problems = _folder_conflicts(ns.output_dir, pages + [a for a, _ in articles])
        if any(not getattr(a, "post_id", None) for a, _ in articles):
            raise NewsletterBuildError([
                "settings: posts have no identity: put 'post_identity' before 'newsletter' "
                "in PLUGINS (the ledger knows posts by it)."])
        emails = []
        for article, status in articles:
            record, rendered, article_problems = build_email(article, status, ns, self.settings)
            where = os.path.relpath(article.source_path)
            problems += [f"{where}: newsletter: {p}" for p in article_problems]
            emails.append((record, rendered))
        slugs = {}
        for record, _ in emails:
            if record.slug in slugs:
                problems.append(
                    f"{record.source} and {slugs[record.slug]} share the slug {record.slug!r}, "
                    "and so the newsletter folder: give one of them another 'Slug:'."
                )
            slugs[record.slug] = record.source
        if problems:
            raise NewsletterBuildError(problems)
        self.newsletter, self.emails = ns, emails

    def generate_output(self, writer):
        if self.emails is None:
            return
        target = Path(self.output_path) / self.newsletter.output_dir
        shutil.rmtree(target, ignore_errors=True)
        for record, rendered in self.emails:
            folder = target / record.slug
            write_record(folder, record)
            if rendered is None:
                continue
            preview = fill_merge_tags(rendered.html, record.site.name)
            (folder / PREVIEW_FILE).write_text(preview, encoding="utf-8")
            (folder / HTML_FILE).write_text(rendered.html, encoding="utf-8")
            (folder / TEXT_FILE).write_text(rendered.text, encoding="utf-8")


def build_email(article, status, ns, pelican_settings):
    """(PostRecord, RenderedEmail or None, problems) for one Pelican article."""
    siteurl = ns.siteurl
    if status == "draft":
        path = pelican_settings["ARTICLE_URL"].format(**article.url_format)
    else:
        path = article.url
    url = f"{siteurl}/{path}"
    content = absolutize(
        article.get_content(siteurl), url, max_image_width=ns.image_max_width
    )
    raw_summary = article.metadata.get("summary")
    if raw_summary:
        summary = absolutize(article._update_content(raw_summary, siteurl), url)
    else:
        summary = truncate_html_words(
            content,
            pelican_settings.get("SUMMARY_MAX_LENGTH") or 50,
            pelican_settings.get("SUMMARY_END_SUFFIX", "…"),
        )
    category = getattr(getattr(article, "category", None), "name", "")
    fields, problems = newsletter_fields(
        article.metadata, title=article.title, summary_html=summary, category=category,
        settings=ns,
    )
    author = getattr(getattr(article, "author", None), "name", "")
    record = PostRecord(
        post_id=article.post_id,
        slug=article.slug,
        title=plain(article.title),
        url=url,
        date=article.date,
        date_text=article.date.strftime(ns.date_format),
        status=status,
        newsletter=fields.newsletter,
        groups=fields.groups,
        subject=fields.subject,
        preview=fields.preview,
        content_hash=content_hash(
            title=article.title, subject=fields.subject, preview=fields.preview,
            content=article._content, summary=raw_summary or "",
        ),
        author=author,
        category=category,
        summary_html=summary,
        source=Path(article.relative_source_path).as_posix(),
        site=SiteInfo(ns.site_name, ns.site_tagline, siteurl),
    )
    if status == "hidden" or not fields.newsletter:
        return record, None, problems
    body = content if ns.content == "full" else summary
    rendered = render_post(record, body, theme_templates=ns.theme_templates, lang=ns.lang)
    problems += check_email(
        rendered.html, rendered.text, rendered.subject,
        max_html_bytes=ns.max_html_bytes, max_subject=ns.max_subject,
    )
    return replace(record, has_email=True), rendered, problems


def _folder_conflicts(output_dir, contents):
    """Pages or posts that would be written into the folder the newsletter owns."""
    prefix = output_dir + "/"
    return [
        f"{os.path.relpath(c.source_path)}: is written to {c.save_as}, inside {prefix} which "
        "the newsletter rewrites on every build: change its slug or NEWSLETTER_OUTPUT_DIR."
        for c in contents if str(getattr(c, "save_as", "") or "").startswith(prefix)
    ]


def prepare_emails(generators):
    """Signal handler (all_generators_finalized): render and check before any writing."""
    mine = [g for g in generators if isinstance(g, NewsletterGenerator)]
    if not mine:
        return
    articles, pages = [], []
    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            articles += [(a, "published") for a in generator.articles]
            articles += [(a, "hidden") for a in generator.hidden_articles]
            if generator.settings.get("DRAFT_SAVE_AS"):
                articles += [(a, "draft") for a in generator.drafts]
        elif isinstance(generator, PagesGenerator):
            pages += list(generator.pages) + list(generator.hidden_pages)
    mine[0].prepare(articles, pages)


def get_generators(pelican):
    return NewsletterGenerator
