"""Titles and summaries are text, everywhere (possibility.core.text): one post whose title is
`"Café" & <Leadership>: Naïve questions` and whose Summary holds `<real>`, Markdown
emphasis, `&` and a literal `&amp;`, through a real production build: the page, its
<title>, meta description, OpenGraph and JSON-LD, the home page, every feed, the email."""

import json
import shutil

import feedparser
import lxml.html
import pytest
from conftest import Site
from lxml import etree
from test_html_valid import nu_errors

from possibility.core.text import html_to_text, summary_html, summary_text

TITLE = '"Café" & <Leadership>: Naïve questions'
SUMMARY = "Is a <real> question *worth* asking & `<code>` worth &amp; reading?"
SUMMARY_TEXT = "Is a <real> question worth asking & <code> worth &amp; reading?"
POST = f"""Title: {TITLE}
Date: 2024-05-01 09:00
Category: Leadership
Slug: naive-questions
Post-Id: 7a1e0c3b-5555-4a2b-8c3d-000000000001
Summary: {SUMMARY}

The body.
"""
ATOM = "{http://www.w3.org/2005/Atom}"
ID = "urn:uuid:7a1e0c3b-5555-4a2b-8c3d-000000000001"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    site = Site(tmp_path_factory.mktemp("text"))
    site.write_post("naive-questions.md", POST)
    site.build()
    return site


def page(site, relative):
    return lxml.html.parse(str(site.output / relative)).getroot()


def test_the_rule_itself():
    html = summary_html(SUMMARY)
    assert html == ("Is a &lt;real&gt; question <em>worth</em> asking &amp; "
                    "<code>&lt;code&gt;</code> worth &amp;amp; reading?")
    assert summary_text(SUMMARY) == html_to_text(html) == SUMMARY_TEXT
    assert summary_html("**Strong** [a link](https://example.org/?a=1&b=2)") == (
        '<strong>Strong</strong> <a href="https://example.org/?a=1&amp;b=2">a link</a>')
    for written in ("# Not a heading", "- not a list", "![not](an-image.png)",
                    "<https://not.an/autolink>", "<!-- shown -->"):
        assert summary_text(written) == written
    assert summary_html("") == "" and html_to_text("<p></p>") == ""


def test_the_page_its_title_meta_opengraph_and_json_ld(built):
    root = page(built, "naive-questions/index.html")
    assert root.xpath("string(//article//h1)") == TITLE
    assert root.xpath("string(//title)") == f"{TITLE} · The Possibility Practice"
    assert root.xpath("//meta[@name='description']/@content") == [SUMMARY_TEXT]
    assert root.xpath("//meta[@property='og:title']/@content") == [TITLE]
    assert root.xpath("//meta[@property='og:description']/@content") == [SUMMARY_TEXT]
    data = json.loads(root.xpath("string(//script[@type='application/ld+json'])"))
    assert (data["headline"], data["description"]) == (TITLE, SUMMARY_TEXT)


def test_the_home_page_shows_the_summary_as_html_with_its_tags_as_text(built):
    root = page(built, "index.html")
    entry = root.xpath("//article[@class='summary'][.//a[contains(@href, 'naive-questions')]]")[0]
    heading = ".//*[self::h2 or self::h3]"  # the entry's title, at whatever level the list uses
    assert entry.xpath(f"string({heading})") == TITLE
    summary = entry.xpath(".//div[@class='summary-text']")[0]
    assert summary.text_content() == SUMMARY_TEXT
    assert [e.tag for e in summary.iter(etree.Element)] == ["div", "em", "code"]
    [link] = entry.xpath(f"{heading}/a")  # the title is the entry's one link to the post
    assert link.text_content() == TITLE and link.get("href").endswith("naive-questions/")


def test_the_nu_checker_finds_no_error_on_the_page_and_the_home_page(built, tmp_path):
    for relative in ("naive-questions/index.html", "index.html"):
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(built.output / relative, target)
    assert nu_errors(tmp_path) == []


def test_rss_titles_are_plain_text_escaped_once(built):
    raw = (built.output / "feeds/all.rss.xml").read_bytes()
    assert b'<title>"Caf\xc3\xa9" &amp; &lt;Leadership&gt;: Na\xc3\xafve questions</title>' in raw
    assert b"CDATA" not in raw and b"&amp;amp;lt;" not in raw
    item = next(i for i in etree.fromstring(raw).iter("item") if i.findtext("guid") == ID)
    title = item.find("title")
    assert (title.text, len(title), title.attrib) == (TITLE, 0, {})
    assert html_to_text(item.findtext("description")) == SUMMARY_TEXT
    entry = next(e for e in feedparser.parse(raw).entries if e.id == ID)
    assert entry.title == TITLE
    assert html_to_text(entry.summary) == SUMMARY_TEXT and "<em>worth</em>" in entry.summary


def test_atom_titles_say_they_are_text(built):
    for relative in ("feeds/all.atom.xml", "feeds/leadership.atom.xml"):
        raw = (built.output / relative).read_bytes()
        root = etree.fromstring(raw)
        entry = next(e for e in root.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}id") == ID)
        title = entry.find(f"{ATOM}title")
        assert (title.get("type"), title.text) == ("text", TITLE)
        summary = entry.find(f"{ATOM}summary")
        assert summary.get("type") == "html" and html_to_text(summary.text) == SUMMARY_TEXT
        parsed = next(e for e in feedparser.parse(raw).entries if e.id == ID)
        assert parsed.title == TITLE and parsed.title_detail.type == "text/plain"


def test_the_json_feed_holds_plain_text(built):
    document = json.loads((built.output / "feeds/all.json").read_text(encoding="utf-8"))
    item = next(i for i in document["items"] if i["id"] == ID)
    assert (item["title"], item["summary"]) == (TITLE, SUMMARY_TEXT)


def test_the_email_subject_heading_preview_and_plain_text(built):
    folder = built.output / "newsletter/naive-questions"
    record = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert (record["title"], record["subject"], record["preview"]) == (
        TITLE, TITLE, SUMMARY_TEXT)
    email = lxml.html.document_fromstring(record["html"])
    assert email.xpath("string(//title)") == TITLE
    assert email.xpath("string(//h1)") == TITLE
    assert email.xpath("string(//div[@class='preheader'])").startswith(SUMMARY_TEXT)
    text = (folder / "email.txt").read_text(encoding="utf-8")
    assert f"\n{TITLE}\n{'=' * len(TITLE)}\n" in text
    preview = lxml.html.parse(str(folder / "index.html")).getroot()
    assert preview.xpath("string(//h1)") == TITLE
