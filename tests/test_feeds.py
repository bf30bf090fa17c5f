"""What feed readers get: RSS, Atom and JSON Feed from real production builds
(possibility.site.feeds)."""

import json
from datetime import datetime
from email.utils import parsedate_to_datetime
from types import SimpleNamespace
from urllib.parse import urlsplit

import feedparser
import jsonschema
import lxml.html
import pytest
from conftest import DRAFT_POST, FUTURE_POST, PRODUCTION_URL, Site
from feed_schemas import JSON_FEED_1_1
from lxml import etree
from pelican import signals

from possibility.commands.publish.build import BuildError
from possibility.core.identity import post_identity
from possibility.site.feeds.absolute_urls import absolute_html, absolute_srcset
from possibility.site.feeds.entries import post_problems
from possibility.site.feeds.settings import FeedsSettingsError, read_settings

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
SITE_FEEDS = {"rss": "feeds/all.rss.xml", "atom": "feeds/all.atom.xml", "json": "feeds/all.json"}
CATEGORIES = {  # slug: (name, published posts in the corpus)
    "career": ("Career", 2),
    "executive-coaching": ("Executive Coaching", 2),
    "teams": ("Teams", 1),
    "leadership": ("Leadership", 21),
}

# The smallest GIF there is (1 x 1 pixel): a featured image with a known size.
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
LINKS_ID = "urn:uuid:7a1e0c3b-1111-4a2b-8c3d-000000000001"
LINKS_POST = """Title: Links, Images and Friends
Date: 2021-06-01 10:00
Modified: 2021-06-03 08:30
Author: Karen Steinberg
Category: Career
Tags: images, career
Slug: links-images
Post-Id: 7a1e0c3b-1111-4a2b-8c3d-000000000001
Image: images/pier.gif
Summary: Follow [the career post](../is-your-career-off-track/) there.

![A pier at dawn]({static}/images/pier.gif)

Read [the career post](../is-your-career-off-track/), [some notes](notes/),
[the first post]({filename}/posts/should-your-work-speak-for-itself.md) or go [down](#more).

## More

<img src="../images/pier.gif" srcset="../images/pier.gif 1x, /images/pier.gif 2x" alt="Pier">

<p>Write to <a href="mailto:hi@example.com">me</a>.</p>
"""
LINKS_URLS = {
    f"{PRODUCTION_URL}/images/pier.gif",
    f"{PRODUCTION_URL}/is-your-career-off-track/",
    f"{PRODUCTION_URL}/links-images/notes/",
    f"{PRODUCTION_URL}/should-your-work-speak-for-itself/",
    f"{PRODUCTION_URL}/links-images/#more",
    "mailto:hi@example.com",
}

TRICKY_ID = "urn:uuid:7a1e0c3b-1111-4a2b-8c3d-000000000002"
TRICKY_TITLE = "Café “Résumé” & <Tags>: 'single' \"double\" — 漢字 🙂"
TRICKY_SUMMARY = "Cats & dogs < 3 \"quotes\" 'single' — naïve café 🙂"
TRICKY_POST = f"""Title: {TRICKY_TITLE}
Date: 2021-05-01 09:00
Category: Executive Coaching
Tags: unicode
Slug: cafe-resume
Post-Id: 7a1e0c3b-1111-4a2b-8c3d-000000000002
Summary: {TRICKY_SUMMARY}

Body with “curly quotes” & more.
"""

NO_ID_POST = """Title: A Post Without a Post-Id
Date: 2020-01-15 08:00
Category: Teams
Slug: no-post-id

Its identity comes from its file name.
"""
NO_ID = post_identity({}, "posts/no-post-id.md")

HIDDEN_POST = """Title: A Hidden Post
Date: 2022-01-01 09:00
Status: hidden
Slug: a-hidden-post
Post-Id: 2b4a1c7e-0000-4000-8000-000000000003

Hidden.
"""


def filler_post(number):
    return (
        f"Title: Filler {number}\nDate: 2015-01-{number + 1:02d} 09:00\nCategory: Leadership\n"
        f"Slug: filler-{number}\nPost-Id: 7a1e0c3b-2222-4a2b-8c3d-{number:012d}\n\n"
        f"Filler [link](../filler-{max(number - 1, 0)}/).\n"
    )


