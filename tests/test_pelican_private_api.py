"""The few places that lean on Pelican's private API fail here first when Pelican changes.

Each is kept in one module with a comment naming the Pelican version it was checked against:
- possibility.site.output_sync.writer overrides `Writer._open_w` (Pelican 4.12.0);
- possibility.site.newsletter.generator.read_post reads `Content._content` and calls
  `Content._update_content` to resolve a Summary's links (Pelican 4.12.0);
- possibility.site.front_matter.markdown_pool.FieldsAsWritten restates
  `MarkdownReader.read` and overrides `MarkdownReader._parse_metadata`, setting its `_md`
  (Pelican 4.12.0).
"""

import hashlib
import inspect

import pelican
from pelican.contents import Content
from pelican.readers import MarkdownReader
from pelican.writers import Writer

from possibility.site.output_sync.writer import ChangedOnlyWriter

# The source of Writer._open_w in Pelican 4.12.0, which ChangedOnlyWriter._open_w restates.
OPEN_W_SHA256 = "69700ea0b4668663b0886011eee71e8b4ea9debd376fe2a2fe322c90ec5aee6d"
# The source of Content._update_content in Pelican 4.12.0, which the newsletter calls.
UPDATE_CONTENT_SHA256 = "b446bacdf3e46a3a0b19137ac6c416e520429e33312f1932d4ed23b3929f3549"
# The sources of MarkdownReader.read and ._parse_metadata in Pelican 4.12.0.
MARKDOWN_READ_SHA256 = "1c8cfd04d8822d5708f08f3ad16acd33b34ebe9981c932d49688be7733de5985"
PARSE_METADATA_SHA256 = "3f01f071bbc3672d341454c22fed793740b7a1014344f6db540c2b0bb3537a21"


def test_the_writer_method_output_sync_overrides_is_the_one_it_was_written_for():
    source = inspect.getsource(Writer._open_w)
    assert hashlib.sha256(source.encode()).hexdigest() == OPEN_W_SHA256, (
        f"Pelican {pelican.__version__} changed Writer._open_w: check that "
        "possibility.site.output_sync.writer.ChangedOnlyWriter._open_w still keeps its rules, "
        "then record the new source's hash here."
    )
    assert inspect.signature(ChangedOnlyWriter._open_w) == inspect.signature(Writer._open_w)


def test_the_writer_keeps_the_bookkeeping_output_sync_reads(tmp_path):
    writer = Writer(str(tmp_path), settings={})
    assert writer._written_files == set() and writer._overridden_files == set()


def test_the_content_internals_the_newsletter_reads_are_the_ones_it_was_written_for():
    source = inspect.getsource(Content._update_content)
    assert hashlib.sha256(source.encode()).hexdigest() == UPDATE_CONTENT_SHA256, (
        f"Pelican {pelican.__version__} changed Content._update_content: check "
        "possibility.site.newsletter.generator.read_post, then record the new hash here."
    )
    # Made here, an Article would fire content_object_init at whatever plugins an earlier
    # build in this process connected: read where Pelican keeps the reader's HTML instead.
    assert "self._content = content" in inspect.getsource(Content.__init__)


def test_the_markdown_reader_the_fields_reader_restates_is_the_one_it_was_written_for():
    for method, expected in ((MarkdownReader.read, MARKDOWN_READ_SHA256),
                             (MarkdownReader._parse_metadata, PARSE_METADATA_SHA256)):
        source = inspect.getsource(method)
        assert hashlib.sha256(source.encode()).hexdigest() == expected, (
            f"Pelican {pelican.__version__} changed MarkdownReader.{method.__name__}: check "
            "possibility.site.front_matter.markdown_pool.FieldsAsWritten, which restates "
            "read and wraps _parse_metadata, then record the new hash here."
        )
