"""Pelican settings for local work: relative URLs, drafts previewable, fast rebuilds.

`publishconf.py` builds on these for the production site. Every setting that the
project's own plugins read is documented in README.md ("Configuration").
"""

AUTHOR = "Karen Steinberg"
SITENAME = "The Possibility Practice"
SITESUBTITLE = "Cultivate curiosity. Create possibility."
SITEDESCRIPTION = (
    "Executive coaching with Karen Steinberg: articles on relationships, careers and "
    "professional growth from The Possibility Practice."
)
SITEURL = ""
RELATIVE_URLS = True

PATH = "content"
ARTICLE_PATHS = ["posts"]
PAGE_PATHS = ["pages"]
STATIC_PATHS = ["images"]
# Copy an image only when it changed (possibility.site.output_sync keeps the output in place).
STATIC_CHECK_IF_MODIFIED = True
OUTPUT_PATH = "output"
THEME = "theme"
# The project's own plugins, by dotted path in the installed `possibility` package
# (possibility.site; `pip install -e .` installs it). Order matters: output_sync
# provides the writer, front_matter checks posts before the others read them.
PLUGINS = [
    # fixed_urls before front_matter: the link check then reads URLs already fixed.
    "possibility.site.output_sync", "possibility.site.fixed_urls",
    "possibility.site.front_matter", "possibility.site.post_identity",
    "possibility.site.neighbours", "possibility.site.menu", "possibility.site.sitemap",
    "possibility.site.signup", "possibility.site.feeds", "possibility.site.newsletter",
    "possibility.site.stray_files",
    "possibility.site.held_back",
    # Events, share cards and images (README "Events", "Share cards and images"); their
    # order among the plugins does not matter (each says why in its docstring).
    "possibility.site.events",
    "possibility.site.share_cards",
    "possibility.site.images",
    # The archive of past issues at /past-issues/ (README "Newsletter").
    "possibility.site.newsletter_archive",
]

TIMEZONE = "America/New_York"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%B %-d, %Y"
WITH_FUTURE_DATES = False
READING_WORDS_PER_MINUTE = 220
# Each build makes its own template environment, so Jinja need not check on every
# include whether the template file changed (a stat per include, thousands per build).
JINJA_ENVIRONMENT = {"trim_blocks": True, "lstrip_blocks": True, "auto_reload": False}

# Clean, stable URLs: /slug/ for posts and pages.
ARTICLE_URL = "{slug}/"
ARTICLE_SAVE_AS = "{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
DRAFT_URL = "drafts/{slug}/"
DRAFT_SAVE_AS = "drafts/{slug}/index.html"
DRAFT_PAGE_URL = "drafts/pages/{slug}/"
DRAFT_PAGE_SAVE_AS = "drafts/pages/{slug}/index.html"
CATEGORY_URL = "category/{slug}/"
CATEGORY_SAVE_AS = "category/{slug}/index.html"
TAG_URL = "tag/{slug}/"
TAG_SAVE_AS = "tag/{slug}/index.html"
AUTHOR_URL = "author/{slug}/"
AUTHOR_SAVE_AS = "author/{slug}/index.html"
ARCHIVES_URL = "archives/"
ARCHIVES_SAVE_AS = "archives/index.html"
CATEGORIES_URL = "categories/"
CATEGORIES_SAVE_AS = "categories/index.html"
TAGS_URL = "tags/"
TAGS_SAVE_AS = "tags/index.html"
AUTHORS_URL = "authors/"
AUTHORS_SAVE_AS = "authors/index.html"
DIRECT_TEMPLATES = ["index", "archives", "categories", "tags", "authors"]
# Per-period archives are not part of this site's navigation.
YEAR_ARCHIVE_SAVE_AS = ""
MONTH_ARCHIVE_SAVE_AS = ""
DAY_ARCHIVE_SAVE_AS = ""

DEFAULT_PAGINATION = 10
PAGINATED_TEMPLATES = {"index": None, "tag": None, "category": None, "author": None}
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)
SUMMARY_MAX_LENGTH = 50

