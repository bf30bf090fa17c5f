"""Each post's email kept between builds, under a fingerprint of everything it is made of.

A warm rebuild (livereload, a production build after one edit) then composes only the
posts whose email would differ. The fingerprint covers the post's `PostSource`, the
newsletter settings, Pelican's summary settings, the templates' texts and the code (this
package's source as loaded, Python's and the libraries' versions): whatever changes
makes another fingerprint, so a cached email is never stale. An entry not used by a build
is dropped when it saves.

It follows Pelican's content cache settings: CACHE_PATH (the file is
`NewsletterEmails`), LOAD_CONTENT_CACHE (false: every email is composed again),
CACHE_CONTENT (false: nothing is saved) and GZIP_CACHE.
"""

import gzip
import hashlib
import json
import logging
import pickle
import sys
from dataclasses import fields
from importlib import metadata
from pathlib import Path

from possibility.common import write_atomically

CACHE_NAME = "NewsletterEmails"
LIBRARIES = ("css-inline", "Jinja2", "lxml", "MarkupSafe", "pelican")
GZIP_MAGIC = b"\x1f\x8b"

logger = logging.getLogger(__name__)


def _code_fingerprint():
    """The source that renders and checks an email (this package and the newsletter core),
    and the versions of the libraries it uses."""
    digest = hashlib.sha256(sys.version.encode("utf-8"))
    for library in LIBRARIES:
        try:
            digest.update(f"{library} {metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library} ?".encode())
    package = Path(__file__).resolve().parent
    for folder in (package, package.parent.parent / "core" / "newsletter"):
        for path in sorted(folder.glob("*.py")):
            digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    return digest.hexdigest()


# Read when the plugin is loaded: the code a build runs, even if its files change later.
CODE = _code_fingerprint()


def shared_fingerprint(newsletter_settings, summary_rule, templates):
    """The fingerprint of what every post's email shares: settings, templates, code."""
    return hashlib.sha256(
        "\0".join([CODE, templates.fingerprint, repr(newsletter_settings), repr(summary_rule)])
        .encode("utf-8")
    ).hexdigest()


class EmailCache:
    """PostEmails by fingerprint: `get` or `put` each post's, then `save` once."""

    def __init__(self, pelican_settings, shared):
        self.path = Path(pelican_settings["CACHE_PATH"]) / CACHE_NAME
        self.shared = shared
        self.saving = bool(pelican_settings.get("CACHE_CONTENT"))
        self.compress = bool(pelican_settings.get("GZIP_CACHE"))
        self.loaded = self._load() if pelican_settings.get("LOAD_CONTENT_CACHE") else {}
        self.used = {}

    def key(self, post):
        """The fingerprint of one post's email: its PostSource plus the shared one."""
        values = {f.name: getattr(post, f.name) for f in fields(post)}
        blob = json.dumps(values, sort_keys=True, ensure_ascii=False, default=repr)
        return hashlib.sha256(f"{self.shared}\0{blob}".encode()).hexdigest()

    def get(self, key):
        email = self.loaded.get(key)
        if email is not None:
            self.used[key] = email
        return email

    def put(self, key, email):
        self.used[key] = email

    def save(self):
        """Write the entries this build used, if any differ from what was loaded."""
        if not self.saving or self.used.keys() == self.loaded.keys():
            return
        try:
            data = pickle.dumps(self.used, protocol=pickle.HIGHEST_PROTOCOL)
            if self.compress:
                data = gzip.compress(data, compresslevel=1, mtime=0)
            write_atomically(self.path, data)
        except (OSError, pickle.PicklingError, TypeError) as exc:
            logger.warning("Could not save the newsletter cache %s: %s", self.path, exc)

    def _load(self):
        try:
            with open(self.path, "rb") as handle:
                zipped = handle.read(2) == GZIP_MAGIC
                handle.seek(0)
                data = pickle.load(gzip.GzipFile(fileobj=handle) if zipped else handle)
        except FileNotFoundError:
            return {}
        except Exception as exc:  # a cache never stops a build: compose everything again
            logger.warning(
                "Cannot read the newsletter cache %s (%s); rendering every email again.",
                self.path, exc,
            )
            return {}
        return data if isinstance(data, dict) else {}