NEWEST_FIVE = [
    "Links, Images and Friends",
    TRICKY_TITLE,
    "A Post Without a Post-Id",
    "Should Your Work Speak For Itself?",
    "Is Your Career Off Track?",
]


@pytest.fixture(scope="module")
def feed_site(tmp_path_factory):
    """The real content plus posts that exercise every rule, built once with publishconf."""
    built = Site(tmp_path_factory.mktemp("feeds"))
    (built.content / "images").mkdir(exist_ok=True)
    (built.content / "images" / "pier.gif").write_bytes(GIF)
    posts = {
        "links.md": LINKS_POST,
        "tricky.md": TRICKY_POST,
        "no-post-id.md": NO_ID_POST,
        "hidden.md": HIDDEN_POST,
        "draft.md": DRAFT_POST,
        "future.md": FUTURE_POST,
    }
    posts.update({f"filler-{n}.md": filler_post(n) for n in range(21)})
    for name, text in posts.items():
        built.write_post(name, text)
    built.result = built.build()
    return built


def feed_paths():
    paths = list(SITE_FEEDS.values())
    for slug in CATEGORIES:
        paths += [f"feeds/{slug}.rss.xml", f"feeds/{slug}.atom.xml"]
    return paths


def parsed(site, relative):
    feed = feedparser.parse((site.output / relative).read_bytes())
    assert feed.bozo == 0, f"{relative}: {feed.get('bozo_exception')}"
    return feed


def xml(site, relative):
    return etree.parse(str(site.output / relative)).getroot()


def json_feed(site, relative=SITE_FEEDS["json"]):
    return json.loads((site.output / relative).read_text(encoding="utf-8"))


def raw_contents(site, relative):
    """{entry id: full HTML content} exactly as written (feedparser would rewrite URLs)."""
    if relative.endswith(".json"):
        return {item["id"]: item["content_html"] for item in json_feed(site, relative)["items"]}
    root = xml(site, relative)
    if root.tag == "rss":
        return {
            item.findtext("guid"): item.findtext(f"{{{CONTENT}}}encoded")
            for item in root.iter("item")
        }
    return {
        entry.findtext(f"{{{ATOM}}}id"): entry.findtext(f"{{{ATOM}}}content")
        for entry in root.iter(f"{{{ATOM}}}entry")
    }


def urls_in(html):
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for element in root.iter(etree.Element):
        for name in ("href", "src"):
            if element.get(name) is not None:
                yield element.get(name)
        for candidate in (element.get("srcset") or "").split(","):
            if candidate.strip():
                yield candidate.split()[0]


# Files, formats, order ------------------------------------------------------------------


def test_every_feed_is_written_and_parses_cleanly(feed_site):
    for relative in feed_paths():
        if relative.endswith(".json"):
            assert json_feed(feed_site, relative)["items"]
        else:
            feed = parsed(feed_site, relative)
            assert feed.version == ("rss20" if relative.endswith(".rss.xml") else "atom10")


def test_site_feeds_hold_the_newest_twenty_newest_first(feed_site):
    for relative in (SITE_FEEDS["rss"], SITE_FEEDS["atom"]):
        entries = parsed(feed_site, relative).entries
        assert len(entries) == 20
        assert [e.title for e in entries[:5]] == NEWEST_FIVE
        published = [e.published_parsed for e in entries]
        assert published == sorted(published, reverse=True)
        assert entries[-1].title == "Filler 6"
    items = json_feed(feed_site)["items"]
    assert [item["title"] for item in items[:5]] == NEWEST_FIVE
    assert len(items) == 20


