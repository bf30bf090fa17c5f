"""A link or an image that points at nothing stops every build, naming the Markdown file, the
link as written and the fix (possibility.site.front_matter.links)."""

import os
import shutil
import subprocess
import sys

import lxml.html
import pytest
from conftest import ROOT

import possibility.site.front_matter as front_matter
from possibility.commands.publish.build import BuildError
from possibility.site.front_matter.links import LINKS_KEY, written_contents
from possibility.site.front_matter.pelican_links import intrasite_pattern, linked

GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def post(body, summary="A post with links."):
    return (f"Title: Links\nDate: 2021-06-01 10:00\nSlug: links\nSummary: {summary}\n\n"
            f"{body}\n")


def with_image(site, name="pier.gif"):
    (site.content / "images").mkdir(exist_ok=True)
    (site.content / "images" / name).write_bytes(GIF)


def failure(site, text, settings="publishconf.py"):
    site.write_post("links.md", text)
    with pytest.raises(BuildError) as raised:
        site.build(settings)
    assert not any(site.output.rglob("*.html")), "nothing is written"
    return str(raised.value)


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("See [the career post]({filename}/posts/is-your-carreer-off-track.md).",
         "content/posts/links.md: the link {filename}/posts/is-your-carreer-off-track.md points "
         "at nothing: did you mean {filename}/posts/is-your-career-off-track.md?"),
        ("See [a post]({filename}/posts/missing.md).",
         "content/posts/links.md: the link {filename}/posts/missing.md points at nothing: there "
         "is no content/posts/missing.md: link to a post or page that exists, by its path under "
         "content/ (such as {filename}/posts/other-post.md)."),
        ("See [contact]({filename}../pages/contactt.md#form).",
         "content/posts/links.md: the link {filename}../pages/contactt.md#form points at "
         "nothing: did you mean {filename}/pages/contact.md?"),
        ("![A missing image]({static}/images/missing.png)",
         "content/posts/links.md: the image {static}/images/missing.png points at nothing: put "
         "the image in content/images/ and link it as {static}/images/missing.png."),
        ("![A pier](../images/peir.gif)",
         "content/posts/links.md: the image ../images/peir.gif points at nothing: did you mean "
         "{static}/images/pier.gif?"),
        ("![A photo](photo.jpg)",
         "content/posts/links.md: the image photo.jpg points at nothing: put the image in "
         "content/images/ and link it as {static}/images/photo.jpg."),
        ("See [the career post]({filname}/posts/is-your-career-off-track.md).",
         "content/posts/links.md: the link {filname}/posts/is-your-career-off-track.md points at "
         "nothing: Pelican knows no {filname}: write "
         "{filename}/posts/is-your-career-off-track.md."),
    ],
)
def test_a_link_to_nothing_stops_the_build_naming_file_link_and_fix(site, body, line):
    with_image(site)
    message = failure(site, post(body))
    assert message == f"the site was not built: 1 link(s) point at nothing:\n{line}"


def test_a_link_in_the_summary_is_checked_too(site):
    message = failure(site, post("Body.", summary="Read [this]({filename}/posts/nope.md)."))
    assert "content/posts/links.md: the link {filename}/posts/nope.md points at nothing" in message


def test_every_broken_link_of_every_file_is_listed_at_once_and_the_local_build_stops_too(site):
    site.write_post("other.md", "Title: Other\nDate: 2021-01-01\nSlug: other\n\n"
                    "![Gone](/images/gone.png)\n")
    message = failure(site, post("[a]({filename}/posts/a.md) [b]({static}/b.pdf)"),
                      "pelicanconf.py")
    assert message.startswith("the site was not built: 3 link(s) point at nothing:\n")
    assert message.splitlines()[1:] == [
        "content/posts/links.md: the link {filename}/posts/a.md points at nothing: there is no "
        "content/posts/a.md: link to a post or page that exists, by its path under content/ "
        "(such as {filename}/posts/other-post.md).",
        "content/posts/links.md: the link {static}/b.pdf points at nothing: put the file in "
        "content/images/ and link it as {static}/images/b.pdf.",
        "content/posts/other.md: the image /images/gone.png points at nothing: put the image in "
        "content/images/ and link it as {static}/images/gone.png.",
    ]


