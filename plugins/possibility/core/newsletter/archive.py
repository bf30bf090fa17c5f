"""The public archive of past issues: which emails went to the list, and their web copies.

- `sent_to_list(ledger)`: every email the ledger records as sent to the Mailchimp list,
  oldest first. Never a baseline entry (published before the newsletter) and never an
  outbox rehearsal. The archive and `invoke newsletter-report` read the ledger through
  it, and it through the ledger's own reader (`ledger.sent_to_subscribers`).
- `web_copy(html, key=..., siteurl=...)`: the email as the public may read it: the
  email's main part only (no preheader, masthead or footer), without any working personal
  link (unsubscribe, preferences, any Mailchimp merge tag such as `*|UNSUB|*`), without
  the preview's sample values, without inline styles and without UTM tags. The result is
  a fragment, `<article class="newsletter-issue" data-email="KEY">...</article>`.
- `store_web_copy(settings, email, backend_name, now)`: called by the send right after an
  email went to the list (a digest's HTML exists only then): writes its web copy to
  `newsletter-archive/<YYYY-MM-DD>-<name>.html` beside the ledger, which the author
  commits with the ledger (`invoke publish` does).

The site plugin `possibility.site.newsletter_archive` turns these into
/past-issues/ and one page per copy.
"""

import copy
import logging
import re
from pathlib import Path

from lxml import etree

from possibility.common import write_atomically

from .html_transform import untagged
from .html_tree import parse
from .ledger import sent_to_subscribers
from .render_email import SAMPLE_ADDRESS, SAMPLE_URLS

COPIES_FOLDER = "newsletter-archive"  # beside the ledger
LIST_BACKEND = "mailchimp"  # the backend whose sends reached subscribers
COPY_CLASS = "newsletter-issue"
MERGE_TAG = re.compile(r"\*\|[^|]*\|\*")
SPACED_MERGE_TAG = re.compile(r"[ \t]*\*\|[^|]*\|\*")  # "Hi *|FNAME|*," -> "Hi,"
# Links that act for one subscriber: Mailchimp's list-manage pages (unsubscribe,
# preferences, forward, vcard...) and the archive of one recipient's copy.
PERSONAL_LINK = re.compile(
    r"\*\||list-manage\.com/|mailchi\.mp/|campaign-archive\.com/|/unsubscribe|"
    r"/update-profile|/profile\?|sample=1", re.IGNORECASE)
DROPPED = ("script", "style", "noscript", "template", "form", "iframe", "object", "embed",
           "head", "title", "meta", "link")
NAME = re.compile(r"[^A-Za-z0-9._-]+")

log = logging.getLogger(__name__)


def sent_to_list(ledger):
    """Every email that went to subscribers (a Mailchimp list), oldest first, as the
    ledger's own reader gives them (`ledger.sent_to_subscribers`: never the baseline, never
    a rehearsal in the outbox): `LedgerEmail`s, with key, kind, subject, groups, sent_at
    (UTC), campaign_id and posts ((identity, slug, title), ...). `ledger`: read_ledger's
    data (None: no ledger yet, nothing sent)."""
    return list(sent_to_subscribers(ledger))


# Web copies ---------------------------------------------------------------------------


def copies_folder(ledger_path):
    """Where the web copies are kept: `newsletter-archive/` beside the ledger."""
    return Path(ledger_path).parent / COPIES_FOLDER


def copy_name(email_name, sent_at):
    """'2026-11-24-should-your-work-speak-for-itself': the copy's file and page name."""
    return f"{sent_at:%Y-%m-%d}-{NAME.sub('-', email_name).strip('-') or 'email'}"


def web_copy(html, *, key, siteurl, posts=()):
    """The public web copy of an email's HTML (as sent, or its preview): see the module.

    `posts`: ((post identity, URL), ...) of the posts it carries: each link to one of
    them is marked `data-post="<identity>"`, so the site can follow the post to a new
    address (`relink`)."""
    root = parse(html)
    article = etree.Element("article")
    article.set("class", COPY_CLASS)
    article.set("data-email", key)
    if root is not None:
        main = (root.xpath(f"//article[@class='{COPY_CLASS}']")  # a web copy already
                or root.xpath("//*[@role='main']") or root.xpath("//body") or [root])[0]
        article.text = main.text
        for child in main:
            article.append(copy.deepcopy(child))
    _clean(article, siteurl)
    by_url = {_page(url): post_id for post_id, url in posts}
    for link in article.iter("a"):
        post_id = by_url.get(_page(link.get("href") or ""))
        if post_id:
            link.set("data-post", post_id)
    return etree.tostring(article, method="html", encoding="unicode").strip()


def _page(url):
    """A URL without its query and fragment: the page it opens."""
    return url.split("#", 1)[0].split("?", 1)[0]