def test_entry_carries_everything_a_reader_shows(feed_site):
    for relative in (SITE_FEEDS["rss"], SITE_FEEDS["atom"]):
        entry = parsed(feed_site, relative).entries[0]
        assert entry.id == LINKS_ID
        assert entry.title == "Links, Images and Friends"
        assert entry.link == f"{PRODUCTION_URL}/links-images/"
        assert entry.author == "Karen Steinberg"
        assert [tag.term for tag in entry.tags] == ["Career", "images"]
        assert "A pier at dawn" in entry.content[0].value
        assert "Follow" in entry.summary and "A pier at dawn" not in entry.summary
    atom = xml(feed_site, SITE_FEEDS["atom"]).find(f"{{{ATOM}}}entry")
    assert atom.findtext(f"{{{ATOM}}}published") == "2021-06-01T10:00:00-04:00"
    assert atom.findtext(f"{{{ATOM}}}updated") == "2021-06-03T08:30:00-04:00"
    rss = xml(feed_site, SITE_FEEDS["rss"]).find("channel/item")
    assert rss.findtext("pubDate") == "Tue, 01 Jun 2021 10:00:00 -0400"
    item = json_feed(feed_site)["items"][0]
    assert item["date_published"] == "2021-06-01T10:00:00-04:00"
    assert item["date_modified"] == "2021-06-03T08:30:00-04:00"
    assert item["authors"] == [{"name": "Karen Steinberg"}]
    assert item["tags"] == ["Career", "images"]
    assert item["summary"] == "Follow the career post there."


def test_posts_keep_their_stable_identity_as_entry_id(feed_site):
    ids = [e.id for e in parsed(feed_site, SITE_FEEDS["atom"]).entries]
    assert ids[:3] == [LINKS_ID, TRICKY_ID, NO_ID]
    assert ids[3] == "urn:uuid:6f1d3c52-8a0e-4e7b-9c1a-2d5b7e4f8a10"
    assert len(set(ids)) == len(ids)
    guid = xml(feed_site, SITE_FEEDS["rss"]).find("channel/item/guid")
    assert (guid.text, guid.get("isPermaLink")) == (LINKS_ID, "false")


# Content: full text, absolute URLs, enclosure ------------------------------------------


def test_full_content_has_every_url_absolute_in_every_feed(feed_site):
    for relative in feed_paths():
        for entry_id, html in raw_contents(feed_site, relative).items():
            assert html and "{static}" not in html and "{filename}" not in html
            for url in urls_in(html):
                assert urlsplit(url).scheme in ("https", "mailto"), (relative, entry_id, url)
    for relative in SITE_FEEDS.values():
        html = raw_contents(feed_site, relative)[LINKS_ID]
        assert set(urls_in(html)) == LINKS_URLS
        assert "Read <a href=" in html and "<img " in html


def test_summary_links_are_absolute_too(feed_site):
    entry = xml(feed_site, SITE_FEEDS["atom"]).find(f"{{{ATOM}}}entry")
    summary = entry.find(f"{{{ATOM}}}summary")
    assert summary.get("type") == "html"
    assert list(urls_in(summary.text)) == [f"{PRODUCTION_URL}/is-your-career-off-track/"]


def test_a_malformed_url_leaves_the_feeds_well_formed(site):
    malformed = "http://[::1"
    site.write_post(
        "malformed.md",
        "Title: Malformed\nDate: 2021-03-01 09:00\nSlug: malformed\n\n"
        f'<p><a href="{malformed}">A broken link</a>, <a href="fine/">a fine one</a>.</p>\n',
    )
    site.build()
    for relative in SITE_FEEDS.values():
        html = next(iter(raw_contents(site, relative).values()))
        assert list(urls_in(html)) == [malformed, f"{PRODUCTION_URL}/malformed/fine/"]
    parsed(site, SITE_FEEDS["rss"])
    parsed(site, SITE_FEEDS["atom"])


def test_featured_image_is_an_enclosure_with_its_type_and_length(feed_site):
    url = f"{PRODUCTION_URL}/images/pier.gif"
    enclosures = xml(feed_site, SITE_FEEDS["rss"]).findall("channel/item/enclosure")
    assert [dict(enclosure.attrib) for enclosure in enclosures] == [
        {"url": url, "length": str(len(GIF)), "type": "image/gif"}
    ]
    entry = xml(feed_site, SITE_FEEDS["atom"]).find(f"{{{ATOM}}}entry")
    links = [dict(link.attrib) for link in entry.findall(f"{{{ATOM}}}link[@rel='enclosure']")]
    assert links == [{"href": url, "rel": "enclosure", "type": "image/gif", "length": "43"}]
    items = json_feed(feed_site)["items"]
    assert [item.get("image") for item in items[:2]] == [url, None]


