"""Feeds: the feed list (plain text or OPML), and polling each feed into its entries."""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import apache_beam as beam
import feedparser
from apache_beam.coders import PickleCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec
from lxml import etree

from newswire.transforms.http import FetchError, HttpClient, HttpSettings
from newswire.transforms.jsonfeed import entries_from_json_feed, is_json_feed
from newswire.transforms.records import DEAD_LETTER, DeadLetter, FeedEntry
from newswire.transforms.schedule import (
    FeedState,
    PollSettings,
    after_poll,
    conditional_headers,
    header_interval,
    new_entries,
    observed_interval,
)
from newswire.transforms.sitemaps import DEFAULT_MAX_AGE, read_sitemap, sitemap_kind


def parse_feed_list(text: str) -> list[str]:
    """Feed URLs from an OPML document or a plain list (one per line, `#` comments)."""
    if text.lstrip().startswith("<"):
        try:
            root = etree.fromstring(text.encode(), parser=etree.XMLParser(resolve_entities=False))
        except etree.XMLSyntaxError as error:
            raise ValueError(f"feed list is neither OPML nor plain text: {error}") from None
        return [str(url).strip() for url in root.xpath("//outline/@xmlUrl") if url.strip()]
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def entries_from_feed(document: bytes, feed_url: str,
                      headers: dict[str, str] | None = None) -> list[FeedEntry]:
    """Parse an RSS, Atom, RDF or JSON Feed document into entries; ValueError if it is no feed."""
    return read_feed(document, feed_url, headers)[0]


def read_feed(document: bytes, feed_url: str, headers: dict[str, str] | None = None,
              max_age: float = DEFAULT_MAX_AGE, now: float | None = None
              ) -> tuple[list[FeedEntry], float | None]:
    """Entries and the refresh interval the feed declares, from one parse of the document.

    A sitemap is read as one too (`newswire.transforms.sitemaps`); `max_age` applies to it.
    """
    if sitemap_kind(document):
        return read_sitemap(document, feed_url, max_age, now), None
    if is_json_feed((headers or {}).get("content-type", ""), document):
        return entries_from_json_feed(document, feed_url), None
    parsed = feedparser.parse(document, response_headers={"content-location": feed_url,
                                                          **(headers or {})})
    if parsed.bozo and not parsed.entries:
        raise ValueError(f"not a feed: {parsed.get('bozo_exception', 'unparseable')}")
    feed_title = parsed.feed.get("title", "")
    entries = [_entry(item, feed_url, feed_title) for item in parsed.entries]
    return entries, header_interval(parsed.feed)


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
    """Polls each feed when it is due and emits its new or changed entries.

    Input is keyed by feed URL; the key's state is the feed's `FeedState` (validators, seen
    entries, next poll time). In batch every feed is due once; in streaming, ticks arrive
    regularly and a feed is fetched only when its adaptive schedule says so, with a
    conditional GET. Unreachable or broken feeds are feed dead letters; an entry without a
    link cannot be fetched and leaves as an entry dead letter.
    """

    FEED = ReadModifyWriteStateSpec("feed", PickleCoder())

    def __init__(self, http: HttpSettings, schedule: PollSettings | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.http = http
        self.schedule = schedule or PollSettings()
        self.clock = clock
        self.polled = Metrics.counter("newswire", "feeds_polled")
        self.not_modified = Metrics.counter("newswire", "feeds_not_modified")
        self.failed = Metrics.counter("newswire", "feeds_failed")
        self.seen = Metrics.counter("newswire", "entries_seen")

    def setup(self) -> None:
        self.client = HttpClient(self.http)
        self.client.open()

    def teardown(self) -> None:
        self.client.close()

    def process(self, keyed: tuple[str, Any],
                feed: Any = beam.DoFn.StateParam(FEED)) -> Iterator[Any]:
        feed_url, _ = keyed
        now = self.clock()
        state = feed.read() or FeedState(feed_url)
        if state.next_poll is not None and now < state.next_poll:
            return
        try:
            response = self.client.get(feed_url, conditional_headers(state))
            entries, declared = (([], None) if response.status == 304 else
                                 read_feed(response.body, feed_url, dict(response.headers),
                                           self.schedule.max_age, now))
        except (FetchError, ValueError) as error:
            self.failed.inc()
            feed.write(after_poll(state, now, self.schedule, failed=True,
                                  response_headers=getattr(error, "headers", {})))
            yield beam.pvalue.TaggedOutput(
                DEAD_LETTER, DeadLetter.for_feed("poll", str(error), feed_url))
            return
        self.polled.inc()
        if response.status == 304:
            self.not_modified.inc()
            feed.write(after_poll(state, now, self.schedule, response_headers=response.headers))
            return
        fresh, state = new_entries(state, entries, now, self.schedule)
        feed.write(after_poll(
            state, now, self.schedule, response_headers=response.headers,
            declared=declared,
            observed=observed_interval(entry.published for entry in entries)))
        for entry in fresh:
            self.seen.inc()
            if entry.link:
                yield entry
            else:
                yield beam.pvalue.TaggedOutput(
                    DEAD_LETTER, DeadLetter.for_entry("poll", "entry has no link", entry))
