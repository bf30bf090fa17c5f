"""Write the newsletter folder: one folder per post, its files as the build's EmailStore
holds them, read one post at a time.

A file whose bytes are already right is only touched, not rewritten (rewriting costs the
file system several times more; the new mtime says this build made it, for
`output_sync`), and whatever else is in the folder, such as a removed post's, is removed.

It runs in the build's own thread, from `generate_output`. Writing from a thread of its own
while Pelican writes the pages saved nothing at 1,000 posts (six runs of
`bench/build_bench.py`: cold -18 to +6 %, median -5 %; warm -5 to +4 %; the thread waits for
the GIL while Pelican renders), and went (bench/README.md).
"""

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