def test_unicode_ampersands_angle_brackets_and_quotes_round_trip(feed_site):
    for relative in (SITE_FEEDS["rss"], SITE_FEEDS["atom"], "feeds/executive-coaching.rss.xml"):
        entry = next(e for e in parsed(feed_site, relative).entries if e.id == TRICKY_ID)
        assert entry.title == TRICKY_TITLE
        summary = lxml.html.fragment_fromstring(entry.summary, create_parent="div")
        assert summary.text_content() == TRICKY_SUMMARY
        assert "“curly quotes” &amp; more" in entry.content[0].value
    item = next(i for i in json_feed(feed_site)["items"] if i["id"] == TRICKY_ID)
    assert (item["title"], item["summary"]) == (TRICKY_TITLE, TRICKY_SUMMARY)
    assert "“curly quotes” &amp; more" in item["content_html"]


# What never appears, what each feed holds ------------------------------------------------


def test_drafts_hidden_and_future_posts_never_appear(feed_site):
    everything = "\n".join(
        (feed_site.output / relative).read_text(encoding="utf-8") for relative in feed_paths()
    )
    for text in (DRAFT_POST, FUTURE_POST, HIDDEN_POST):
        fields = dict(line.split(": ", 1) for line in text.splitlines()[:6] if ": " in line)
        assert fields["Title"] not in everything
        assert fields["Slug"] not in everything
        assert fields["Post-Id"] not in everything


def test_category_feeds_hold_only_their_category(feed_site):
    for slug, (name, count) in CATEGORIES.items():
        for relative in (f"feeds/{slug}.rss.xml", f"feeds/{slug}.atom.xml"):
            feed = parsed(feed_site, relative)
            assert len(feed.entries) == min(count, 20), relative
            assert {entry.tags[0].term for entry in feed.entries} == {name}
            assert feed.feed.title == f"The Possibility Practice · {name}"
            assert feed.feed.link == f"{PRODUCTION_URL}/category/{slug}/"
    assert not (feed_site.output / "feeds/unicode.rss.xml").exists()


# Structure of each format ------------------------------------------------------------------


def test_rss_structure(feed_site):
    for relative in [p for p in feed_paths() if p.endswith(".rss.xml")]:
        channel = xml(feed_site, relative).find("channel")
        self_links = channel.findall(f"{{{ATOM}}}link[@rel='self']")
        assert [link.get("href") for link in self_links] == [f"{PRODUCTION_URL}/{relative}"]
        atom_twin = xml(feed_site, relative.replace(".rss.", ".atom."))
        newest = datetime.fromisoformat(atom_twin.findtext(f"{{{ATOM}}}updated"))
        assert parsedate_to_datetime(channel.findtext("lastBuildDate")) == newest
        for item in channel.findall("item"):
            assert len(item.findall(f"{{{CONTENT}}}encoded")) == 1
            assert len(item.findall("description")) == 1
            assert item.find("guid").get("isPermaLink") == "false"
            assert item.findtext("link").startswith(f"{PRODUCTION_URL}/")
            assert item.findtext(f"{{{DC}}}creator") == "Karen Steinberg"
            assert parsedate_to_datetime(item.findtext("pubDate")).tzinfo is not None


def test_atom_structure(feed_site):
    for relative in [p for p in feed_paths() if p.endswith(".atom.xml")]:
        feed = xml(feed_site, relative)
        self_links = feed.findall(f"{{{ATOM}}}link[@rel='self']")
        assert [link.get("href") for link in self_links] == [f"{PRODUCTION_URL}/{relative}"]
        updated = []
        for entry in feed.findall(f"{{{ATOM}}}entry"):
            contents = entry.findall(f"{{{ATOM}}}content")
            assert [c.get("type") for c in contents] == ["html"]
            assert [s.get("type") for s in entry.findall(f"{{{ATOM}}}summary")] == ["html"]
            assert [t.get("type") for t in entry.findall(f"{{{ATOM}}}title")] == ["text"]
            assert entry.findtext(f"{{{ATOM}}}id").startswith("urn:uuid:")
            assert entry.findtext(f"{{{ATOM}}}author/{{{ATOM}}}name") == "Karen Steinberg"
            for field in ("published", "updated"):
                assert datetime.fromisoformat(entry.findtext(f"{{{ATOM}}}{field}")).tzinfo
            updated.append(datetime.fromisoformat(entry.findtext(f"{{{ATOM}}}updated")))
        assert datetime.fromisoformat(feed.findtext(f"{{{ATOM}}}updated")) == max(updated)


