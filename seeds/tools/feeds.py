"""Feed documents: RSS 2.0 (with Media RSS and Dublin Core), Atom 1.0 and RDF / RSS 1.0."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

from newswire.schemas.article import LeadImage
from newswire.seeds.tools.corpus import FeedSpec, Outlet, Story


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed: a story's page, or a link the pipeline cannot index."""

    link: str  # as the feed carries it, with {{BASE_URL}}
    guid: str
    title: str
    summary: str
    published: datetime
    updated: datetime | None
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    image: LeadImage | None = None
    story: Story | None = None
    dead_reason: str = ""  # for links the pipeline must dead-letter: why

    @property
    def modified(self) -> datetime:
        return self.updated or self.published


def story_entry(story: Story) -> FeedEntry:
    article = story.article
    return FeedEntry(
        link=story.feed_link(),
        guid=article.canonical_url,
        title=article.title,
        summary=article.summary,
        published=story.published,
        updated=story.updated,
        authors=article.authors,
        tags=article.tags,
        image=article.image,
        story=story,
    )


def text(value: str) -> str:
    return escape(value)


def attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def rfc822(moment: datetime, gmt: bool = False) -> str:
    if gmt:
        return format_datetime(moment.astimezone(timezone.utc), usegmt=True)
    return format_datetime(moment)


def zulu(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def render_feed(outlet: Outlet, feed: FeedSpec, entries: Sequence[FeedEntry]) -> str:
    """The feed document for `entries` (newest first, as given)."""
    if feed.format == "atom":
        return atom(outlet, feed, entries)
    if feed.format == "rdf":
        return rdf(outlet, feed, entries)
    return rss(outlet, feed, entries, media=outlet.key != "reuters")


def _last_build(entries: Sequence[FeedEntry]) -> datetime:
    return max(entry.modified for entry in entries)


def rss(outlet: Outlet, feed: FeedSpec, entries: Sequence[FeedEntry], media: bool) -> str:
    """RSS 2.0; with `media`, Media RSS images and one dc:creator per author (Northwind)."""
    gmt = not media
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        + (' xmlns:media="http://search.yahoo.com/mrss/"' if media else "") + ">",
        "  <channel>",
        f"    <title>{text(feed.title)}</title>",
        f"    <link>{text(feed.home)}</link>",
        f"    <description>{text(feed.description)}</description>",
        "    <language>en-us</language>",
        f"    <copyright>Copyright {_last_build(entries).year} {text(outlet.name)}</copyright>",
        f"    <lastBuildDate>{rfc822(_last_build(entries), gmt)}</lastBuildDate>",
        "    <ttl>15</ttl>",
        f'    <atom:link href="{attr(feed.url)}" rel="self" type="application/rss+xml"/>',
    ]
    if media:
        out += [
            "    <image>",
            f"      <url>{text(outlet.domain)}/static/img/rss-logo-144.png</url>",
            f"      <title>{text(feed.title)}</title>",
            f"      <link>{text(feed.home)}</link>",
            "    </image>",
        ]
    for entry in entries:
        out += [
            "    <item>",
            f"      <title>{text(entry.title)}</title>",
            f"      <link>{text(entry.link)}</link>",
            f'      <guid isPermaLink="false">{text(entry.guid)}</guid>',
            f"      <description>{text(entry.summary)}</description>",
            f"      <pubDate>{rfc822(entry.published, gmt)}</pubDate>",
            *(f"      <dc:creator>{text(name)}</dc:creator>" for name in entry.authors),
            *(f"      <category>{text(tag)}</category>" for tag in entry.tags),
        ]
        if media and entry.image:
            image = entry.image
            out.append(f'      <media:content url="{attr(image.url)}" medium="image"'
                       ' type="image/jpeg" width="1200" height="800">')
            if image.credit:
                out.append(f'        <media:credit role="photographer">{text(image.credit)}'
                           "</media:credit>")
            if image.caption:
                out.append(f'        <media:description type="plain">{text(image.caption)}'
                           "</media:description>")
            out.append("      </media:content>")
        out.append("    </item>")
    out += ["  </channel>", "</rss>"]
    return "\n".join(out) + "\n"


