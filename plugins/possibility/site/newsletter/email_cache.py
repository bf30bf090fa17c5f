"""Each post's email kept between builds, under a fingerprint of everything it is made of.

A warm rebuild (livereload, a production build after one edit) then composes only the
posts whose email would differ. The fingerprint covers the post's `PostSource`, the
newsletter settings, Pelican's summary settings, the templates' texts and the code (this
package's source as loaded, Python's and the libraries' versions): whatever changes
makes another fingerprint, so a cached email is never stale. The cache is the last
build's EmailStore (`email_store`), its emails' files and problems, read one entry at a
time: a build never loads every email. An entry not used by a build is dropped when it
saves; a damaged one is composed again.

Switched by NEWSLETTER_EMAIL_CACHE (`build_settings`; False: every email composed on
every build). It follows Pelican's content cache settings: CACHE_PATH (the file is
`NewsletterEmails`), LOAD_CONTENT_CACHE (false: every email is composed again),
CACHE_CONTENT (false: nothing is saved) and GZIP_CACHE (each entry gzip-compressed).
"""

import hashlib
import json
import logging
import sys
from dataclasses import fields
from importlib import metadata
from pathlib import Path

from .email_store import EmailStore

CACHE_NAME = "NewsletterEmails"
LIBRARIES = ("css-inline", "Jinja2", "lxml", "MarkupSafe", "pelican")

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
    """The emails of the last build, by fingerprint (an EmailStore read entry by entry):
    `store_for` the keys of this build, then `save` it."""

    def __init__(self, pelican_settings, shared):
        self.path = Path(pelican_settings["CACHE_PATH"]) / CACHE_NAME
        self.shared = shared
        self.saving = bool(pelican_settings.get("CACHE_CONTENT"))
        self.compress = bool(pelican_settings.get("GZIP_CACHE"))
        self.loaded = self._load() if pelican_settings.get("LOAD_CONTENT_CACHE") else None

    def key(self, post):
        """The fingerprint of one post's email: its PostSource plus the shared one."""
        values = {f.name: getattr(post, f.name) for f in fields(post)}
        blob = json.dumps(values, sort_keys=True, ensure_ascii=False, default=repr)
        return hashlib.sha256(f"{self.shared}\0{blob}".encode()).hexdigest()

    def store_for(self, keys):
        """(store, missing): the EmailStore this build adds its emails to, holding already
        those of `keys` cached by the last build, and the keys it lacks, in order.

        When the last build's store holds exactly `keys`, intact, it is the one (nothing
        to compose, nothing to save); otherwise a new one (kept by `save`) gets a copy of
        each entry still used: an entry this build does not use is dropped."""
        loaded, wanted = self.loaded, set(keys)
        if loaded is not None and loaded.keys() == wanted and all(
            loaded.entry(key) is not None for key in wanted
        ):
            self.loaded = None  # handed over to the build
            return loaded, []
        store = EmailStore.new(self.path.parent if self.saving else None)
        missing = [key for key in dict.fromkeys(keys)
                   if loaded is None or not store.copy(loaded, key)]
        self.close_loaded()
        return store, missing

    def save(self, store):
        """Keep the finished `store` for the next build (if it is a new one)."""
        if not self.saving or store.temp_path is None:
            return
        try:
            store.keep_as(self.path)
        except OSError as exc:
            logger.warning("Could not save the newsletter cache %s: %s", self.path, exc)

    def close_loaded(self):
        if self.loaded is not None:
            self.loaded.close()
            self.loaded = None

    def _load(self):
        try:
            return EmailStore.open(self.path)
        except FileNotFoundError:
            return None
        except Exception as exc:  # a cache never stops a build: compose everything again
            logger.warning(
                "Cannot read the newsletter cache %s (%s); rendering every email again.",
                self.path, exc,
            )
            return None
