"""One post's email, made from plain values: its record, its rendered email, its problems.

Pure: `PostSource` holds everything read from the Pelican article, and nothing else goes
in but the newsletter settings and the templates. That is what lets the build keep the
result between builds under a fingerprint of those inputs (`email_cache`), and compose
it in another process (`email_pool`).
"""

from dataclasses import dataclass, replace
from datetime import datetime

from pelican.utils import truncate_html_words

from possibility.core.newsletter.email_checks import check_email
from possibility.core.newsletter.email_images import email_images
from possibility.core.newsletter.html_transform import absolutize
from possibility.core.newsletter.model import PostRecord, SiteInfo, content_hash
from possibility.core.newsletter.post_fields import newsletter_fields
from possibility.core.newsletter.render_email import render_post
from possibility.core.text import one_line

FRONT_MATTER = ("newsletter", "newsletter-groups", "subject", "preview")


@dataclass(frozen=True)
class PostSource:
    """A post as its email needs it, read from Pelican (see generator.read_post)."""

    post_id: str
    slug: str
    title: str  # text, as written (Pelican reads a title as is)
    url: str  # absolute
    date: datetime
    date_text: str
    status: str  # "published", "hidden" or "draft"
    source: str  # relative to PATH, posix
    author: str
    category: str
    content: str  # HTML, links to the site resolved
    raw_content: str  # HTML as the reader made it (for the content hash)
    raw_summary: str  # the Summary's HTML as read (possibility.core.text's rule), or ""
    summary: str  # raw_summary, links to the site resolved, or ""
    front_matter: dict  # the FRONT_MATTER fields the post sets


@dataclass(frozen=True)
class SummaryRule:
    """Pelican's SUMMARY_MAX_LENGTH and SUMMARY_END_SUFFIX, for posts without a Summary."""

    max_length: int = 50
    end_suffix: str = "…"


@dataclass(frozen=True)
class PostEmail:
    """What the build writes for one post; `rendered` is None when no email is due."""

    record: PostRecord
    rendered: object  # RenderedEmail | None
    problems: tuple


def compose(post, ns, templates, summary_rule=SummaryRule()):
    """The PostEmail of `post` under the NewsletterSettings `ns` and EmailTemplates."""
    content = absolutize(email_images(post.content, ns.image_max_width), post.url,
                         max_image_width=ns.image_max_width)
    if post.raw_summary:
        summary = absolutize(post.summary, post.url)
    else:
        summary = truncate_html_words(content, summary_rule.max_length, summary_rule.end_suffix)
    fields, problems = newsletter_fields(
        post.front_matter, title=post.title, summary_html=summary, category=post.category,
        settings=ns,
    )
    record = PostRecord(
        post_id=post.post_id,
        slug=post.slug,
        title=one_line(post.title),
        url=post.url,
        date=post.date,
        date_text=post.date_text,
        status=post.status,
        newsletter=fields.newsletter,
        groups=fields.groups,
        subject=fields.subject,
        preview=fields.preview,
        content_hash=content_hash(
            title=post.title, subject=fields.subject, preview=fields.preview,
            content=post.raw_content, summary=post.raw_summary,
        ),
        author=post.author,
        category=post.category,
        summary_html=summary,
        source=post.source,
        site=SiteInfo(ns.site_name, ns.site_tagline, ns.siteurl),
    )
    if post.status == "hidden" or not fields.newsletter:
        return PostEmail(record, None, tuple(problems))
    body = content if ns.content == "full" else summary
    rendered = render_post(record, body, templates=templates, lang=ns.lang)
    problems += check_email(
        rendered.html, rendered.text, rendered.subject,
        max_html_bytes=ns.max_html_bytes, max_subject=ns.max_subject,
    )
    return PostEmail(replace(record, has_email=True), rendered, tuple(problems))
