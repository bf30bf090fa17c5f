"""Read HTML with libxml2 (lxml, in C): as a tree, or replayed as a parser's events.

The email's transforms and checks read HTML either with XPath queries over the tree
(`parse`) or as a stream of start tags, end tags and text, the way `html.parser`
reports it (`replay`); Python's own parser, being pure Python, was most of what a build
spent on its emails. libxml2 tokenizes as browsers do, closes what the author left
open (so every start has its end) and decodes character references in text and
attribute values. Comments and processing instructions are not replayed; the text
after them is.
"""

from lxml import etree


def replay(html, handler):
    """Call `handler.start(tag, attrs)`, `handler.end(tag)` and `handler.data(text)`
    for `html` (a document or a fragment, as a str), in document order. `attrs` is a
    list of (name, value), names in lower case."""
    root = parse(html)
    if root is None:  # nothing but white space
        return
    for event, element in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        if event == "start":
            handler.start(element.tag, element.items())
            if element.text:
                handler.data(element.text)
            continue
        if event == "end":
            handler.end(element.tag)
        if element.tail:
            handler.data(element.tail)


def parse(html):
    """The root element of `html` (a document or a fragment, as a str), None if blank."""
    # A parser per call (they cost a microsecond; one must not serve two threads), fed
    # bytes with their encoding: lxml refuses a str that carries an encoding declaration.
    return etree.fromstring(html.encode("utf-8"), etree.HTMLParser(encoding="utf-8"))
