"""The newsletter build's speed switches, read and checked in one place.

The emails' own settings, which the sender shares, are `possibility.core.newsletter.settings`.
These two only choose how fast a build makes the very same files: each turns one piece
off, and the bytes written are identical either way (`bench/build_bench.py` measures what
each piece saves).

Setting (default): meaning.

NEWSLETTER_EMAIL_POOL (True): compose many emails on every core (`email_pool`); False
    composes them one after the other in the build's own process.
NEWSLETTER_EMAIL_CACHE (True): keep each post's email between builds and compose only
    those whose post, settings, templates or code changed (`email_cache`; it follows
    Pelican's CACHE_PATH, LOAD_CONTENT_CACHE, CACHE_CONTENT and GZIP_CACHE); False
    composes every email on every build.
"""

from dataclasses import dataclass

from possibility.common import switch
from possibility.core.newsletter.settings import NewsletterSettingsError


@dataclass(frozen=True)
class BuildSwitches:
    email_pool: bool = True
    email_cache: bool = True


def read_switches(pelican_settings):
    """BuildSwitches from Pelican's settings dict; NewsletterSettingsError if one is bad."""
    return BuildSwitches(
        email_pool=_switch(pelican_settings, "NEWSLETTER_EMAIL_POOL"),
        email_cache=_switch(pelican_settings, "NEWSLETTER_EMAIL_CACHE"),
    )


def _switch(settings, name):
    return switch(name, settings.get(name, True), error=NewsletterSettingsError)
