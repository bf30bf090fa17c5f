"""The build's emails on their way to the output folder: a file, one post's email at a time.

Every email is composed and checked before any is written (a problem stops the build with
nothing written), and all are written afterwards while Pelican writes the site. Held in
memory in between, 1,000 posts' emails took some 70 MiB; so each post's files go to this
file as soon as they are composed, and the writer reads them back one post at a time.
The email cache keeps the file for the next build (`email_cache`); without it the file
is a temporary one.

Layout: the entries one after the other, each the pickled {file name: bytes} of one
post's folder, gzip-compressed or not; then the index, pickled {key: (offset, size,
crc32, problems)}; then the index's offset and a magic number. An entry is read by its
offset, so opening a file reads its index, never its emails.
"""

import gzip
import os
import pickle
import struct
import tempfile
import zlib

from possibility.common import file_mode, remove_abandoned
from possibility.core.newsletter.model import META_FILE, PREVIEW_FILE, TEXT_FILE, record_text
from possibility.core.newsletter.render_email import fill_merge_tags

MAGIC = b"PPEMAIL1"
TRAILER = struct.Struct(">Q8s")  # the index's offset, MAGIC
GZIP_MAGIC = b"\x1f\x8b"


def pack(email, compress=False):
    """The files of a PostEmail's folder, as one entry's bytes."""
    record, rendered = email.record, email.rendered
    files = {META_FILE: record_text(record, rendered.html if rendered else None)}
    if rendered is not None:
        files[PREVIEW_FILE] = fill_merge_tags(rendered.html, record.site.name)
        files[TEXT_FILE] = rendered.text
    data = pickle.dumps({name: text.encode("utf-8") for name, text in files.items()},
                        protocol=pickle.HIGHEST_PROTOCOL)
    return gzip.compress(data, compresslevel=1, mtime=0) if compress else data


def unpack(entry):
    """{file name: bytes} of an entry made by `pack`."""
    return pickle.loads(gzip.decompress(entry) if entry[:2] == GZIP_MAGIC else entry)


class EmailStore:
    """Entries by key: `add` them (or `copy` them from another store), `finish`, then read
    each one's `problems` and `files`."""

    def __init__(self, handle, index, temp_path=None):
        self.handle = handle
        self.index = index  # {key: (offset, size, crc32, problems)}
        self.temp_path = temp_path  # where a new store is written, until `keep_as`
        self.end = 0
        self.finished = False

    @classmethod
    def new(cls, folder=None):
        """An empty store to add to: a file in `folder` that `keep_as` can keep, or
        without a folder one that goes when it is closed."""
        if folder is None:
            return cls(tempfile.TemporaryFile(), {})
        os.makedirs(folder, exist_ok=True)
        remove_abandoned(folder, ".NewsletterEmails.*.tmp")  # left by a build that was killed
        fd, temp = tempfile.mkstemp(prefix=".NewsletterEmails.", suffix=".tmp", dir=folder)
        os.fchmod(fd, file_mode())
        return cls(os.fdopen(fd, "w+b"), {}, temp)

    @classmethod
    def open(cls, path):
        """The finished store at `path`; OSError or ValueError when it cannot be read."""
        handle = open(path, "rb")
        try:
            size = os.fstat(handle.fileno()).st_size
            if size < TRAILER.size:
                raise ValueError("too short")
            index_at, magic = TRAILER.unpack(os.pread(handle.fileno(), TRAILER.size,
                                                      size - TRAILER.size))
            if magic != MAGIC or index_at > size - TRAILER.size:
                raise ValueError("not a file of emails")
            index = pickle.loads(os.pread(handle.fileno(), size - TRAILER.size - index_at,
                                          index_at))
            if not isinstance(index, dict):
                raise ValueError("no index")
        except BaseException:
            handle.close()
            raise
        store = cls(handle, index)
        store.finished = True
        return store

    def __contains__(self, key):
        return key in self.index

    def keys(self):
        return self.index.keys()

    def add(self, key, problems, entry, crc=None):
        if key in self.index:  # two posts with one key have one email
            return
        self.handle.write(entry)
        crc = zlib.crc32(entry) if crc is None else crc
        self.index[key] = (self.end, len(entry), crc, tuple(problems))
        self.end += len(entry)

    def copy(self, other, key):
        """Add `other`'s entry for `key`, unchanged; False if it has none, or a damaged one."""
        entry = other.entry(key)
        if entry is None:
            return False
        self.add(key, other.problems(key), entry, other.index[key][2])
        return True

    def entry(self, key):
        """The bytes of the entry for `key`, or None: none, or damaged."""
        found = self.index.get(key)
        if found is None:
            return None
        offset, size, crc, _ = found
        entry = os.pread(self.handle.fileno(), size, offset)
        return entry if len(entry) == size and zlib.crc32(entry) == crc else None

    def finish(self):
        """Write the index after the entries: the store can be read, and kept."""
        if self.finished:
            return
        self.handle.write(pickle.dumps(self.index, protocol=pickle.HIGHEST_PROTOCOL))
        self.handle.write(TRAILER.pack(self.end, MAGIC))
        self.handle.flush()
        self.finished = True

    def keep_as(self, path):
        """Make this finished store the file at `path` (it stays open for reading)."""
        os.replace(self.temp_path, path)
        self.temp_path = None

    def problems(self, key):
        return self.index[key][3]

    def files(self, key):
        """{file name: bytes} of the entry for `key`."""
        entry = self.entry(key)
        if entry is None:
            raise ValueError(f"{self.handle.name}: the email {key!r} was damaged after it "
                             "was checked; build again.")
        return unpack(entry)

    def close(self):
        self.handle.close()
        if self.temp_path is not None:  # never kept: a build that failed
            try:
                os.unlink(self.temp_path)
            except FileNotFoundError:
                pass
            self.temp_path = None
