"""Delivery backends: the local outbox (default) and Mailchimp (with MAILCHIMP_API_KEY).

The interface every backend implements is `base.Backend`; `choose_backend` picks one
from the environment, so secrets never pass through settings files.
"""

import os

from .base import (
    Backend,
    BackendError,
    Campaign,
    CampaignGone,
    Delivery,
    NotDraft,
    Standing,
    Unconfirmed,
    holders,
)
from .outbox import OutboxBackend

__all__ = ["Backend", "BackendError", "Campaign", "CampaignGone", "Delivery", "NotDraft",
           "OutboxBackend", "Standing", "Unconfirmed", "choose_backend", "holders"]


def choose_backend(settings, environ=None, clock=None):
    """Mailchimp when MAILCHIMP_API_KEY is set, else the outbox."""
    environ = os.environ if environ is None else environ
    if environ.get("MAILCHIMP_API_KEY"):
        from .mailchimp_backend import MailchimpBackend

        return MailchimpBackend.from_settings(settings, environ)
    return OutboxBackend.from_settings(settings, clock=clock)
