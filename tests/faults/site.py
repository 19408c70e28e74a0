"""A tiny news site for fault tests: one RSS feed and its pages, written to a directory that
SeedServer serves over loopback; and an outlet's one story, for near-duplicates across outlets.
Pages are minimal HTML of our own."""

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


# One story as a wire service wrote it, and another outlet's copy of it (a paragraph changed):
# near-duplicates at the default threshold, unlike any two pages of `write_site`.
PARAGRAPHS = [
    "The harbour authority closed the northern channel on Tuesday after a cargo ship lost "
    "power and drifted across the shipping lane during the early morning fog.",
    "Tugboats from two neighbouring ports reached the vessel within an hour and held it in "
    "place while engineers worked to restart its main engine and steering gear.",
    "No injuries were reported among the twenty one crew members, the authority said, and "
    "divers found no damage to the hull after a first inspection at low tide.",
    "Ferries between the islands were delayed by up to three hours and several fishing boats "
    "waited outside the breakwater until the channel was declared safe again.",
    "Officials said an investigation would look at maintenance records and at why the backup "
    "generator failed to start when the main power supply was interrupted.",
    "The channel reopened in the afternoon, and traffic was expected to return to normal by "
    "the evening once the queue of waiting vessels had been cleared.",
]
COPY = [*PARAGRAPHS[:4], "A spokesman for the shipping company declined to comment on the "
        "cause of the failure and said the ship would stay in port for repairs.", PARAGRAPHS[5]]


def write_outlet(root: Path, outlet: str, title: str, published: str,
                 paragraphs: list[str]) -> Path:
    """The outlet's one story, `story.html`, and `feed.xml` listing it; returns root."""
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    root.mkdir(exist_ok=True)
    (root / "story.html").write_text(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="og:site_name" content="{outlet}">'
        f'<meta property="article:published_time" content="{published}">'
        f'<link rel="canonical" href="https://{outlet.lower()}.example/story"></head>'
        f"<body><article><h1>{title}</h1>{body}</article></body></html>")
    date = format_datetime(datetime.fromisoformat(published.replace("Z", "+00:00")))
    (root / "feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{outlet}</title>'
        f"<link>https://{outlet.lower()}.example/</link><item><title>{title}</title>"
        "<link>{{BASE_URL}}/story.html</link>"
        f"<pubDate>{date}</pubDate></item></channel></rss>")
    return root
