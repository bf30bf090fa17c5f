"""A share card for every post, page and event: the 1200×630 PNG that LinkedIn, Facebook,
X and chat apps show with a shared link (OpenGraph `og:image`, `twitter:card` =
`summary_large_image`).

Each card shows the practice's name (SITENAME), the title (wrapped, shrunk to fit) and the
tagline (SITESUBTITLE) in the site's colours, drawn with Pillow's own font (`render`). It is
written beside the page: `<url>card.png` for a page at `<url>` ending in `/`
(`should-your-work-speak-for-itself/card.png`, `events/<slug>/card.png`), else
`cards/<slug>.png` (the 404 page).

**For templates** every post, page (published, hidden, and drafts where the build writes
them) and event (`possibility.site.events`) has, once every generator has read its content:

- `share_card`: the card's absolute URL, for `og:image` and structured data; None in a
  build without an absolute SITEURL (a local build), where no share card can be linked;
- `share_card_path`: the card's path in the output, for `{{ SITEURL }}/{{ x.share_card_path }}`.

`base.html` is expected to use them as:

    {% set shared = article or page or event %}
    {% if absolute and shared and shared.share_card %}
    <meta property="og:image" content="{{ shared.share_card }}">
    <meta property="og:image:width" content="1200"><meta property="og:image:height" content="630">
    <meta name="twitter:card" content="summary_large_image">{% endif %}

**Deterministic and cached.** The same name, title, tagline and drawing code give the same
bytes. Each card is kept under CACHE_PATH (`share-cards/<hash>.png`, the hash of its text,
the colours, Pillow's version and the source of `render.py`), so a warm build renders
none; a card is written to the output only when its bytes changed, and touched otherwise
(`output_sync` keeps what the build touched). Many new cards are drawn on every core.

Settings (`settings`): SHARE_CARDS [True]: False writes no cards and sets no attributes;
SHARE_CARDS_BACKGROUND [True]: draw while Pelican writes the pages.
"""

from pelican import signals

from .generator import ShareCardsGenerator, plan_cards, start_drawing


def get_generators(pelican):
    return ShareCardsGenerator


def register():
    signals.get_generators.connect(get_generators)
    signals.all_generators_finalized.connect(plan_cards)
    signals.get_writer.connect(start_drawing)
