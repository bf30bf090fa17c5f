"""Render a post (or a digest of posts) as an email: HTML with inlined CSS, plain text,
subject and preview text.

Templates are Jinja2 files in `templates/` beside this module; a theme can override any
of them from `<THEME>/templates/newsletter/`; `EmailTemplates` reads them once per build.
CSS is inlined with css_inline (many email clients drop <style> blocks); the @media
rules, which cannot be inlined, stay in a `<style data-css-inline="keep">`.
The HTML and text carry Mailchimp's merge tags; `fill_merge_tags` swaps in sample values
for the local preview and the outbox.
"""

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

import css_inline
import jinja2
from markupsafe import Markup

from .html_transform import html_to_text

TEMPLATES = Path(__file__).resolve().parent / "templates"
MERGE_TAGS = {
    "unsubscribe": "*|UNSUB|*",
    "update_profile": "*|UPDATE_PROFILE|*",
    "address_html": "*|HTML:LIST_ADDRESS_HTML|*",
    "address_text": "*|LIST:ADDRESS|*",
}
SAMPLE_ADDRESS = "{name} · 1 Sample Street · Springfield, NJ 07081 · USA"
SAMPLE_URLS = {
    "*|UNSUB|*": "https://example.com/unsubscribe?sample=1",
    "*|UPDATE_PROFILE|*": "https://example.com/update-profile?sample=1",
}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    preview: str
    html: str  # with merge tags, CSS inlined
    text: str  # with merge tags


class EmailTemplates:
    """Every template file (a theme's overrides first, then ours), read once.

    Rendering and `fingerprint` both use these very bytes, so an email cached under the
    fingerprint is always the one these templates make.
    """

    def __init__(self, theme_templates=None):
        folders = [TEMPLATES]
        if theme_templates and Path(theme_templates).is_dir():
            folders.append(Path(theme_templates))
        self.sources = {}  # name -> (bytes, file name)
        for folder in folders:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    self.sources[path.relative_to(folder).as_posix()] = (
                        path.read_bytes(), str(path))
        digest = hashlib.sha256()
        for name, (data, _) in sorted(self.sources.items()):
            digest.update(f"{len(name)}:{name}{len(data)}:".encode() + data)
        self.fingerprint = digest.hexdigest()

    @cached_property
    def environment(self):
        return jinja2.Environment(
            loader=jinja2.FunctionLoader(self._source),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )

    def _source(self, name):
        """What jinja2.FileSystemLoader would read: UTF-8, universal newlines."""
        if name not in self.sources:
            return None
        data, filename = self.sources[name]
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        return text, filename, lambda: True


# Its configuration never changes, so one inliner serves every email.
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)


def _inline(html):
    return _INLINER.inline(html)


def _context(site, subject, preview, lang):
    return {
        "site": site,
        "domain": urlsplit(site.url).hostname or site.url,
        "subject": subject,
        "preview": preview,
        "lang": lang,
        "merge": {key: Markup(tag) for key, tag in MERGE_TAGS.items()},
    }


def render_post(record, body_html, *, templates=None, theme_templates=None, lang="en"):
    """The email of one post. `body_html`: its content (or summary), links absolute.
    `templates`: EmailTemplates, else read from `theme_templates` and ours."""
    env = (templates or EmailTemplates(theme_templates)).environment
    context = _context(record.site, record.subject, record.preview, lang)
    context["post"] = record
    html = env.get_template("post.html").render(context, body=Markup(body_html))
    text = env.get_template("post.txt").render(context, body=html_to_text(body_html))
    return RenderedEmail(record.subject, record.preview, _inline(html), _tidy(text))


def render_digest(records, *, subject, preview, theme_templates=None, lang="en"):
    """One email for several posts: each one's title, byline, summary and link."""
    env = EmailTemplates(theme_templates).environment
    context = _context(records[0].site, subject, preview, lang)
    html_posts = [_DigestPost(r, Markup(r.summary_html)) for r in records]
    text_posts = [_DigestPost(r, html_to_text(r.summary_html).strip()) for r in records]
    html = env.get_template("digest.html").render(context, posts=html_posts)
    text = env.get_template("digest.txt").render(context, posts=text_posts)
    return RenderedEmail(subject, preview, _inline(html), _tidy(text))


@dataclass(frozen=True)
class _DigestPost:
    record: object
    summary: str

    def __getattr__(self, name):
        return getattr(self.record, name)


def fill_merge_tags(text, site_name):
    """`text` with Mailchimp's merge tags replaced by sample values (preview, outbox)."""
    address = SAMPLE_ADDRESS.format(name=site_name)
    values = dict(SAMPLE_URLS)
    values["*|HTML:LIST_ADDRESS_HTML|*"] = Markup.escape(address)
    values["*|LIST:ADDRESS|*"] = address
    for tag, value in values.items():
        text = text.replace(tag, str(value))
    return text


def _tidy(text):
    """Plain text without trailing spaces or runs of blank lines."""
    lines = [line.rstrip() for line in text.splitlines()]
    out = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"
