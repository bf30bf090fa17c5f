"""Pelican's content cache, forgotten once when the reader's code changes.

The reader keeps more in Pelican's content cache than Pelican's own (the Summary's HTML
made by the rule for text, the links to check, the word count), and Pelican reuses a
cached read until the file itself changes. So the cache folder keeps a stamp of the code
that filled it: a build whose code differs reads every file again (LOAD_CONTENT_CACHE off
while the generators read) and, once they have read (and saved their caches), leaves its
own stamp, even when the build then stops on a problem.
"""

import hashlib
from importlib import metadata
from pathlib import Path

from possibility.common import write_if_changed

STAMP = "possibility-reader"
FORGOTTEN = "_POSSIBILITY_CACHE_FORGOTTEN"  # a setting: this build turned the cache off
_READER = Path(__file__).resolve().parent
_TEXT = _READER.parent.parent / "core" / "text.py"


def _code():
    digest = hashlib.sha256()
    for library in ("pelican", "Markdown", "lxml"):
        try:
            digest.update(f"{library} {metadata.version(library)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library} ?\0".encode())
    for path in sorted(_READER.glob("*.py")) + [_TEXT]:
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    return digest.hexdigest()


CODE = _code()  # the code this build runs, read when the plugin is loaded


def forget_other_code(pelican):
    """Signal handler (initialized): no cached read made by other code is loaded."""
    settings = pelican.settings
    if not settings.get("LOAD_CONTENT_CACHE"):
        return
    try:
        stamp = (Path(settings["CACHE_PATH"]) / STAMP).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        stamp = None
    if stamp != CODE:
        settings["LOAD_CONTENT_CACHE"] = False
        settings[FORGOTTEN] = True


def stamp_cache(settings):
    """Once every generator has read its files (all_generators_finalized): the cache now
    holds this code's reads; later caches (the newsletter's) and builds load theirs."""
    if settings.pop(FORGOTTEN, False):
        settings["LOAD_CONTENT_CACHE"] = True
    if settings.get("CACHE_CONTENT"):
        folder = Path(settings["CACHE_PATH"])
        folder.mkdir(parents=True, exist_ok=True)
        write_if_changed(folder / STAMP, CODE.encode("utf-8"))
