"""Build the sitemap and robots.txt text from Pelican's context (no I/O here)."""

from xml.sax.saxutils import escape


def _lastmod(content):
    stamp = getattr(content, "modified", None) or getattr(content, "date", None)
    return stamp.isoformat() if stamp else None


def sitemap_entries(context, siteurl):
    """(absolute URL, lastmod or None) for every public page, home first, sorted after."""
    articles = context.get("articles", [])
    newest = max((_lastmod(a) for a in articles), default=None)
    entries = {f"{siteurl}/": newest}
    for content in [*articles, *context.get("pages", []), *context.get("events", [])]:
        entries[f"{siteurl}/{content.url}"] = _lastmod(content)
    for key in ("categories", "tags", "authors"):
        for group, group_articles in context.get(key, []):
            entries[f"{siteurl}/{group.url}"] = max(_lastmod(a) for a in group_articles)
    for name in ("ARCHIVES_URL", "CATEGORIES_URL", "TAGS_URL", "AUTHORS_URL"):
        url = context.get(name)
        if url:
            entries[f"{siteurl}/{url}"] = newest
    home = f"{siteurl}/"
    return [(home, entries.pop(home))] + sorted(entries.items())


def sitemap_xml(entries):
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for url, lastmod in entries:
        lines.append(f"  <url><loc>{escape(url)}</loc>")
        if lastmod:
            lines.append(f"    <lastmod>{lastmod}</lastmod>")
        lines.append("  </url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def robots_txt(sitemap_url):
    lines = ["User-agent: *", "Allow: /"]
    if sitemap_url:
        lines.append(f"Sitemap: {sitemap_url}")
    return "\n".join(lines) + "\n"