def test_json_feed_is_valid_json_feed_1_1_with_the_same_entries(feed_site):
    jsonschema.Draft202012Validator.check_schema(JSON_FEED_1_1)
    document = json_feed(feed_site)
    jsonschema.Draft202012Validator(JSON_FEED_1_1).validate(document)
    assert document["feed_url"] == f"{PRODUCTION_URL}/{SITE_FEEDS['json']}"
    assert document["home_page_url"] == f"{PRODUCTION_URL}/"
    atom = raw_contents(feed_site, SITE_FEEDS["atom"])
    assert [item["id"] for item in document["items"]] == list(atom)
    assert {item["id"]: item["content_html"] for item in document["items"]} == atom


@pytest.mark.parametrize(
    "broken",
    [
        {"version": "https://jsonfeed.org/version/1"},
        {"items": [{"id": "1", "title": "No content"}]},
        {"items": [{"id": "1", "content_html": "x", "date_published": "2021-06-01 10:00"}]},
        {"items": [{"id": "1", "content_html": "x", "authors": [{}]}]},
    ],
)
def test_the_json_feed_schema_rejects_what_the_spec_forbids(feed_site, broken):
    document = {**json_feed(feed_site), **broken}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, JSON_FEED_1_1, cls=jsonschema.Draft202012Validator)


# Pages link to the feeds ---------------------------------------------------------------------


