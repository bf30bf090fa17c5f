"""Check that each post about to be emailed is live: 200 at its public URL, showing its title.

No email may link to a page that is not up. A new page can take a while to appear
(a CDN, a server that syncs from a bucket), so pages that fail are tried again after
growing pauses before the check gives up; the pipeline then sends nothing.
"""

import html
import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser

MAX_PAUSE = 60.0
USER_AGENT = "possibility-practice-publish (checks a new post is live before emailing it)"


@dataclass(frozen=True)
class LivePage:
    url: str
    title: str


def pauses(retries, backoff, cap=MAX_PAUSE):
    """Seconds to wait before each retry: backoff, doubled each time, at most `cap`."""
    return [min(backoff * 2**i, cap) for i in range(retries)]


def shows_title(page_html, title):
    """True when the page's <title> or a heading carries the post's title."""
    parser = _TitleParser()
    parser.feed(page_html)
    wanted = _normal(title)
    return any(wanted in _normal(text) for text in parser.texts)


def page_problem(session, page, timeout):
    """What is wrong with `page` right now, or None when it is live."""
    import requests

    try:
        response = session.get(page.url, timeout=timeout, headers={"User-Agent": USER_AGENT})
    except requests.RequestException as exc:
        return f"{page.url} did not answer ({type(exc).__name__})"
    if response.status_code != 200:
        return f"{page.url} answered {response.status_code}, not 200"
    if not shows_title(response.text, page.title):
        return f"{page.url} answers but does not show the title {page.title!r}"
    return None


def verify_live(pages, settings, session=None, sleep=time.sleep):
    """Problems with `pages` (LivePage) once the retries are spent; [] when all are live."""
    import requests

    session = session or requests.Session()
    pending = list(pages)
    problems = []
    for pause in [0.0, *pauses(settings.retries, settings.backoff)]:
        if pause:
            sleep(pause)
        problems = [(p, page_problem(session, p, settings.timeout)) for p in pending]
        problems = [(p, why) for p, why in problems if why]
        pending = [p for p, _ in problems]
        if not pending:
            return []
    return [why for _, why in problems]


def _normal(text):
    return re.sub(r"\s+", " ", html.unescape(text)).strip().casefold()


class _TitleParser(HTMLParser):
    WANTED = {"title", "h1", "h2"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts = []
        self.open = None

    def handle_starttag(self, tag, attrs):
        if tag in self.WANTED:
            self.open = tag
            self.texts.append("")

    def handle_endtag(self, tag):
        if tag == self.open:
            self.open = None

    def handle_data(self, data):
        if self.open:
            self.texts[-1] += data
