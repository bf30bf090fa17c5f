"""The contract between the sender (`possibility.commands.send`) and a delivery backend,
and the rule that decides, among campaigns that carry the same post, which one may go.

The sender drives one email through these steps, writing the ledger before and after
each irreversible one, and resumes a killed run from the last state it wrote:

    survey() -> find(key) -> create(email) -> set_content(id, email) -> check(id)
        -> standing(id, key) -> [send_test(id, email, addresses)]
        -> standing(id, key) -> send(id) -> get(id) (to resume or sync)

`survey` reads every campaign this pipeline made in the list, once a run; `standing`
looks again, immediately before each irreversible step, and says whether this campaign
is the one allowed to go (`standing_of`, below); `delete` removes a draft that lost.
`invoke newsletter-cancel` calls unschedule(id) on a scheduled campaign.

A backend keeps no state of its own about what the sender did: everything it needs to
answer `survey`, `find` and `get` must live where the campaign lives (the outbox folder,
the Mailchimp account), because the ledger may lag behind: after a crash, or on another
machine whose ledger has not been pulled.

The rule (`holders`): every campaign names the posts it carries. Campaigns are taken in
a fixed order: the ones sent or scheduled first, then drafts by creation time, then id.
Each campaign holds its posts unless an earlier campaign already holds one of them; a
draft that cannot hold all of its posts holds none, and has lost. Everyone who reads the
same campaigns computes the same holders, whatever machine they run on; why that keeps
two publishers from sending one post twice is argued in `mailchimp_backend`.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime

from possibility.common import PossibilityError

CAMPAIGN_STATES = ("draft", "scheduled", "sent")
GONE_FOR_GOOD = ("scheduled", "sent")  # irreversible: the posts are the campaign's
EARLIEST = datetime.min.replace(tzinfo=UTC)


class BackendError(PossibilityError):
    """A backend could not do a step; the message says what to check (never a secret).

    The sender stops at once: the ledger says how far the email got, and the next run
    resumes from there.
    """


class CampaignGone(BackendError):
    """The campaign no longer exists (deleted in the backend's own interface)."""


class NotDraft(BackendError):
    """The campaign cannot be changed: it went out meanwhile (`campaign` says how)."""

    def __init__(self, message, campaign):
        super().__init__(message)
        self.campaign = campaign


class Unconfirmed(BackendError):
    """The request may or may not have been carried out (its answer was lost)."""


@dataclass(frozen=True)
class Campaign:
    """What a backend knows of one campaign."""

    id: str
    key: str  # the Email.key it was created for (Mailchimp: from settings.title)
    status: str  # "draft", "scheduled" or "sent" (sending counts as sent); anything
    #             else is a state this pipeline never makes ("canceled"): for a human
    sent_at: datetime | None = None  # when it went (or goes) out, if known
    location: str | None = None  # where a human can see it (outbox file, archive URL)
    posts: tuple = ()  # identities of the posts it carries (empty: an old digest)
    kind: str = ""  # "post" or "digest"
    created: datetime | None = None  # the backend's creation time


@dataclass(frozen=True)
class Delivery:
    """The result of `send`: sent now, or scheduled for `at`."""

    state: str  # "sent" or "scheduled"
    at: datetime | None = None
    location: str | None = None


@dataclass(frozen=True)
class Standing:
    """Where one campaign stands among the campaigns that share its posts.

    verdict:
      "win"    it holds all its posts: it may be tested and sent now
      "done"   it was sent or scheduled already (`campaign`)
      "gone"   it no longer exists
      "adopt"  another campaign of the same email holds them (`campaign`): use that one
      "lost"   other emails hold some of its posts (`taken`: (post id, Campaign) pairs)
    `losers`: ids of drafts of this email that lost for good (it may be one of them):
    nothing can ever make them sendable, so deleting them is safe.
    """

    verdict: str
    campaign: Campaign | None = None
    taken: tuple = ()
    losers: tuple = ()


def order(campaign):
    """The fixed order of the rule: sent or scheduled first, then by creation, then id."""
    return (campaign.status == "draft", campaign.created or EARLIEST, campaign.id)


def holders(campaigns):
    """(post id -> the campaign that holds it, ids of the campaigns that hold their posts).

    A campaign that is not a draft always keeps its posts (they went, or go, out with
    it); a draft holds its posts only if no earlier campaign holds any of them.
    """
    held, winners = {}, set()
    for campaign in sorted((c for c in campaigns if c.posts), key=order):
        if campaign.status == "draft" and any(p in held for p in campaign.posts):
            continue
        winners.add(campaign.id)
        for post_id in campaign.posts:
            held.setdefault(post_id, campaign)
    return held, winners


def best_of(campaigns, key):
    """The campaign to carry on with for the email `key`: one already sent or scheduled,
    else a draft holding its posts, else the earliest draft; None when there is none."""
    same = [c for c in campaigns if c.key == key]
    if not same:
        return None
    _, winners = holders(campaigns)
    return min(same, key=lambda c: (c.status == "draft", c.id not in winners, order(c)))


def standing_of(campaigns, campaign_id, key, fenced=lambda campaign: True):
    """The Standing of campaign `campaign_id` (of the email `key`) among `campaigns`.

    `fenced(campaign)`: whether no campaign made from now on can come before it in the
    order (see `mailchimp_backend`: a look taken long enough after it was first seen).
    A draft that lost is deleted only when its loss is final: it is fenced itself, or
    the campaign that beat it is fenced or already went out.
    """
    by_id = {c.id: c for c in campaigns}
    me = by_id.get(campaign_id)
    if me is None:
        return Standing("gone")
    held, winners = holders(campaigns)

    def lost_for_good(draft):
        beaten_by = [held[p] for p in draft.posts if held.get(p, draft).id != draft.id]
        return fenced(draft) or any(
            b.status != "draft" or fenced(b) for b in beaten_by)

    losers = tuple(sorted(
        c.id for c in campaigns
        if c.key == key and c.status == "draft" and c.posts and c.id not in winners
        and lost_for_good(c)))
    if me.status != "draft":
        return Standing("done", me, losers=losers)
    if not me.posts or me.id in winners:
        return Standing("win", me, losers=losers)
    same = sorted((by_id[i] for i in winners if by_id[i].key == key), key=order)
    if same:
        return Standing("adopt", same[0], losers=losers)
    taken = tuple((p, held[p]) for p in me.posts if p in held and held[p].id != me.id)
    return Standing("lost", taken=taken, losers=losers)


def odd_status(backend_name, campaign):
    return BackendError(
        f"{backend_name.capitalize()} campaign {campaign.id} is '{campaign.status}', which "
        "this pipeline never makes: look at it in "
        f"{backend_name.capitalize()}, then mark the post in the ledger by hand "
        "(or invoke newsletter-cancel SLUG).")


class Backend(ABC):
    """One way to deliver an Email to the list. Subclasses set `name` (in the ledger)."""

    name = "backend"

    @property
    def destination(self):
        """Where this backend's emails go, as the ledger records them: the backend and,
        when it has several, which one (Mailchimp: `mailchimp:<list_id>`). The outbox's,
        `outbox`, is a rehearsal: it reaches no subscriber (`ledger.is_rehearsal`)."""
        return self.name

    @abstractmethod
    def survey(self):
        """Every campaign this pipeline made in the list (Campaigns), read afresh."""

    def known(self):
        """The campaigns as last read (a backend that reads cheaply reads again)."""
        return self.survey()

    def find(self, key):
        """The campaign to carry on with for the email `key` (see `best_of`), or None.

        Called before every create of an email whose ledger state is `creating`, so a
        run killed between create and its ledger record never makes a second one.
        """
        return best_of(self.known(), key)

    def standing(self, campaign_id, key):
        """Look again, now, and say where the campaign stands (`standing_of`)."""
        return standing_of(self.survey(), campaign_id, key)

    @abstractmethod
    def create(self, email):
        """Create a draft campaign for `email` (marked with `email.key` and its posts,
        targeting `email.groups`; () = the whole list) and return its id. Sends nothing."""

    @abstractmethod
    def set_content(self, campaign_id, email):
        """Give the campaign its subject, preview, groups, HTML and text. Idempotent.
        CampaignGone when it no longer exists, NotDraft when it went out meanwhile."""

    @abstractmethod
    def check(self, campaign_id):
        """Problems that stop the campaign from being sent (empty list: ready). No side
        effects; Mailchimp: the send-checklist's reasons. CampaignGone as above."""

    @abstractmethod
    def send_test(self, campaign_id, email, addresses):
        """Send a test of the campaign to `addresses`. Unconfirmed when the answer was
        lost (the test may have gone): the sender never repeats it blindly."""

    @abstractmethod
    def send(self, campaign_id):
        """Send (or schedule, per the backend's own settings) the campaign; return a
        Delivery. The one irreversible step: must raise BackendError rather than deliver
        a campaign that was already sent. An ambiguous failure (timeout) should raise;
        the sender then asks `get` before ever calling `send` again."""

    @abstractmethod
    def get(self, campaign_id):
        """The Campaign with that id, or None when it does not exist."""

    @abstractmethod
    def delete(self, campaign_id):
        """Delete a draft that lost (see Standing.losers); done when it is already gone."""

    def unschedule(self, campaign_id):
        """Take a scheduled campaign back to a draft (`invoke newsletter-cancel`). Only a
        backend whose `send` can schedule overrides this."""
        raise BackendError(
            f"the {self.name} backend never schedules a campaign: {campaign_id} has nothing "
            "to unschedule."
        )
