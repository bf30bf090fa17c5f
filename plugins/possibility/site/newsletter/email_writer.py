"""Write the newsletter folder in a background thread while Pelican writes the site.

Once the emails are cached, writing their files (a folder and three files per post) is
most of what a build spends on the newsletter, and that mostly waits on the file
system. So the build starts this writer as soon as every email has passed its checks
(Pelican has emptied the output folder by then, if it does, and writes nothing into
this one) and waits for it before Pelican's last generators run; `wait` raises any
error the thread met, as the build's own. Measured: writing them in the build's own
thread instead costs a cold build of 1,000 posts 2.5 s more.
"""

import os
import shutil
import threading

from possibility.common import write_if_changed
from possibility.core.newsletter.model import META_FILE, PREVIEW_FILE, TEXT_FILE, record_text
from possibility.core.newsletter.render_email import fill_merge_tags

# Writers whose build failed before waiting for them: the next build waits for them
# before Pelican empties the output folder.
_unfinished = set()
_lock = threading.Lock()


class EmailWriter:
    """Makes `target` hold one folder per (PostRecord, RenderedEmail or None)."""

    def __init__(self, target, emails):
        self.target = target
        self.emails = emails
        self.error = None
        self.thread = threading.Thread(target=self._run, name="newsletter-writer")

    def start(self):
        with _lock:
            _unfinished.add(self)
        self.thread.start()

    def wait(self):
        self.thread.join()
        with _lock:
            _unfinished.discard(self)
        if self.error is not None:
            raise self.error

    def _run(self):
        try:
            write_emails(self.target, self.emails)
        except BaseException as exc:  # handed to the build by `wait`
            self.error = exc


def write_emails(target, emails):
    """Make `target` hold exactly these emails' files. A file whose bytes are already
    right is only touched (rewriting costs the file system several times more; the
    new mtime says this build made it), others are written; anything else in
    `target`, such as a removed post's folder, is removed."""
    target.mkdir(parents=True, exist_ok=True)
    folders = set()
    for record, rendered in emails:
        folder = target / record.slug
        folders.add(record.slug)
        folder.mkdir(exist_ok=True)
        files = {META_FILE: record_text(record, rendered.html if rendered else None)}
        if rendered is not None:
            files[PREVIEW_FILE] = fill_merge_tags(rendered.html, record.site.name)
            files[TEXT_FILE] = rendered.text
        for name, text in files.items():
            write_if_changed(folder / name, text.encode("utf-8"), touch=True)
        _remove_all_but(folder, files)
    _remove_all_but(target, folders)


def _remove_all_but(folder, names):
    for entry in os.scandir(folder):
        if entry.name in names:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)


def wait_for_unfinished():
    """Let writers left by failed builds finish; their errors went with those builds."""
    with _lock:
        writers = list(_unfinished)
        _unfinished.clear()
    for writer in writers:
        writer.thread.join()
