"""The stable identity of a post, as a `urn:uuid:` URI.

A post's identity is the `Post-Id:` UUID in its front matter, which `invoke new-post`
writes. A post without one falls back to a UUID derived from its source file's path
relative to the content folder: stable while the file keeps its name, so add a
`Post-Id` before renaming the file of a post that has been published.
"""

import uuid
from pathlib import PurePath

FALLBACK_NAMESPACE = uuid.UUID("5b0e7c1e-7f3a-4f0e-9a57-2f6c5d1e8b42")


def post_identity(metadata, relative_source_path):
    explicit = metadata.get("post-id")
    if explicit:
        return uuid.UUID(str(explicit).strip()).urn
    key = PurePath(relative_source_path).as_posix()
    return uuid.uuid5(FALLBACK_NAMESPACE, key).urn


def is_uuid(value):
    """Whether `value` reads as a UUID (a Post-Id or an Event-Id)."""
    try:
        uuid.UUID(str(value).strip())
    except ValueError:
        return False
    return True


def new_post_id():
    return str(uuid.uuid4())