def site_pages(site):
    """Every page a reader can reach: those in the sitemap, and the 404 page."""
    sitemap = etree.parse(str(site.output / "sitemap.xml"))
    urls = sitemap.iterfind(".//{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    paths = [url.text.removeprefix(f"{PRODUCTION_URL}/") + "index.html" for url in urls]
    return [site.output / path for path in paths + ["404.html"]]


def test_every_page_links_to_feeds_that_exist(feed_site):
    pages = site_pages(feed_site)
    assert len(pages) > 40
    site_links = {f"{PRODUCTION_URL}/{path}" for path in SITE_FEEDS.values()}
    for page in pages:
        head = lxml.html.parse(str(page)).getroot().head
        links = {link.get("href"): link.get("type") for link in head.iter("link")
                 if link.get("rel") == "alternate"}
        assert site_links <= set(links), page
        for href in links:
            assert href.startswith(f"{PRODUCTION_URL}/"), (page, href)
            assert (feed_site.output / href.removeprefix(f"{PRODUCTION_URL}/")).is_file()
    types = set(links.values())
    assert types == {"application/rss+xml", "application/atom+xml", "application/feed+json"}


def test_category_pages_and_their_posts_also_link_to_the_category_feeds(feed_site):
    for page in ("category/teams/index.html", "no-post-id/index.html"):
        head = lxml.html.parse(str(feed_site.output / page)).getroot().head
        hrefs = [link.get("href") for link in head.iter("link") if link.get("rel") == "alternate"]
        assert f"{PRODUCTION_URL}/feeds/teams.rss.xml" in hrefs
        assert f"{PRODUCTION_URL}/feeds/teams.atom.xml" in hrefs
        assert f"{PRODUCTION_URL}/feeds/career.rss.xml" not in hrefs


def test_footer_links_to_the_site_feeds(feed_site):
    footer = lxml.html.parse(str(feed_site.output / "index.html")).getroot().find(".//footer")
    links = {a.text: a.get("href") for a in footer.iter("a")}
    assert links["RSS"] == f"{PRODUCTION_URL}/feeds/all.rss.xml"
    assert links["Atom"] == f"{PRODUCTION_URL}/feeds/all.atom.xml"
    assert links["JSON Feed"] == f"{PRODUCTION_URL}/feeds/all.json"


# Stability ----------------------------------------------------------------------------------


def test_rebuilding_gives_byte_identical_feeds(feed_site, tmp_path):
    first = {p: (feed_site.output / p).read_bytes() for p in feed_paths()}
    for name, overrides in (("cold", {"LOAD_CONTENT_CACHE": False}), ("warm", {})):
        feed_site.build(OUTPUT_PATH=str(tmp_path / name), **overrides)
        again = {p: (tmp_path / name / p).read_bytes() for p in feed_paths()}
        assert [p for p in first if first[p] != again[p]] == [], name


def test_entry_ids_survive_a_new_slug_and_a_new_date(site):
    moving = (
        "Title: Moving Target\nDate: {date}\nCategory: Career\nSlug: {slug}\n"
        "Post-Id: 7a1e0c3b-3333-4a2b-8c3d-000000000001\n\nBody.\n"
    )
    no_id = "Title: No Id\nDate: {date}\nCategory: Career\nSlug: {slug}\n\nBody.\n"
    builds = []
    for date, slug in (("2021-03-01 09:00", "moving-targt"), ("2021-03-02 10:30", "moving-target")):
        site.write_post("moving.md", moving.format(date=date, slug=slug))
        site.write_post("no-id.md", no_id.format(date=date, slug=f"{slug}-no-id"))
        site.build()
        builds.append({e.title: e for e in parsed(site, SITE_FEEDS["atom"]).entries})
    before, after = builds
    for title in ("Moving Target", "No Id"):
        assert after[title].id == before[title].id
        assert after[title].link != before[title].link
        assert after[title].published != before[title].published
    assert before["Moving Target"].id == "urn:uuid:7a1e0c3b-3333-4a2b-8c3d-000000000001"


def test_feed_max_items_is_honoured(site):
    site.build(FEED_MAX_ITEMS=1)
    for relative in (SITE_FEEDS["rss"], SITE_FEEDS["atom"]):
        assert [e.title for e in parsed(site, relative).entries] == [NEWEST_FIVE[3]]
    assert [i["title"] for i in json_feed(site)["items"]] == [NEWEST_FIVE[3]]


def test_a_local_build_writes_no_feeds_and_no_links_to_them(site):
    site.build("pelicanconf.py")
    assert not (site.output / "feeds").exists()
    for page in site.output.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert 'rel="alternate"' not in html and "feeds/" not in html, page


# Bad input -------------------------------------------------------------------------------------


def test_a_date_without_timezone_stops_the_build_naming_the_file(site):
    """Pelican gives every date the site's TIMEZONE; a plugin that drops it is caught."""
    site.write_post("naive.md", "Title: Naive\nDate: 2021-03-01 09:00\nSlug: naive\n\nBody.\n")

    def drop_timezone(generator):
        for article in generator.articles:
            if article.slug == "naive":
                article.date = article.date.replace(tzinfo=None)

    signals.article_generator_finalized.connect(drop_timezone)
    try:
        with pytest.raises(BuildError) as failure:
            site.build()
    finally:
        signals.article_generator_finalized.disconnect(drop_timezone)
    message = str(failure.value)
    assert "content/posts/naive.md: field 'Date' (2021-03-01 09:00:00) has no timezone" in message
    assert "'Date: 2026-04-02 09:00-04:00'" in message
    assert not any(site.output.rglob("*.html"))


def test_a_post_without_a_date_stops_the_build_naming_the_file(site):
    """front_matter rejects it first, with the same advice the feeds would give."""
    site.write_post("undated.md", "Title: Undated\nSlug: undated\n\nBody.\n")
    with pytest.raises(BuildError) as failure:
        site.build()
    assert "content/posts/undated.md: field 'Date' is missing" in str(failure.value)
    assert "Date: 2026-04-02 09:00" in str(failure.value)


def test_post_problems_name_the_file_the_field_and_the_fix():
    def post(name, **fields):
        return SimpleNamespace(source_path=f"content/posts/{name}", **fields)

    aware = datetime.fromisoformat("2021-03-01T09:00:00-05:00")
    problems = post_problems(
        [
            post("ok.md", date=aware, post_id="urn:uuid:1"),
            post("undated.md", post_id="urn:uuid:2"),
            post("naive.md", date=aware, modified=aware.replace(tzinfo=None), post_id="urn:uuid:3"),
            post("copy.md", date=aware, post_id="urn:uuid:1"),
            post("anonymous.md", date=aware),
        ],
        "America/New_York",
    )
    assert len(problems) == 4
    assert problems[0].startswith("content/posts/undated.md: field 'Date' is missing")
    assert problems[1].startswith("content/posts/naive.md: field 'Modified' (2021-03-01 09:00:00)")
    assert "Modified: 2026-04-02 09:00-04:00" in problems[1]
    assert problems[2].startswith(
        "content/posts/copy.md: has the same Post-Id as content/posts/ok.md"
    )
    assert "'possibility.site.post_identity' before 'possibility.site.feeds'" in problems[3]


def test_a_category_feed_that_would_overwrite_the_site_feed_is_an_error(site):
    site.write_post("all.md", "Title: All\nDate: 2021-03-01\nCategory: All\nSlug: all\n\nHi.\n")
    with pytest.raises(BuildError) as failure:
        site.build()
    message = str(failure.value)
    assert "feeds/all.rss.xml" in message and "FEEDS_CATEGORY_RSS" in message


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"FEEDS_CATEGORY_RSS": "feeds/category.rss.xml"}, "must contain {slug}"),
        ({"FEEDS_CATEGORY_ATOM": "feeds/{name}.atom.xml"}, "only use {slug}"),
        ({"FEEDS_ALL_RSS": "/srv/all.rss.xml"}, "inside the output folder"),
        ({"FEEDS_ALL_JSON": "../all.json"}, "inside the output folder"),
        ({"FEED_MAX_ITEMS": 0}, "FEED_MAX_ITEMS is 0: write a positive whole number"),
        ({"FEED_MAX_ITEMS": "20"}, "FEED_MAX_ITEMS is '20': write a positive whole number"),
    ],
)
def test_bad_settings_are_explained(overrides, fragment):
    with pytest.raises(FeedsSettingsError, match=fragment.replace("{", r"\{").replace("}", r"\}")):
        read_settings({"SITEURL": PRODUCTION_URL, **overrides})


