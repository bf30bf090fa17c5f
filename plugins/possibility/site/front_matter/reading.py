"""What the theme needs from a post's text, computed once when the post is read (so
Pelican's content cache keeps it) rather than on every build's page render."""

import re

from markupsafe import Markup

WORD = re.compile(r"\w+")  # Jinja's `wordcount` filter counts the same way


def word_count(html):
    """The words a reader reads in `html`: its text without tags."""
    return len(WORD.findall(Markup(html).striptags()))