def relink(html, urls):
    """A web copy with each link to a post (`data-post`) pointing at `urls[identity]`, the
    post's address today; a post no longer on the site ({identity: None}, or unknown)
    keeps its words without the link."""
    root = parse(html)
    found = root.xpath(f"//article[@class='{COPY_CLASS}']") if root is not None else []
    if not found:
        return html
    article = found[0]
    changed = False
    for link in list(article.xpath("//a[@data-post]")):
        url = urls.get(link.get("data-post"))
        old = link.get("href")
        if url and _page(old) != url:
            rest = old[len(_page(old)):]
            link.set("href", url + rest)
            changed = True
        elif not url:
            _unwrap(link)
            changed = True
    if not changed:
        return html
    return etree.tostring(article, method="html", encoding="unicode").strip()


def _unwrap(element):
    """Replace `element` by its content: its text, its children, then its tail."""
    parent = element.getparent()
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + (element.text or "")
    else:
        parent.text = (parent.text or "") + (element.text or "")
    index = parent.index(element)
    children = list(element)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    last = children[-1] if children else previous
    if last is not None:
        last.tail = (last.tail or "") + (element.tail or "")
    else:
        parent.text = (parent.text or "") + (element.tail or "")
    parent.remove(element)


def _clean(article, siteurl):
    samples = [*SAMPLE_URLS.values(), SAMPLE_ADDRESS.split("{name}", 1)[1]]
    for element in list(article.iter()):
        if element is article:
            continue
        if not isinstance(element.tag, str) or element.tag in DROPPED or _is_personal(element):
            _drop(element)
    for element in article.iter():
        for name, value in list(element.attrib.items()):
            if name == "style" or name.startswith("on") or MERGE_TAG.search(value) \
                    or any(sample in value for sample in samples):
                del element.attrib[name]
        if element.tag in ("a", "area") and element.get("href"):
            element.set("href", untagged(element.get("href"), siteurl))
        element.text = _clean_text(element.text, samples)
        element.tail = _clean_text(element.tail, samples)
    for element in list(article.iter("p", "div", "span")):
        if element is not article and not len(element) and not (element.text or "").strip():
            _drop(element)


def _is_personal(element):
    if element.tag not in ("a", "area"):
        return False
    return bool(PERSONAL_LINK.search(element.get("href") or ""))


def _clean_text(text, samples):
    if not text:
        return text
    text = SPACED_MERGE_TAG.sub("", text)
    for sample in samples:
        text = text.replace(sample, "")
    return text


def _drop(element):
    """Remove `element` and its content; the text after it stays."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    parent.remove(element)
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def copy_problems(html, siteurl):
    """What makes a web copy unfit for the public site, in words (none for `web_copy`'s):
    merge tags, sample values, personal links, UTM tags on links to `siteurl`."""
    problems = []
    root = parse(html)
    if MERGE_TAG.search(html):
        problems.append("it holds a Mailchimp merge tag (*|...|*)")
    if any(sample in html for sample in SAMPLE_URLS.values()):
        problems.append("it holds a sample unsubscribe or preferences link")
    if root is not None:
        for link in root.xpath("//a[@href] | //area[@href]"):
            href = link.get("href")
            if PERSONAL_LINK.search(href):
                problems.append(f"it links to {href}, a subscriber's own page")
            elif untagged(href, siteurl) != href:
                problems.append(f"it links to {href}, with UTM tags")
    return problems


def read_copy(path):
    """(email key, html) of a stored web copy; ValueError when it is not one."""
    html = Path(path).read_text(encoding="utf-8")
    root = parse(html)
    found = root.xpath(f"//article[@class='{COPY_CLASS}'][@data-email]") if root is not None \
        else []
    if not found:
        raise ValueError(f"{path} is not a web copy (no <article class=\"{COPY_CLASS}\" "
                         "data-email=...>)")
    return found[0].get("data-email"), html.strip()


def stored_copies(folder):
    """{email key: path} of the web copies in `folder` (a file that is not one is left out
    and named in the log)."""
    found = {}
    for path in sorted(Path(folder).glob("*.html")) if Path(folder).is_dir() else ():
        try:
            key, _ = read_copy(path)
        except (OSError, ValueError) as exc:
            log.warning("newsletter archive: %s", exc)
            continue
        found[key] = path
    return found


def store_web_copy(settings, email, backend_name, now):
    """Write the web copy of `email` (a model.Email that just went out through
    `backend_name`); its path, or None when it went nowhere public (the outbox) or could
    not be written (the send has happened: a warning, never an error)."""
    if backend_name != LIST_BACKEND:
        return None
    folder = copies_folder(settings.ledger_path)
    try:
        path = stored_copies(folder).get(email.key) or folder / f"{copy_name(email.name, now)}.html"
        posts = tuple((post.post_id, post.url) for post in email.posts)
        text = web_copy(email.html, key=email.key, siteurl=settings.siteurl,
                        posts=posts) + "\n"
        write_atomically(path, text.encode("utf-8"))
    except OSError as exc:
        log.warning("newsletter archive: the web copy of %s was not written (%s); the email "
                    "went out all the same. It will be listed without a copy.", email.name, exc)
        return None
    return path