# Pelican's own feeds are off: possibility.site.feeds writes them with feedgen.
FEED_ALL_ATOM = None
FEED_ALL_RSS = None
FEED_ATOM = None
FEED_RSS = None
CATEGORY_FEED_ATOM = None
CATEGORY_FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TAG_FEED_ATOM = None
TAG_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
TRANSLATION_FEED_RSS = None
# possibility.site.feeds: paths are FEEDS_ALL_RSS/ATOM/JSON and FEEDS_CATEGORY_RSS/ATOM (defaults in
# README "Configuration"); it writes feeds only with an absolute SITEURL (publishconf.py).
# It shares FEED_MAX_ITEMS with Pelican, whose default of 100 is too many for readers.
FEED_MAX_ITEMS = 20

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.toc": {"permalink": False},
    },
    "output_format": "html5",
}

# Content cache: a warm rebuild re-reads only the posts that changed.
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
GZIP_CACHE = False
CACHE_PATH = ".cache/pelican"

MENU_PAGES = ["about", "executive-coaching-group", "subscribe", "contact"]
# Shorter names in the main navigation, by page slug (the page keeps its title): the menu
# fits one row on a 375 px phone.
MENU_LABELS = {"executive-coaching-group": "Group"}
# The main navigation's link to every article (the archives), first in the menu; "" leaves it out.
MENU_ARTICLES_LABEL = "Articles"

# The home page's first screen (theme/templates/index.html, README "Home page"): who Karen
# is and what the practice offers, in the words of content/pages/about.md, then the actions
# "Book a complimentary session" (the contact page) and "Subscribe". The short line above
# the heading, the heading, and the paragraph under it (text, escaped as written):
HOME_KICKER = "Executive coaching with Karen Steinberg"
HOME_HEADING = "Build the relationships your success depends on."
HOME_INTRO = (
    "Karen Steinberg coaches leaders, managers and subject-matter experts on relationships "
    "at work, careers and professional growth. Being agile in relationships makes the "
    "difference between success and failure, and it can be learned."
)
# The home and About pages' structured data: Karen's role (schema.org Person jobTitle), and
# where the practice works (ProfessionalService areaServed, such as "New York, NY"; None
# leaves it out: the content does not say).
HOME_JOB_TITLE = "Executive coach"
HOME_AREA_SERVED = None
# A portrait beside the introduction: the name of an image in content/images/ ("karen.jpg"),
# shown 9 by 11.25 rem, cropped to fit; None: no image, the introduction alone.
HOME_PORTRAIT = None
HOME_PORTRAIT_ALT = "Karen Steinberg"
# The group whose next event (content/events/, `Group:`) the home page announces.
HOME_GROUP = "Executive Coaching Group"

FOOTER_TEXT = "© The Possibility Practice"

# Newsletter signup form (possibility.site.signup; every SIGNUP_* setting is documented in
# possibility.core.signup.settings). The form comes from content/audience.json, written by
# `invoke audience-import` from Mailchimp's embed code.
# A signup through the compact footer form (no room for choices) joins these groups:
SIGNUP_COMPACT_GROUPS = ["Articles"]

# Newsletter (possibility.site.newsletter; every NEWSLETTER_* setting and its default is listed in
# possibility.core.newsletter.settings and README "Newsletter"). Each build renders every post's
# email into output/newsletter/<slug>/; `invoke newsletter-send` (or publish) sends the new
# ones and records them in the committed ledger content/newsletter-ledger.json.
# Emails need absolute links: a local build (relative URLs) uses this address for them,
# a production build its own SITEURL.
NEWSLETTER_SITEURL = "https://www.thepossibilitypractice.com"
# A post with no 'Newsletter-Groups:' line goes to readers who chose Articles.
NEWSLETTER_DEFAULT_GROUPS = ["Articles"]
# This many new posts at once (for the same groups) go out as one digest email.
NEWSLETTER_DIGEST_THRESHOLD = 3

# Events (possibility.site.events; every EVENTS_* setting and its default is in
# possibility.site.events.settings): content/events/*.md, each at events/<slug>/ with its
# .ics file, and events.ics for all. `Registration: signup:GROUP` links here, with ?group=:
EVENTS_SIGNUP_URL = "subscribe/"
# Share cards (possibility.site.share_cards): a 1200x630 PNG per post, page and event.
SHARE_CARDS = True
# Content images (possibility.site.images): variants this wide (never wider than the
# original), in WebP and JPEG/PNG, and how wide the theme shows an image.
IMAGES_WIDTHS = [480, 800, 1200]
IMAGES_SIZES = "(min-width: 44rem) 40rem, calc(100vw - 2.5rem)"
