"""Write the newsletter folder in a background thread while Pelican writes the site.

Writing the emails' files (a folder and three files per post) mostly waits on the file
system. So the build starts this writer as soon as every email has passed its checks
(Pelican has emptied the output folder by then, if it does, and writes nothing into
this one) and waits for it before Pelican's last generators run; `wait` raises any
error the thread met, as the build's own. It reads each post's files from the build's
EmailStore when it writes them, one post at a time. With NEWSLETTER_BACKGROUND_WRITER =
False (`build_settings`) `wait` writes them in the build's own thread.
"""

import os
import shutil
import threading

from possibility.common import write_if_changed

# Writers whose build failed before waiting for them: the next build waits for them
# before Pelican empties the output folder.
_unfinished = set()
_lock = threading.Lock()


class EmailWriter:
    """Makes `target` hold one folder per (slug, key) of `posts`, with the files of the
    entry for `key` in the EmailStore `store`; closes the store when done."""

    def __init__(self, target, store, posts, background=True):
        self.target = target
        self.store = store
        self.posts = posts
        self.error = None
        self.thread = None
        if background:
            self.thread = threading.Thread(target=self._run, name="newsletter-writer")

    def start(self):
        if self.thread is None:
            return
        with _lock:
            _unfinished.add(self)
        self.thread.start()

    def wait(self):
        if self.thread is None:
            self._run()
        else:
            self.thread.join()
            with _lock:
                _unfinished.discard(self)
        if self.error is not None:
            raise self.error

    def _run(self):
        try:
            write_emails(self.target, ((slug, self.store.files(key)) for slug, key in self.posts))
        except BaseException as exc:  # handed to the build by `wait`
            self.error = exc
        finally:
            self.store.close()


def write_emails(target, emails):
    """Make `target` hold exactly these emails' files: (slug, {file name: bytes}) each.
    A file whose bytes are already right is only touched (rewriting costs the file
    system several times more; the new mtime says this build made it), others are
    written; anything else in `target`, such as a removed post's folder, is removed."""
    target.mkdir(parents=True, exist_ok=True)
    folders = set()
    for slug, files in emails:
        folder = target / slug
        folders.add(slug)
        folder.mkdir(exist_ok=True)
        for name, data in files.items():
            write_if_changed(folder / name, data, touch=True)
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