def test_settings_defaults_and_switching_feeds_off():
    config = read_settings({"SITEURL": f"{PRODUCTION_URL}/", "FEEDS_ALL_JSON": None})
    assert config.siteurl == PRODUCTION_URL
    assert config.site_paths == {"rss": "feeds/all.rss.xml", "atom": "feeds/all.atom.xml"}
    assert config.max_items == 20
    assert not read_settings({"SITEURL": ""}).enabled
    assert not read_settings({"SITEURL": PRODUCTION_URL, "RELATIVE_URLS": True}).enabled


def test_absolute_html_resolves_like_a_browser_and_keeps_what_it_cannot_parse():
    base = "https://example.org/post/"
    html = (
        '<p><a href=" ../other/ ">o</a><img src="i.png" srcset="a.jpg?w=1,2 1x,b.jpg 2x">'
        '<a href="http://[::1">bad</a><a href="data:text/plain,x">d</a>'
        '<video poster="p.jpg"></video><q cite="/quote/">q</q> &amp; &lt;3 “x”</p>'
    )
    assert absolute_html(html, base) == (
        '<p><a href="https://example.org/other/">o</a><img src="https://example.org/post/i.png"'
        ' srcset="https://example.org/post/a.jpg?w=1,2 1x, https://example.org/post/b.jpg 2x">'
        '<a href="http://[::1">bad</a><a href="data:text/plain,x">d</a>'
        '<video poster="https://example.org/post/p.jpg"></video>'
        '<q cite="https://example.org/quote/">q</q> &amp; &lt;3 “x”</p>'
    )
    assert absolute_srcset(" a.jpg, b.jpg 2x,c.jpg   3x ", base) == (
        "https://example.org/post/a.jpg, https://example.org/post/b.jpg 2x, "
        "https://example.org/post/c.jpg 3x"
    )
    # As in the HTML spec: without a space after it, a comma is part of the URL.
    assert absolute_srcset("a.jpg,b.jpg 2x", base) == "https://example.org/post/a.jpg,b.jpg 2x"
    assert absolute_html("", base) == ""
