"""Every new post becomes a reviewed email, sent exactly once.

Build time (this plugin): each post's email is rendered, checked and written to
output/newsletter/<slug>/ (see `generator`); a problem stops the build. Send time
(`invoke newsletter-send`, `invoke publish`): `send` decides what is due from the built
files and the committed ledger, and delivers it through a backend (the local outbox, or
Mailchimp). Settings: `possibility.core.newsletter.settings`; the build's two speed
switches, NEWSLETTER_EMAIL_POOL and NEWSLETTER_EMAIL_CACHE: `build_settings`.
"""

from pelican import signals

from .generator import get_generators, prepare_emails


def register():
    signals.get_generators.connect(get_generators)
    signals.all_generators_finalized.connect(prepare_emails)