def test_a_draft_is_checked_where_it_is_written(site):
    """A local build writes drafts (under /drafts/), so their links must work; a production
    build leaves them out, so a draft's broken link does not stop a publish."""
    site.write_post("draft.md", "Title: Draft\nDate: 2021-01-01\nStatus: draft\nSlug: d\n\n"
                    "[x]({filename}/posts/nothing.md)\n")
    with pytest.raises(BuildError, match="content/posts/draft.md: the link"):
        site.build("pelicanconf.py")
    site.build()
    assert (site.output / "index.html").is_file()
    # An image path written for the published page (/d/) passes, though the preview is
    # one folder deeper (/drafts/d/).
    with_image(site)
    site.write_post("draft.md", "Title: Draft\nDate: 2021-01-01\nStatus: draft\nSlug: d\n\n"
                    "![A pier](../images/pier.gif)\n")
    site.build("pelicanconf.py")
    assert (site.output / "drafts" / "d" / "index.html").is_file()


def test_links_that_resolve_pass_and_the_pages_know_their_sources(site):
    with_image(site)
    with_image(site, "pier two.gif")
    site.write_post("links.md", post(
        "[a]({filename}/posts/is-your-career-off-track.md) [b]({filename}../pages/about.md) "
        "![c]({static}/images/pier%20two.gif) ![d](../images/pier.gif) "
        "![e](/images/pier.gif) [f]({tag}career) [g]({index})",
        summary="See [contact]({filename}/pages/contact.md)."))
    result = site.build()
    assert result.sources["links/index.html"] == "content/posts/links.md"
    assert result.sources["about/index.html"] == "content/pages/about.md"
    html = site.html("links/index.html")
    assert "{filename}" not in html and "{static}" not in html


LINK_FORMS = [
    "{filename}/posts/is-your-career-off-track.md",
    "{filename}is-your-career-off-track.md",
    "{filename}../pages/contact.md",
    "{filename}/pages/contact.md#form",
    "{filename}/posts/missing.md",
    "{filename}/images/pier.gif",  # a static file through {filename}: Pelican accepts it
    "{filename}/posts/is-your-career-off-track.md?x=1",
    "{filename}/posts/is%2Dyour%2Dcareer%2Doff%2Dtrack.md",
    "|filename|/posts/is-your-career-off-track.md",
    "{static}/images/pier.gif",
    "{static}../images/pier.gif",
    "{static}/images/pier%20two.gif",
    "{static}/images/pier two.gif",
    "{static}/images/nope.gif",
    "{static}/posts/handout.pdf",  # outside STATIC_PATHS, published because it is linked
    "{static}handout.pdf",
    "{static}/posts/nohandout.pdf",
    "{attach}/images/attached.gif",
    "{attach}/images/unattached.gif",
]


