"""Every setting the share cards read, in one place, with its default.

SHARE_CARDS [True]
    False: no cards are drawn or written, and contents get no `share_card`.
SHARE_CARDS_BACKGROUND [True]
    Start drawing the cards the cache lacks in background processes as soon as Pelican
    begins to write the site, which keeps only one core busy; False draws them all when
    Pelican gets to the cards (on every core). The cards are the same bytes either way.

Also read: SITENAME and SITESUBTITLE (the card's name and tagline), SITEURL (absolute: the
cards' URLs), CACHE_PATH (the cards are kept in its `share-cards/` folder), DRAFT_SAVE_AS and
DRAFT_PAGE_SAVE_AS (drafts get cards only where the build writes their pages).
"""

from dataclasses import dataclass
from pathlib import Path

from possibility.common import absolute_siteurl, switch


@dataclass(frozen=True)
class ShareCardSettings:
    enabled: bool
    background: bool
    siteurl: str | None  # absolute, no trailing slash; None: cards have no absolute URL
    sitename: str
    tagline: str
    cache: Path
    drafts: bool
    draft_pages: bool


def read_settings(settings):
    return ShareCardSettings(
        enabled=switch("SHARE_CARDS", settings.get("SHARE_CARDS", True)),
        background=switch("SHARE_CARDS_BACKGROUND", settings.get("SHARE_CARDS_BACKGROUND", True)),
        siteurl=absolute_siteurl(settings),
        sitename=str(settings.get("SITENAME") or ""),
        tagline=str(settings.get("SITESUBTITLE") or ""),
        cache=Path(settings.get("CACHE_PATH") or ".cache") / "share-cards",
        drafts=bool(settings.get("DRAFT_SAVE_AS")),
        draft_pages=bool(settings.get("DRAFT_PAGE_SAVE_AS")),
    )
