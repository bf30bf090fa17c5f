"""What the theme needs from a post's text, computed once when the post is read (so
Pelican's content cache keeps it) rather than on every build's page render."""

import re

WORD = re.compile(r"\w+")  # Jinja's `wordcount` filter counts the same way


def word_count(root):
    """The words a reader reads in a post: the text of its HTML's tree `root` (`parse_html`,
    None for no HTML) without tags, as Jinja's `striptags|wordcount` counts them."""
    return 0 if root is None else len(WORD.findall(root.xpath("string()")))