def test_the_mirror_agrees_with_pelican(site, monkeypatch):
    """pelican_links mirrors Pelican 4.12's own link resolution: for links of every form,
    it says "resolves" exactly when Pelican replaces the link in the page it writes. This
    fails when Pelican resolves links otherwise: pelican_links must then follow it."""
    with_image(site)
    with_image(site, "pier two.gif")
    with_image(site, "attached.gif")
    (site.content / "posts" / "handout.pdf").write_bytes(b"%PDF-1.4\n")
    body = "\n".join(f'<a href="{form}">{n}</a>' for n, form in enumerate(LINK_FORMS))
    site.write_post("links.md", post(f"<p>{body}</p>"))
    verdicts = {}

    def judge_without_stopping(generators):
        context, settings = generators[0].context, generators[0].settings
        pattern = intrasite_pattern(settings)
        for content in written_contents(generators):
            if content.slug != "links":
                continue
            for _, value in content.metadata[LINKS_KEY]:
                match = pattern.match(value)
                verdicts[value] = linked(content, match["what"], match["value"], context)

    monkeypatch.setattr(front_matter, "check_links", judge_without_stopping)
    site.build()
    assert sorted(verdicts) == sorted(LINK_FORMS)
    page = lxml.html.parse(str(site.output / "links/index.html")).getroot()
    written = {a.text: a.get("href") for a in page.iter("a") if (a.text or "").isdigit()}
    pelican = {form: written[str(n)] != form for n, form in enumerate(LINK_FORMS)}
    mirror = {form: verdicts[form] is not None for form in LINK_FORMS}
    assert mirror == pelican
    # Pelican makes a static file of every {static} and {attach} link's target, there or
    # not, and "resolves" the link to it: the check also asks that the file exist.
    assert [f for f in LINK_FORMS if not pelican[f]] == ["{filename}/posts/missing.md"]
    missing = [f for f in LINK_FORMS if verdicts[f] is not None
               and not os.path.isfile(verdicts[f].source_path)]
    assert missing == ["{static}/images/nope.gif", "{static}/posts/nohandout.pdf",
                       "{attach}/images/unattached.gif"]


def test_links_are_read_once_with_the_post_and_kept_in_the_content_cache(site):
    site.write_post("links.md", post("[a]({filename}/posts/is-your-career-off-track.md) "
                                     "[b](https://example.org/) ![c](//cdn.example/x.png)"))
    site.build()
    cached = [m for m in _cached_metadata(site) if m.get("slug") == "links"]
    assert cached and cached[0][LINKS_KEY] == (
        ("link", "{filename}/posts/is-your-career-off-track.md"),)


def _cached_metadata(site):
    import pickle

    for path in (site.folder / "cache").glob("*Readers"):
        with open(path, "rb") as handle:
            for _, (_, (_, metadata)) in pickle.load(handle).items():  # path: (stamp, read)
                yield metadata


@pytest.fixture
def project(tmp_path):
    """A copy of the project (tasks, settings, content, theme) with a broken link."""
    folder = tmp_path / "project"
    folder.mkdir()
    for name in ("tasks.py", "pelicanconf.py", "publishconf.py"):
        shutil.copy(ROOT / name, folder / name)
    for name in ("content", "theme"):
        shutil.copytree(ROOT / name, folder / name,
                        ignore=shutil.ignore_patterns("newsletter-ledger.json*"))
    (folder / "content" / "posts" / "links.md").write_text(
        post("See [it]({filename}/posts/is-your-carreer-off-track.md)."), encoding="utf-8")
    return folder


@pytest.mark.parametrize("command", [["build"], ["preview"], ["publish", "--dry-run"]])
def test_invoke_build_preview_and_publish_stop_on_a_broken_link(project, command):
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("DEPLOY_", "PUBLISH_", "MAILCHIMP_", "SITEURL"))}
    done = subprocess.run(
        [sys.executable, "-m", "invoke", *command], cwd=project, capture_output=True, text=True,
        env={**environ, "COLUMNS": "300"}, stdin=subprocess.DEVNULL, check=False,
    )
    printed = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 1, printed
    assert ("content/posts/links.md: the link {filename}/posts/is-your-carreer-off-track.md "
            "points at nothing: did you mean {filename}/posts/is-your-career-off-track.md?"
            ) in printed
    assert not (project / "output" / "links").exists()


def test_the_checked_attributes_are_pelicans():
    """Pelican reads a link from these attributes (4.12's `_get_intrasite_link_regex`)."""
    from pelican.contents import Content

    from possibility.site.front_matter.pelican_links import URL_ATTRIBUTES

    regex = Content._get_intrasite_link_regex(type("C", (), {"settings": {
        "INTRASITE_LINK_REGEX": "[{|](?P<what>.*?)[|}]"}})()).pattern
    assert all(name in regex for name in URL_ATTRIBUTES)
