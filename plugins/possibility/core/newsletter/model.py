"""The records that travel from the build to the sender, and the email a backend sends.

The build writes one `meta.json` per post into output/<NEWSLETTER_OUTPUT_DIR>/<slug>/;
the sender reads them back (`load_posts`) and never needs Pelican. Sending what the
build wrote means the email that goes out is exactly the one that was checked,
previewed and deployed.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from possibility.common import PossibilityError

META_SCHEMA = 2
META_FILE = "meta.json"  # the record, and under "html" the HTML part as sent
PREVIEW_FILE = "index.html"  # the email as a subscriber sees it (sample merge values)
TEXT_FILE = "email.txt"  # the plain-text part as sent


class OutputError(PossibilityError):
    """The built newsletter files are missing or unreadable; the message says what to do."""


@dataclass(frozen=True)
class SiteInfo:
    name: str
    tagline: str
    url: str


@dataclass(frozen=True)
class PostRecord:
    """One post as the newsletter sees it; pure data, identity first."""

    post_id: str
    slug: str
    title: str
    url: str
    date: datetime
    status: str  # "published", "hidden" or "draft" (future-dated posts are drafts too)
    newsletter: bool  # False when the front matter says `Newsletter: no`
    groups: tuple = ()  # interest groups the email targets; () = the whole list
    subject: str = ""
    preview: str = ""
    content_hash: str = ""
    author: str = ""
    date_text: str = ""
    category: str = ""
    summary_html: str = ""
    source: str = ""
    site: SiteInfo | None = None
    folder: Path | None = field(default=None, compare=False)  # where its email files are
    has_email: bool = False

    def to_json(self):
        data = {
            "schema": META_SCHEMA,
            "post_id": self.post_id,
            "slug": self.slug,
            "title": self.title,
            "url": self.url,
            "date": self.date.isoformat(),
            "date_text": self.date_text,
            "status": self.status,
            "newsletter": self.newsletter,
            "groups": list(self.groups),
            "subject": self.subject,
            "preview": self.preview,
            "content_hash": self.content_hash,
            "author": self.author,
            "category": self.category,
            "summary_html": self.summary_html,
            "source": self.source,
            "site": vars(self.site) if self.site else None,
            "email": {"preview": PREVIEW_FILE, "text": TEXT_FILE} if self.has_email else None,
        }
        return data

    @classmethod
    def from_json(cls, data, folder=None):
        if data.get("schema") != META_SCHEMA:
            raise OutputError(
                f"{folder}: meta.json has schema {data.get('schema')!r}, not {META_SCHEMA}: "
                "rebuild the site with this version."
            )
        site = data.get("site")
        return cls(
            post_id=data["post_id"],
            slug=data["slug"],
            title=data["title"],
            url=data["url"],
            date=datetime.fromisoformat(data["date"]),
            date_text=data.get("date_text", ""),
            status=data["status"],
            newsletter=bool(data["newsletter"]),
            groups=tuple(data.get("groups", ())),
            subject=data.get("subject", ""),
            preview=data.get("preview", ""),
            content_hash=data.get("content_hash", ""),
            author=data.get("author", ""),
            category=data.get("category", ""),
            summary_html=data.get("summary_html", ""),
            source=data.get("source", ""),
            site=SiteInfo(**site) if site else None,
            folder=folder,
            has_email=bool(data.get("email")),
        )


@dataclass(frozen=True)
class Email:
    """One email (campaign) as a backend receives it.

    `key` is its stable identity: the post's identity (`urn:uuid:...`) for a single post,
    `digest:urn:uuid:...` (derived from its posts) for a digest. A backend marks the
    campaign with it (Mailchimp: `settings.title`) so a resumed run can find it again.
    `html` and `text` carry Mailchimp's merge tags; `groups` are interest group names.
    """

    key: str
    kind: str  # "post" or "digest"
    subject: str
    preview: str
    html: str
    text: str
    groups: tuple = ()
    posts: tuple = ()  # the PostRecords it carries

    @property
    def name(self):
        """A short, file-name-safe label: the post's slug, or digest-<first slug>."""
        first = self.posts[0].slug if self.posts else "email"
        return first if self.kind == "post" else f"digest-{first}"


def content_hash(**parts):
    """Hash of what a post's email is made of, independent of SITEURL and templates.

    Changes when the author edits the post (so "changed since sent" means an edit), not
    when the site moves or the email template is restyled.
    """
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


def record_text(record, html=None):
    """The text of a post's meta.json; `html`: its email's HTML part as sent, if any.

    The HTML part travels in meta.json rather than in a file of its own: creating files
    is most of what writing a build's emails costs, and only the sender reads it."""
    data = record.to_json()
    data["html"] = html
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_record(folder, record, html=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / META_FILE).write_text(record_text(record, html), encoding="utf-8")


def load_posts(newsletter_dir):
    """Every PostRecord the last build wrote, oldest first."""
    newsletter_dir = Path(newsletter_dir)
    if not newsletter_dir.is_dir():
        raise OutputError(
            f"{newsletter_dir} does not exist: build the site first (invoke preview), "
            "with 'possibility.site.newsletter' in PLUGINS."
        )
    records = []
    for meta in sorted(newsletter_dir.glob(f"*/{META_FILE}")):
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise OutputError(f"cannot read {meta}: {exc}; rebuild the site.") from None
        records.append(PostRecord.from_json(data, meta.parent))
    seen = {}
    for record in records:
        if record.post_id in seen:
            raise OutputError(
                f"posts {seen[record.post_id]} and {record.slug} share the identity "
                f"{record.post_id}: give one of them a new Post-Id."
            )
        seen[record.post_id] = record.slug
    return sorted(records, key=lambda r: (r.date, r.slug))


def read_parts(record):
    """The (html, text) parts of a post's email, as sent (with merge tags)."""
    if not record.has_email or record.folder is None:
        raise OutputError(f"{record.slug} has no rendered email: rebuild the site.")
    try:
        html = json.loads((record.folder / META_FILE).read_text(encoding="utf-8"))["html"]
        text = (record.folder / TEXT_FILE).read_text(encoding="utf-8")
    except (OSError, ValueError, KeyError) as exc:
        raise OutputError(f"cannot read the email of {record.slug}: {exc}; rebuild.") from None
    if not isinstance(html, str):
        raise OutputError(f"{record.slug}: meta.json holds no HTML part; rebuild the site.")
    return html, text
