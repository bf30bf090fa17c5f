"""A post's newsletter front matter, read into plain values (pure; Pelican lowercases keys).

    Newsletter: no                      never email this post
    Newsletter-Groups: Articles, Events only subscribers of these interest groups
    Subject: ...                        subject line (default: the title)
    Preview: ...                        preview text (default: the summary)
"""

from dataclasses import dataclass

from markupsafe import Markup

from .email_checks import check_groups

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
    return " ".join(Markup(str(html or "")).striptags().split())


def newsletter_fields(metadata, *, title, summary_html, category, settings):
    """(NewsletterFields, problems) for one post's metadata."""
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
    subject = " ".join(str(metadata.get("subject") or "").split()) or plain(title)
    preview = " ".join(str(metadata.get("preview") or "").split()) or shorten(
        plain(summary_html), PREVIEW_LENGTH
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
