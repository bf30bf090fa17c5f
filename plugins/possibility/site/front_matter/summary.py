"""Every Summary goes through the one rule for text (`possibility.core.text`).

Pelican converts a Summary as a whole Markdown document, raw HTML and all: `<real>` in a
summary becomes a tag that browsers drop, and feeds, the meta description and the email's
preview text lose it. So the reader replaces Pelican's HTML with the rule's
(`core.text.summary_html`), made from the Summary as its author wrote it: read again from
the file's front matter, with the very preprocessors Pelican's reader uses (Python-Markdown's
`meta` extension), whether the file was converted here or by a worker (`markdown_pool`).
"""

from markdown import Markdown

from possibility.core.text import html_to_text, summary_html

_meta = None  # a Markdown instance reading front matter only, made on first use


def summary_as_written(source_path):
    """The Summary of a Markdown file as written (continuation lines joined by newlines,
    as Pelican joins them), or None when it has none."""
    global _meta
    header = []
    with open(source_path, encoding="utf-8-sig") as handle:  # as pelican_open reads
        for line in handle:
            if not line.strip():  # the front matter ends at the first blank line
                break
            header.append(line)
    if _meta is None:
        _meta = Markdown(extensions=["meta"])
    md = _meta.reset()
    md.convert("".join(header))
    lines = getattr(md, "Meta", {}).get("summary")
    return "\n".join(lines) if lines else None


def rule_summary(metadata, source_path):
    """Put the rule's HTML in place of Pelican's for the Summary of `source_path`."""
    if "summary" not in metadata:
        return
    written = summary_as_written(source_path)
    if written is None:  # not where Pelican found it: keep its text, never its tags
        written = html_to_text(metadata["summary"])
    metadata["summary"] = str(summary_html(written))
