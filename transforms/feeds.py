"""Feeds: the feed list (plain text or OPML), and polling each feed into its entries."""

from __future__ import annotations

import calendar
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import apache_beam as beam
import feedparser
from apache_beam.metrics import Metrics
from lxml import etree

from transforms.http import FetchError, HttpClient, HttpSettings
from transforms.jsonfeed import entries_from_json_feed, is_json_feed
from transforms.records import DEAD_LETTER, DeadLetter, FeedEntry


def parse_feed_list(text: str) -> list[str]:
    """Feed URLs from an OPML document or a plain list (one per line, `#` comments)."""
    if text.lstrip().startswith("<"):
        try:
            root = etree.fromstring(text.encode(), parser=etree.XMLParser(resolve_entities=False))
        except etree.XMLSyntaxError as error:
            raise ValueError(f"feed list is neither OPML nor plain text: {error}") from None
        return [url for url in root.xpath("//outline/@xmlUrl") if url.strip()]
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def entries_from_feed(document: bytes, feed_url: str,
                      headers: dict[str, str] | None = None) -> list[FeedEntry]:
    """Parse an RSS, Atom, RDF or JSON Feed document into entries; ValueError if it is no feed."""
    if is_json_feed((headers or {}).get("content-type", ""), document):
        return entries_from_json_feed(document, feed_url)
    parsed = feedparser.parse(document, response_headers={"content-location": feed_url,
                                                          **(headers or {})})
    if parsed.bozo and not parsed.entries:
        raise ValueError(f"not a feed: {parsed.get('bozo_exception', 'unparseable')}")
    feed_title = parsed.feed.get("title", "")
    return [_entry(item, feed_url, feed_title) for item in parsed.entries]


def _entry(item: Any, feed_url: str, feed_title: str) -> FeedEntry:
    media = (item.get("media_content") or [{}])[0]
    thumbnail = (item.get("media_thumbnail") or [{}])[0]
    credit = (item.get("media_credit") or [{}])[0]
    # dict.get skips feedparser's deprecated updated->published aliasing; RSS 1.0's dc:date
    # arrives as `updated` and is the publication date there.
    published, updated = dict.get(item, "published_parsed"), dict.get(item, "updated_parsed")
    return FeedEntry(
        link=(item.get("link") or "").strip(),
        feed_url=feed_url,
        feed_title=feed_title,
        title=item.get("title", ""),
        entry_id=item.get("id", ""),
        published=_utc(published or updated),
        updated=_utc(updated) if published else None,
        summary=item.get("summary", ""),
        authors=tuple(a["name"] for a in item.get("authors", []) if a.get("name")),
        tags=tuple(t["term"] for t in item.get("tags", []) if t.get("term")),
        image_url=media.get("url") or thumbnail.get("url", ""),
        image_credit=credit.get("content", ""),
        image_caption=item.get("media_description", ""),
    )


def _utc(parsed: time.struct_time | None) -> datetime | None:
    """feedparser normalises dates to UTC struct_time; make them aware datetimes."""
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc)


class PollFeeds(beam.DoFn):
    """Fetches each feed URL and emits its entries; unreachable or broken feeds are dead letters.

    An entry without a link cannot be fetched, so it leaves as an entry dead letter.
    """

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self.polled = Metrics.counter("newswire", "feeds_polled")
        self.failed = Metrics.counter("newswire", "feeds_failed")
        self.seen = Metrics.counter("newswire", "entries_seen")

    def setup(self) -> None:
        self.client = HttpClient(self.settings)
        self.client.open()

    def teardown(self) -> None:
        self.client.close()

    def process(self, feed_url: str) -> Iterator[Any]:
        try:
            response = self.client.get(feed_url)
            entries = entries_from_feed(response.body, feed_url, dict(response.headers))
        except (FetchError, ValueError) as error:
            self.failed.inc()
            yield beam.pvalue.TaggedOutput(
                DEAD_LETTER, DeadLetter.for_feed("poll", str(error), feed_url))
            return
        self.polled.inc()
        for entry in entries:
            self.seen.inc()
            if entry.link:
                yield entry
            else:
                yield beam.pvalue.TaggedOutput(
                    DEAD_LETTER, DeadLetter.for_entry("poll", "entry has no link", entry))
