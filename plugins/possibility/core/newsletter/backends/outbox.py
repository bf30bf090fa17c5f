"""The default backend: each email becomes a standard .eml file in a local folder.

    outbox/2026-11-24-new-post.eml        what "the list" received (open in any mail app)
    outbox/tests/...-test.eml             test emails (--test-to)
    outbox/.campaigns/<id>.json, .eml     campaigns, as Mailchimp would keep them

It behaves like a real service so the pipeline's exactly-once logic is exercised for
real: a campaign is found again by its key and the posts it carries, a draft that lost
can be deleted, and sending one that already went raises. Merge tags are filled with
sample values so the message reads like the real thing. One machine owns an outbox, so
its look before each irreversible step needs no fence (see `mailchimp_backend`).
"""

import json
import uuid
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from pathlib import Path

from possibility.common import write_atomically
from possibility.core.newsletter.render_email import SAMPLE_URLS, fill_merge_tags

from .base import Backend, BackendError, Campaign, CampaignGone, Delivery


class OutboxBackend(Backend):
    name = "outbox"
    destination = "outbox"  # a rehearsal: the ledger never counts it as sent to subscribers

    def __init__(self, folder, *, from_address, to_address, site_name, domain, clock=None):
        self.folder = Path(folder)
        self.from_address = from_address
        self.to_address = to_address
        self.site_name = site_name
        self.domain = domain
        self.clock = clock or (lambda: datetime.now(UTC))

    @classmethod
    def from_settings(cls, settings, clock=None):
        return cls(
            settings.outbox_path, from_address=settings.from_address,
            to_address=settings.to_address, site_name=settings.site_name,
            domain=settings.domain, clock=clock,
        )

    # The campaign store -------------------------------------------------------------

    @property
    def _campaigns(self):
        return self.folder / ".campaigns"

    def _load(self, campaign_id):
        try:
            return json.loads((self._campaigns / f"{campaign_id}.json").read_text("utf-8"))
        except FileNotFoundError:
            return None

    def _store(self, campaign):
        write_atomically(
            self._campaigns / f"{campaign['id']}.json",
            (json.dumps(campaign, indent=2, sort_keys=True) + "\n").encode("utf-8"),
        )

    # Backend ----------------------------------------------------------------------

    def survey(self):
        if not self._campaigns.is_dir():
            return []
        return [self._campaign(json.loads(path.read_text("utf-8")))
                for path in sorted(self._campaigns.glob("*.json"))]

    def create(self, email):
        campaign_id = f"outbox-{uuid.uuid4().hex[:12]}"
        name = f"{self.clock():%Y-%m-%d}-{email.name}.eml"
        if (self.folder / name).exists():
            name = f"{self.clock():%Y-%m-%d}-{email.name}-{campaign_id}.eml"
        self._store({
            "id": campaign_id, "key": email.key, "file": name, "status": "draft",
            "subject": email.subject, "groups": list(email.groups), "kind": email.kind,
            "posts": [p.post_id for p in email.posts], "created": self.clock().isoformat(),
        })
        return campaign_id

    def set_content(self, campaign_id, email):
        campaign = self._require(campaign_id)
        message = self._message(campaign_id, email, to=self.to_address, subject=email.subject)
        write_atomically(self._campaigns / f"{campaign_id}.eml", bytes(message))
        campaign.update(subject=email.subject, groups=list(email.groups))
        self._store(campaign)

    def check(self, campaign_id):
        self._require(campaign_id)
        path = self._campaigns / f"{campaign_id}.eml"
        if not path.is_file():
            return ["the campaign has no content yet"]
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        problems = []
        if not message["List-Unsubscribe"]:
            problems.append("the message has no List-Unsubscribe header")
        for subtype in ("plain", "html"):
            if message.get_body(preferencelist=(subtype,)) is None:
                problems.append(f"the message has no text/{subtype} part")
        return problems

    def send_test(self, campaign_id, email, addresses):
        self._require(campaign_id)
        message = self._message(
            campaign_id, email, to=", ".join(addresses), subject=f"[Test] {email.subject}",
            test=True,
        )
        message["Date"] = format_datetime(self.clock())
        name = f"{self.clock():%Y-%m-%d-%H%M%S}-{email.name}-test.eml"
        write_atomically(self.folder / "tests" / name, bytes(message))

    def send(self, campaign_id):
        campaign = self._require(campaign_id)
        target = self.folder / campaign["file"]
        if campaign["status"] == "sent" or target.exists():
            raise BackendError(f"campaign {campaign_id} was already sent ({target}).")
        content = self._campaigns / f"{campaign_id}.eml"
        if not content.is_file():
            raise BackendError(f"campaign {campaign_id} has no content: set it first.")
        message = BytesParser(policy=policy.SMTP).parsebytes(content.read_bytes())
        now = self.clock()
        message["Date"] = format_datetime(now)
        write_atomically(target, bytes(message))  # the rename is the delivery
        campaign.update(status="sent", sent_at=now.isoformat())
        self._store(campaign)
        return Delivery("sent", now, self._shown(target))

    def get(self, campaign_id):
        campaign = self._load(campaign_id)
        return None if campaign is None else self._campaign(campaign)

    def delete(self, campaign_id):
        campaign = self._load(campaign_id)
        if campaign is None:
            return
        if self._campaign(campaign).status != "draft":
            raise BackendError(f"campaign {campaign_id} was sent: it is never deleted.")
        (self._campaigns / f"{campaign_id}.eml").unlink(missing_ok=True)
        (self._campaigns / f"{campaign_id}.json").unlink()

    def _campaign(self, campaign):
        target = self.folder / campaign["file"]
        sent = target.exists()  # also right when a crash came before the status update
        sent_at, created = campaign.get("sent_at"), campaign.get("created")
        key = campaign["key"]
        posts = campaign.get("posts") or ([key] if key.startswith("urn:") else [])
        return Campaign(
            id=campaign["id"], key=key, status="sent" if sent else "draft",
            sent_at=datetime.fromisoformat(sent_at) if sent_at else None,
            location=self._shown(target) if sent else None, posts=tuple(posts),
            kind=campaign.get("kind") or ("post" if key.startswith("urn:") else "digest"),
            created=datetime.fromisoformat(created) if created else None,
        )

    def _shown(self, path):
        """`outbox/<file>.eml`: the same on every machine, so fit for the ledger."""
        return f"{self.folder.name}/{path.relative_to(self.folder).as_posix()}"

    # Helpers ----------------------------------------------------------------------

    def _require(self, campaign_id):
        campaign = self._load(campaign_id)
        if campaign is None:
            raise CampaignGone(f"no campaign {campaign_id} in {self._campaigns}.")
        return campaign

    def _message(self, campaign_id, email, *, to, subject, test=False):
        """A multipart/alternative message with sample merge values, as a list member
        would receive it (Date is added when it is sent)."""
        message = EmailMessage(policy=policy.SMTP)
        message["From"] = self.from_address
        message["To"] = to
        message["Subject"] = subject  # encoded per RFC 2047 when it is not ASCII
        message["Message-ID"] = f"<{campaign_id}{'.test' if test else ''}@{self.domain}>"
        message["List-Unsubscribe"] = f"<{SAMPLE_URLS['*|UNSUB|*']}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["X-Newsletter-Key"] = email.key
        message["X-Newsletter-Groups"] = ", ".join(email.groups) or "(the whole list)"
        message["X-Campaign-Id"] = campaign_id
        message.set_content(
            fill_merge_tags(email.text, self.site_name), subtype="plain", charset="utf-8",
            cte="quoted-printable",
        )
        message.add_alternative(
            fill_merge_tags(email.html, self.site_name), subtype="html", charset="utf-8",
            cte="quoted-printable",
        )
        return message
