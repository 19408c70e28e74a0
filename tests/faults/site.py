"""A tiny news site for fault tests: one RSS feed and its pages, written to a directory that
SeedServer serves over loopback. Pages are minimal HTML of our own."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from pathlib import Path

from newswire.schemas.article import document_id

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:title" content="{title}"><meta property="og:site_name" content="Fault Times">
<meta property="article:published_time" content="{published}">
<link rel="canonical" href="{{{{BASE_URL}}}}/{slug}.html"></head>
<body><article><h1>{title}</h1>
<p>The first paragraph of the story called {title}, long enough to be read as an article.</p>
<p>A second paragraph follows with more detail about what happened and who said what.</p>
<p>The third paragraph closes the story with what is expected to happen next week.</p>
</article></body></html>
"""


def write_site(root: Path, published: dict[str, str]) -> Path:
    """Pages `<slug>.html` dated as given (ISO 8601) and `feed.xml` listing them; returns root."""
    items = []
    for slug, when in published.items():
        title = f"Story {slug}"
        (root / f"{slug}.html").write_text(_PAGE.format(title=title, published=when, slug=slug))
        date = format_datetime(datetime.fromisoformat(when.replace("Z", "+00:00")))
        items.append(f"<item><title>{title}</title><link>{{{{BASE_URL}}}}/{slug}.html</link>"
                     f"<guid isPermaLink=\"false\">faults-{slug}</guid>"
                     f"<pubDate>{date}</pubDate></item>")
    (root / "feed.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Fault Times</title>'
        f"<link>https://faults.example/</link>{''.join(items)}</channel></rss>")
    return root


def article_id(base_url: str, slug: str) -> str:
    """The index id the page `slug` gets from a server at `base_url` (its canonical URL)."""
    return document_id(f"{base_url}/{slug}.html")
