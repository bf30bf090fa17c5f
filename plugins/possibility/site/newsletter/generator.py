"""The build half of the newsletter: render and check every post's email, then write it.

At `all_generators_finalized` (every post read, every link resolvable, nothing written
yet) each post's email is composed and checked (`post_email`, on every core for many:
`email_pool`), or taken from the cache of earlier builds (`email_cache`) when nothing it
is made of changed; any problem stops the build with one message listing them all.
Meanwhile each email's files wait in a file (`email_store`), not in memory: a build
never holds every email. Otherwise `generate_output` writes them, one post at a time
(`email_writer`): output/<NEWSLETTER_OUTPUT_DIR>/<slug>/{index.html, email.txt, meta.json}.

A build only renders: no network, no ledger. It runs many times (autoreload), so each
build leaves the folder holding exactly its emails, never a stale one. The speed pieces
are switched in `build_settings`.
"""

import os
from pathlib import Path

from pelican.generators import ArticlesGenerator, PagesGenerator

from possibility.common import ProblemsError
from possibility.core.newsletter.render_email import EmailTemplates
from possibility.core.newsletter.settings import NewsletterSettingsError, read_settings

from .build_settings import read_switches
from .email_cache import EmailCache, shared_fingerprint
from .email_pool import compose_each
from .email_store import EmailStore
from .email_writer import write_emails
from .post_email import FRONT_MATTER, PostSource, SummaryRule


class NewsletterBuildError(ProblemsError):
    """Emails that cannot go out as they are; the build stops before writing anything."""

    headline = "the site was not built: {count} newsletter problem(s)"


class NewsletterGenerator:
    """Pelican generator: `prepare` renders and checks, `generate_output` writes."""

    def __init__(self, context, settings, path, theme, output_path, *args, **kwargs):
        self.context = context
        self.settings = settings
        self.output_path = output_path
        self.emails = None  # (folder, store, [(slug, key)]) once every email passed its checks

    def prepare(self, articles, pages):
        """Render and check every email; NewsletterBuildError lists all problems."""
        try:
            ns = read_settings(self.settings)
            switches = read_switches(self.settings)
        except NewsletterSettingsError as exc:
            raise NewsletterBuildError([f"settings: {exc}"]) from None
        problems = _folder_conflicts(ns.output_dir, pages + [a for a, _ in articles])
        if any(not getattr(a, "post_id", None) for a, _ in articles):
            raise NewsletterBuildError([
                "settings: posts have no identity: put 'possibility.site.post_identity' before "
                "'possibility.site.newsletter' in PLUGINS (the ledger knows posts by it)."])
        posts = [read_post(article, status, ns, self.settings) for article, status in articles]
        store, keys = post_emails(posts, ns, self.settings, switches)
        for (article, _), key in zip(articles, keys, strict=True):
            where = os.path.relpath(article.source_path)
            problems += [f"{where}: newsletter: {p}" for p in store.problems(key)]
        slugs = {}
        for post in posts:
            if post.slug in slugs:
                problems.append(
                    f"{post.source} and {slugs[post.slug]} share the slug {post.slug!r}, "
                    "and so the newsletter folder: give one of them another 'Slug:'."
                )
            slugs[post.slug] = post.source
        if problems:
            store.close()
            raise NewsletterBuildError(problems)
        self.emails = (Path(self.output_path) / ns.output_dir, store,
                       [(post.slug, key) for post, key in zip(posts, keys, strict=True)])

    def generate_output(self, writer):
        if self.emails is None:
            return
        folder, store, posts = self.emails
        self.emails = None
        try:
            write_emails(folder, ((slug, store.files(key)) for slug, key in posts))
        finally:
            store.close()


def post_emails(posts, ns, pelican_settings, switches):
    """(store, keys): an EmailStore holding every PostSource's email (its files and
    problems) under keys[i] for posts[i]: cached by an earlier build, else composed now
    (and cached for the next)."""
    templates = EmailTemplates(ns.theme_templates)
    summary_rule = SummaryRule(
        pelican_settings.get("SUMMARY_MAX_LENGTH") or 50,
        pelican_settings.get("SUMMARY_END_SUFFIX", "…"),
    )
    cache = None
    if switches.email_cache:
        cache = EmailCache(pelican_settings, shared_fingerprint(ns, summary_rule, templates))
        keys = [cache.key(post) for post in posts]
        store, missing = cache.store_for(keys)
    else:
        keys = list(range(len(posts)))
        store, missing = EmailStore.new(), keys
    try:
        post_of = dict(zip(keys, posts, strict=True))
        composed = compose_each([post_of[key] for key in missing], ns, templates, summary_rule,
                                compress=bool(cache and cache.compress),
                                parallel=switches.email_pool)
        for key, (problems, entry) in zip(missing, composed, strict=True):
            store.add(key, problems, entry)
        store.finish()
    except BaseException:
        store.close()
        raise
    if cache is not None:
        cache.save(store)
    return store, keys


def read_post(article, status, ns, pelican_settings):
    """The PostSource of a Pelican article: all its email is made of, as plain values.

    Private API: Pelican has no public way to resolve `{filename}` links in a text other than
    the content itself, nor to read the content as the reader made it, so this function
    (and only this one) uses `Content._update_content` and `Content._content`, as checked
    against Pelican 4.12.0; tests/test_pelican_private_api.py fails when Pelican changes them.
    """
    siteurl = ns.siteurl
    if status == "draft":
        path = pelican_settings["ARTICLE_URL"].format(**article.url_format)
    else:
        path = article.url
    raw_summary = article.metadata.get("summary") or ""
    return PostSource(
        post_id=article.post_id,
        slug=article.slug,
        title=article.title,
        url=f"{siteurl}/{path}",
        date=article.date,
        date_text=article.date.strftime(ns.date_format),
        status=status,
        source=Path(article.relative_source_path).as_posix(),
        author=getattr(getattr(article, "author", None), "name", ""),
        category=getattr(getattr(article, "category", None), "name", ""),
        content=article.get_content(siteurl),
        raw_content=article._content,
        raw_summary=raw_summary,
        summary=article._update_content(raw_summary, siteurl) if raw_summary else "",
        front_matter={k: article.metadata[k] for k in FRONT_MATTER if k in article.metadata},
    )


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
