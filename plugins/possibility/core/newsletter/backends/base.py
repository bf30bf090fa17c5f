"""The contract between the sender (`possibility.commands.send`) and a delivery backend.

The sender drives one email through these steps, writing the ledger before and after
each irreversible one, and resumes a killed run from the last state it wrote:

    find(key) -> create(email) -> set_content(id, email) -> check(id)
        -> [send_test(id, email, addresses)] -> send(id) -> get(id) (to resume or sync)

and `invoke newsletter-cancel` calls unschedule(id) on a scheduled campaign.

A backend keeps no state of its own about what the sender did: everything it needs to
answer `find` and `get` must live where the campaign lives (the outbox folder, the
Mailchimp account), because the ledger may lag one step behind after a crash.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

from possibility.common import PossibilityError

CAMPAIGN_STATES = ("draft", "scheduled", "sent")


class BackendError(PossibilityError):
    """A backend could not do a step; the message says what to check (never a secret).

    The sender stops at once: the ledger says how far the email got, and the next run
    resumes from there.
    """


@dataclass(frozen=True)
class Campaign:
    """What a backend knows of one campaign."""

    id: str
    key: str  # the Email.key it was created for (Mailchimp: settings.title)
    status: str  # "draft" (not sent yet), "scheduled" or "sent" (or sending: irreversible)
    sent_at: datetime | None = None  # when it went (or goes) out, if known
    location: str | None = None  # where a human can see it (outbox file, archive URL)


@dataclass(frozen=True)
class Delivery:
    """The result of `send`: sent now, or scheduled for `at`."""

    state: str  # "sent" or "scheduled"
    at: datetime | None = None
    location: str | None = None


class Backend(ABC):
    """One way to deliver an Email to the list. Subclasses set `name` (in the ledger)."""

    name = "backend"

    @abstractmethod
    def find(self, key):
        """The campaign an earlier `create(email)` made for `key`, or None.

        Called before every create of an email whose ledger state is `creating`, so a
        run killed between create and its ledger record never makes a second one.
        """

    @abstractmethod
    def create(self, email):
        """Create a draft campaign for `email` (marked with `email.key`, targeting
        `email.groups`; () = the whole list) and return its id. Sends nothing."""

    @abstractmethod
    def set_content(self, campaign_id, email):
        """Give the campaign its subject, preview, HTML and text. Idempotent."""

    @abstractmethod
    def check(self, campaign_id):
        """Problems that stop the campaign from being sent (empty list: ready). No side
        effects; Mailchimp: the send-checklist's reasons."""

    @abstractmethod
    def send_test(self, campaign_id, email, addresses):
        """Send a test of the campaign to `addresses` (may be repeated on resume)."""

    @abstractmethod
    def send(self, campaign_id):
        """Send (or schedule, per the backend's own settings) the campaign; return a
        Delivery. The one irreversible step: must raise BackendError rather than deliver
        a campaign that was already sent. An ambiguous failure (timeout) should raise;
        the sender then asks `get` before ever calling `send` again."""

    @abstractmethod
    def get(self, campaign_id):
        """The Campaign with that id, or None when it does not exist."""

    def unschedule(self, campaign_id):
        """Take a scheduled campaign back to a draft (`invoke newsletter-cancel`). Only a
        backend whose `send` can schedule overrides this."""
        raise BackendError(
            f"the {self.name} backend never schedules a campaign: {campaign_id} has nothing "
            "to unschedule."
        )
