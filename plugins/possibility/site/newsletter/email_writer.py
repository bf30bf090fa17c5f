"""Write the newsletter folder: one folder per post, its files as the build's EmailStore
holds them, read one post at a time.

A file whose bytes are already right is only touched, not rewritten (rewriting costs the
file system several times more; the new mtime says this build made it, for
`output_sync`), and whatever else is in the folder, such as a removed post's, is removed.

Writing 1,000 posts' emails is 4,000 files and folders: mostly the kernel's time, while
Pelican, writing the pages, keeps one core busy. So `EmailWriting` writes them from a
process of its own started as the output begins (a thread would wait for the GIL: one was
measured and removed), and the build waits for it when it gets to the newsletter
(NEWSLETTER_BACKGROUND_WRITER; bench/README.md says what it saves).
"""

import gc
import multiprocessing
import os
import shutil

from possibility.common import write_if_changed


def write_emails(target, emails):
    """Make `target` hold exactly these emails' files: (slug, {file name: bytes}) each."""
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


class EmailWriting:
    """`write_emails(target, ...)` of the posts' files in `store` ((slug, key) each `posts`),
    in a background process if `background` (and fork is there) until `finish`."""

    def __init__(self, target, store, posts, background):
        self.target, self.store, self.posts = target, store, posts
        self.process = None
        if background and "fork" in multiprocessing.get_all_start_methods():
            gc.freeze()  # the child's garbage collector would otherwise copy every page
            try:
                self.process = multiprocessing.get_context("fork").Process(
                    target=self._write_or_exit, daemon=True)
                self.process.start()
            finally:
                gc.unfreeze()

    def write(self):
        write_emails(self.target, ((slug, self.store.files(key)) for slug, key in self.posts))

    def _write_or_exit(self):
        try:
            self.write()
        except BaseException:  # finish() writes again, in the build's process, error and all
            os._exit(1)

    def finish(self):
        """Wait for the background process; write here what it did not."""
        if self.process is not None:
            self.process.join()
            if self.process.exitcode == 0:
                return
        self.write()
