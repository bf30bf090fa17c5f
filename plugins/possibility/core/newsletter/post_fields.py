"""A post's newsletter front matter, read into plain values (pure; Pelican lowercases keys).

    Newsletter: no                      never email this post
    Newsletter-Groups: Articles, Events only subscribers of these interest groups
    Subject: ...                        subject line (default: the title)
    Preview: ...                        preview text (default: the summary)

Titles, subjects and preview texts are plain text (`possibility.core.text`): the title as
written (`"Café" & <Leadership>` keeps its quotes, ampersand and angle brackets), the
summary as the text a reader sees in its HTML.

`invoke new-post` starts a post with sample text (SAMPLE_SUMMARY, SAMPLE_BODY, defined
here for it and for the checks); a post that still has it is not sent (`newsletter-send`),
not published (`invoke publish`'s check) and warned about by every build
(`sample_text_problems`, `source_sample_problems`).
"""

import re
from dataclasses import dataclass

from possibility.core.text import html_to_text, one_line

from .email_checks import check_groups

SAMPLE_SUMMARY = "One or two sentences that say what this post gives the reader."
SAMPLE_BODY = "Write the post here. Remove 'Status: draft' when it is ready to publish."
SUMMARY_IS_SAMPLE = ("field 'Summary' is still new-post's sample text: write one or two "
                     "sentences of your own")
BODY_IS_SAMPLE = (f"the body is still new-post's sample text ({SAMPLE_BODY!r}): write the "
                  "post in its place")
YES = {"yes", "true", "on", "1"}
NO = {"no", "false", "off", "0"}
PREVIEW_LENGTH = 150


@dataclass(frozen=True)
class NewsletterFields:
    newsletter: bool
    groups: tuple
    subject: str
    preview: str


def plain(html):
    """Text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed."""
    return html_to_text(html)


def newsletter_fields(metadata, *, title, summary_html, category, settings):
    """(NewsletterFields, problems) for one post's metadata. `title`: text, as written;
    `summary_html`: the summary's HTML."""
    problems = []
    flag = str(metadata.get("newsletter", "yes")).strip().lower()
    if flag not in YES | NO:
        problems.append(
            f"field 'Newsletter' is {metadata.get('newsletter')!r}: write 'Newsletter: no' "
            "to keep this post out of the newsletter, or leave the line out."
        )
    named = split_groups(metadata.get("newsletter-groups"))
    problems += check_groups(named, settings.known_groups, settings.groups_source)
    groups = target_groups(
        named, category, settings.category_groups, settings.default_groups
    )
    subject = one_line(metadata.get("subject")) or one_line(title)
    preview = one_line(metadata.get("preview")) or shorten(
        html_to_text(summary_html), PREVIEW_LENGTH
    )
    return NewsletterFields(flag not in NO, groups, subject, preview), problems


def split_groups(value):
    if value is None:
        return ()
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return tuple(dict.fromkeys(g.strip() for g in items if g.strip()))


def target_groups(named, category, category_groups, default_groups):
    """Who gets the email: groups named in front matter, else the category's, else default.

    Returns sorted group names; () means the whole list.
    """
    groups = named or category_groups.get(category or "", ()) or default_groups
    return tuple(sorted(set(groups)))


def shorten(text, limit):
    """`text` cut at a word boundary to at most `limit` characters (with an ellipsis)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return cut + "…"


def sample_text_problems(summary, body):
    """What of a post is still `invoke new-post`'s sample text, as problems naming the
    field. `summary`: the Summary as written or as shown (None: the post has none);
    `body`: the post's text (Markdown, HTML or plain). Spaces, line breaks, curly quotes
    and markup between the words do not hide the sample."""
    problems = []
    if summary is not None and _holds(summary, SAMPLE_SUMMARY):
        problems.append(SUMMARY_IS_SAMPLE)
    if _holds(body or "", SAMPLE_BODY):
        problems.append(BODY_IS_SAMPLE)
    return problems


def _holds(text, sample):
    """Whether `text` holds the words of `sample`, one after the other."""
    words = _words(sample)
    # Each word is in the text as it is (casefolded): look for the longest one first, the
    # whole text's words only when it is there (every build checks every post).
    if max(words.split(), key=len) not in text.casefold():
        return False
    return words in _words(text)


def source_sample_problems(text):
    """`sample_text_problems` of a Markdown source file's text (its front matter read as
    Pelican's Markdown reader reads it), and whether it is a draft: (problems, draft)."""
    fields, body = split_front_matter(text)
    draft = fields.get("status", "").strip().lower() == "draft"
    return sample_text_problems(fields.get("summary"), body), draft


FIELD = re.compile(r"^[ ]{0,3}([A-Za-z0-9_-]+):\s*(.*)$")


def split_front_matter(text):
    """({field name, lowercased: value}, body) of a Markdown file: the lines up to the
    first blank one (or `---`, `...`), continuation lines indented, as Python-Markdown's
    meta extension reads them; no field on the first line: no front matter."""
    lines = text.lstrip("\ufeff").splitlines()
    index = 1 if lines and lines[0].strip() == "---" else 0
    fields, name = {}, None
    while index < len(lines):
        line = lines[index]
        if not line.strip() or line.strip() in ("---", "..."):
            index += 1  # the front matter's end: the body starts after it
            break
        found = FIELD.match(line)
        if found:
            name = found.group(1).lower()
            fields[name] = found.group(2).strip()
        elif name is not None and line.startswith(("    ", "\t")):
            fields[name] += " " + line.strip()
        else:
            break  # not a field: the body starts here
        index += 1
    if not fields:
        return {}, text
    return fields, "\n".join(lines[index:])


def _words(text):
    """`text` as words only: markup, punctuation, quotes and spacing do not count."""
    text = re.sub(r"<[^>]*>", " ", text)
    return " " + " ".join(re.findall(r"[^\W_]+", text.casefold())) + " "
