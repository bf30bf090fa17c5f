"""Give every post one stable identity: feed entry ids, the newsletter ledger and
Mailchimp campaign titles all use it, so fixing a slug, title or date never makes a
post look new to a feed reader or the mailing list.
"""

from pelican import signals
from pelican.contents import Article

from possibility.core.identity import post_identity


def set_post_id(content):
    if isinstance(content, Article):
        content.post_id = post_identity(content.metadata, content.relative_source_path)


def register():
    signals.content_object_init.connect(set_post_id)
