"""Every Summary goes through the one rule for text (`possibility.core.text`).

Pelican converts a Summary as a whole Markdown document, raw HTML and all: `<real>` in a
summary becomes a tag that browsers drop, and feeds, the meta description and the email's
preview text lose it. So the reader makes the Summary's HTML by the rule
(`core.text.summary_html`) from the Summary as its author wrote it: the front matter's lines
as Python-Markdown's `meta` extension read them (continuation lines joined by newlines, as
Pelican joins them), and Pelican's conversion of it is never made.
"""

from possibility.core.text import summary_html


def fields_with_ruled_summary(parse, meta):
    """`parse(meta)` (a Markdown reader's fields from its front matter `meta`, name: lines),
    the Summary's HTML made by the rule."""
    lines = meta.get("summary")
    if lines is None:
        return parse(meta)
    fields = parse({name: value for name, value in meta.items() if name != "summary"})
    fields["summary"] = str(summary_html("\n".join(lines)))
    return fields