def atom(outlet: Outlet, feed: FeedSpec, entries: Sequence[FeedEntry]) -> str:
    """Atom 1.0 (Meridian Wire): UTC timestamps, one author element per byline."""
    domain = outlet.domain.removeprefix("https://www.")
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">',
        f"  <title>{text(feed.title)}</title>",
        f"  <subtitle>{text(feed.description)}</subtitle>",
        f'  <link rel="self" type="application/atom+xml" href="{attr(feed.url)}"/>',
        f'  <link rel="alternate" type="text/html" href="{attr(feed.home)}"/>',
        f"  <id>tag:{domain},2026:feed/{feed.name}</id>",
        f"  <updated>{zulu(_last_build(entries))}</updated>",
        f"  <rights>Copyright 2026 {text(outlet.name)}</rights>",
        f'  <generator uri="{attr(outlet.domain)}/">Meridian Publishing Platform</generator>',
    ]
    for entry in entries:
        tag_id = entry.guid.removeprefix(outlet.domain + "/")
        language = entry.story.article.language if entry.story else ""
        out += [
            f'  <entry xml:lang="{attr(language)}">' if language not in ("", "en") else "  <entry>",
            f"    <title>{text(entry.title)}</title>",
            f'    <link rel="alternate" type="text/html" href="{attr(entry.link)}"/>',
            f"    <id>tag:{domain},2026:{text(tag_id)}</id>",
            f"    <published>{zulu(entry.published)}</published>",
            f"    <updated>{zulu(entry.modified)}</updated>",
            *(f"    <author><name>{text(name)}</name></author>" for name in entry.authors),
            *(f'    <category term="{attr(tag)}"/>' for tag in entry.tags),
            f'    <summary type="text">{text(entry.summary)}</summary>',
        ]
        if entry.image:
            out.append(f'    <link rel="enclosure" type="image/jpeg"'
                       f' href="{attr(entry.image.url)}"/>')
        out.append("  </entry>")
    out.append("</feed>")
    return "\n".join(out) + "\n"


def rdf(outlet: Outlet, feed: FeedSpec, entries: Sequence[FeedEntry]) -> str:
    """RDF Site Summary 1.0 (Harbor City Gazette), dates in dc:date with the local offset."""
    local = _last_build(entries).astimezone(entries[0].published.tzinfo)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        f'  <channel rdf:about="{attr(feed.url)}">',
        f"    <title>{text(feed.title)}</title>",
        f"    <link>{text(feed.home)}</link>",
        f"    <description>{text(feed.description)}</description>",
        "    <dc:language>en-us</dc:language>",
        f"    <dc:publisher>{text(outlet.name)}</dc:publisher>",
        f"    <dc:date>{local.isoformat(timespec='seconds')}</dc:date>",
        "    <items>",
        "      <rdf:Seq>",
        *(f'        <rdf:li rdf:resource="{attr(entry.link)}"/>' for entry in entries),
        "      </rdf:Seq>",
        "    </items>",
        "  </channel>",
    ]
    for entry in entries:
        out += [
            f'  <item rdf:about="{attr(entry.link)}">',
            f"    <title>{text(entry.title)}</title>",
            f"    <link>{text(entry.link)}</link>",
            f"    <description>{text(entry.summary)}</description>",
            f"    <dc:creator>{text(', '.join(entry.authors))}</dc:creator>",
            f"    <dc:date>{entry.published.isoformat(timespec='seconds')}</dc:date>",
            *(f"    <dc:subject>{text(tag)}</dc:subject>" for tag in entry.tags),
            "  </item>",
        ]
    out.append("</rdf:RDF>")
    return "\n".join(out) + "\n"
