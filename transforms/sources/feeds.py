"""Feeds: the feed list (plain text or OPML), and polling each feed into its entries."""

from __future__ import annotations

import calendar
import json
import threading
import time
from collections.abc import Callable, Generator, Iterator
from datetime import datetime, timezone
from typing import Any

import apache_beam as beam
import feedparser
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.utils.shared import Shared
from apache_beam.utils.timestamp import Timestamp
from lxml import etree

from newswire.schemas.urls import cleaned_address
from newswire.transforms.fetching.http import FetchError, Response, conditional_headers
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.records import DEAD_LETTER, DeadLetter, FeedEntry, failure_reason
from newswire.transforms.sources.items import POLL, read_item
from newswire.transforms.sources.jsonfeed import entries_from_json_feed, is_json_feed
from newswire.transforms.sources.polling import FeedPolls, Poll
from newswire.transforms.sources.schedule import (
    FeedState,
    FeedStateCoder,
    after_poll,
    header_interval,
    new_entries,
    observed_interval,
)
from newswire.transforms.sources.settings import DEFAULT_MAX_AGE, PollSettings, StateSettings
from newswire.transforms.sources.sitemaps import SitemapTruncated, read_sitemap, sitemap_kind
from newswire.transforms.sources.state import CrawlState


def parse_feed_list(text: str) -> list[str]:
    """Feed URLs from an OPML document or a plain list (one per line, `#` comments)."""
    text = text.removeprefix("\ufeff")  # a byte-order mark, as Windows editors write
    if text.lstrip().startswith("<"):
        try:
            root = etree.fromstring(text.encode(), parser=etree.XMLParser(resolve_entities=False))
        except etree.XMLSyntaxError as error:
            raise ValueError(f"feed list is neither OPML nor plain text: {error}") from None
        return [str(url).strip() for url in root.xpath("//outline/@xmlUrl") if url.strip()]
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def read_feed(document: bytes, feed_url: str, headers: dict[str, str] | None = None,
              max_age: float = DEFAULT_MAX_AGE, now: float | None = None
              ) -> tuple[list[FeedEntry | DeadLetter], float | None]:
    """Entries and the refresh interval the feed declares, from one parse of the document.

    An RSS, Atom, RDF or JSON Feed document, or a sitemap (`sources.sitemaps`, to which
    `max_age` applies); ValueError if it is empty or no feed (SitemapTruncated, with the
    entries before the limit, if it is a sitemap over the protocol's limits). An item that
    cannot be read is its dead letter, in its place among the entries (`sources.items`).
    """
    if not document.strip():
        raise ValueError("not a feed: empty document")
    if sitemap_kind(document):
        return read_sitemap(document, feed_url, max_age, now), None
    if is_json_feed((headers or {}).get("content-type", ""), document):
        return entries_from_json_feed(document, feed_url), None
    parsed = feedparser.parse(document, response_headers={"content-location": feed_url,
                                                          **(headers or {})})
    if parsed.bozo and not parsed.entries:
        raise ValueError(f"not a feed: {parsed.get('bozo_exception', 'unparseable')}")
    feed_title = parsed.feed.get("title", "")
    entries = [read_item(item, lambda item: _entry(item, feed_url, feed_title), feed_url,
                         lambda item: json.dumps(item, default=str)) for item in parsed.entries]
    return entries, header_interval(parsed.feed)


def _entry(item: Any, feed_url: str, feed_title: str) -> FeedEntry:
    media = (item.get("media_content") or [{}])[0]
    thumbnail = (item.get("media_thumbnail") or [{}])[0]
    credit = (item.get("media_credit") or [{}])[0]
    # dict.get skips feedparser's deprecated updated->published aliasing; RSS 1.0's dc:date
    # arrives as `updated` and is the publication date there.
    published, updated = dict.get(item, "published_parsed"), dict.get(item, "updated_parsed")
    return FeedEntry(
        link=cleaned_address(item.get("link") or ""),
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
    """feedparser normalises dates to UTC struct_time; make them aware datetimes (None for
    one past what a datetime holds)."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc)
    except (OverflowError, ValueError, OSError):  # what fromtimestamp says for year 10000
        return None


class PollReader:
    """What a finished poll of a feed gives (its new entries and dead letters) and the feed's
    state after it, counted in the job's metrics; shared by both ways of polling, streaming
    (`PollFeeds`) and batch (`PollSources`, in sources/discover.py). Its methods run on the
    bundle's thread.

    With a crawl state (`state`, see transforms/sources/state.py) a feed new to this job
    starts from the validators and schedule any earlier run left, and of its entries only those
    no run has fetched yet (or due a re-check) go on; the poll's outcome is written back. What
    no source has listed for the state's retention is pruned at the first bundle and every
    `PRUNE_EVERY` seconds after (`prune_if_due`). Unreachable or broken feeds are feed dead
    letters; an entry without a link cannot be fetched and leaves as an entry dead letter.
    """

    PRUNE_EVERY = 3600.0  # seconds between prunes of the crawl state, in streaming

    def __init__(self, schedule: PollSettings, state: StateSettings | None) -> None:
        self.schedule = schedule
        self.state = state
        self.polled = Metrics.counter("newswire", "feeds_polled")
        self.not_modified = Metrics.counter("newswire", "feeds_not_modified")
        self.failed = Metrics.counter("newswire", "feeds_failed")
        self.seen = Metrics.counter("newswire", "entries_seen")
        self.known = Metrics.counter("newswire", "entries_known")
        self.crawl: CrawlState | None = None

    def open(self) -> None:
        self.crawl = CrawlState(self.state).open() if self.state else None
        self.prune_due = time.monotonic()
        self.closed = False

    def close(self) -> None:
        self.closed = True  # first: a poll being applied now may fail on the closed state
        if self.crawl:
            self.crawl.close()

    def prune_if_due(self, now: float) -> None:
        """Prunes the crawl state if it is time: at a DoFn's first bundle (a batch run's
        start), then every `PRUNE_EVERY` seconds."""
        if self.crawl and time.monotonic() >= self.prune_due:
            self.prune_due = time.monotonic() + self.PRUNE_EVERY
            self.crawl.prune(now)

    def left_unfetched(self, feed_url: str, now: float) -> list[FeedEntry]:
        """What the crawl state holds as listed by the feed and not fetched yet, handed on at
        once for a feed new to the job that is not due. A job restored from a checkpoint taken
        before its first poll of the feed wrote the feed's state finds that poll's schedule in
        the crawl state; the entries the poll handed on, lost in the crash, would otherwise
        wait for the feed's next poll, a whole interval away."""
        if self.crawl is None:
            return []
        pending = self.crawl.due([], feed_url, now)
        self.seen.inc(len(pending))
        return pending

    def remembered(self, feed_url: str) -> FeedState:
        """The feed's state as the crawl state keeps it (validators, schedule), else new."""
        return (self.crawl.source(feed_url) if self.crawl else None) or FeedState(feed_url)

    def apply(self, state: FeedState, poll: Poll, first: bool
              ) -> Generator[Any, None, FeedState]:
        """Emit what the finished poll found; returns the feed's state after it. The job's
        `first` poll of a feed also hands on what earlier runs left unfetched.

        A worker that stops tears its DoFn down (closing the crawl state) while a bundle may
        still be applying a poll: what fails after that is left unsaid, as the worker's
        outputs are lost anyway and the poll is made again by the job that takes over."""
        try:
            outputs, after = self._outcome(state, poll, first)
        except Exception:
            if not self.closed:
                raise
            return state
        yield from outputs
        return after

    def _outcome(self, state: FeedState, poll: Poll, first: bool
                 ) -> tuple[list[Any], FeedState]:
        """What the finished poll found and the feed's state after it.

        The feed's boundary: whatever reading it raises (a failed request, a document that is
        no feed, a parser's own error) is the feed's dead letter, and its next poll backs off.
        """
        try:
            return self._read(state, poll, first)
        except Exception as error:
            self.failed.inc()
            reason = failure_reason(error)
            after = after_poll(state, poll.started, self.schedule, failed=True,
                               response_headers=getattr(error, "headers", {}))
            if self.crawl:
                self.crawl.record_poll(after, "failed", reason, [], poll.started)
            return [beam.pvalue.TaggedOutput(
                DEAD_LETTER, DeadLetter.for_feed(POLL, reason, poll.feed_url))], after

    def _read(self, state: FeedState, poll: Poll, first: bool
              ) -> tuple[list[Any], FeedState]:
        """What the finished poll found, in order (new entries, and dead letters for entries
        without a link or that could not be read), and the feed's state after it."""
        feed_url, now = poll.feed_url, poll.started
        response = poll.outcome.result()
        outputs: list[Any] = []
        entries: list[FeedEntry] = []
        unreadable: list[DeadLetter] = []
        if response.status == 304:
            self.not_modified.inc()
            fresh: list[FeedEntry] = []
            after = after_poll(state, now, self.schedule, response_headers=response.headers)
        else:
            try:
                read, declared = read_feed(response.body, feed_url, dict(response.headers),
                                           self.schedule.max_age, now)
            except SitemapTruncated as cut:  # the entries before the limit go on, the rest lost
                read, declared = cut.entries, None
                outputs.append(beam.pvalue.TaggedOutput(
                    DEAD_LETTER, DeadLetter.for_feed(POLL, str(cut), feed_url)))
            entries = [entry for entry in read if isinstance(entry, FeedEntry)]
            unreadable = [letter for letter in read if isinstance(letter, DeadLetter)]
            fresh, state = new_entries(state, entries, now, self.schedule)
            after = after_poll(state, now, self.schedule, response_headers=response.headers,
                               declared=declared,
                               observed=observed_interval(entry.published for entry in entries))
        if self.crawl:  # what an earlier run fetched stays behind; what it left comes along
            due = self.crawl.due(fresh, feed_url, now, pending="all" if first else "failed")
            listed = {entry.link for entry in fresh}
            self.known.inc(len(fresh) - sum(entry.link in listed for entry in due))
            self.crawl.record_poll(after, str(response.status), "", entries, now)
            fresh = due
        for entry in fresh:  # feedparser leaves out a link it cannot resolve ("http://[")
            outputs.append(entry if entry.link else beam.pvalue.TaggedOutput(
                DEAD_LETTER, DeadLetter.for_entry(POLL, "entry has no readable link", entry)))
        outputs += [beam.pvalue.TaggedOutput(DEAD_LETTER, letter) for letter in unreadable]
        self.polled.inc()
        self.seen.inc(len(fresh) + len(unreadable))
        return outputs, after


class PollFeeds(beam.DoFn):
    """Streaming: polls each feed when it is due and emits its new or changed entries.

    Input is keyed by feed URL; the key's state is the feed's `FeedState` (validators, seen
    entries, next poll time). Ticks arrive regularly and a feed is fetched only when its
    adaptive schedule says so, with a conditional GET; the request runs off the bundle
    (`FeedPolls`), so a feed that hangs holds up no other feed and is never asked twice at
    once. A bundle's ticks wait `PATIENCE` seconds in all for their answers; one not there by
    then is looked for every `COLLECT_EVERY` seconds by a processing-time timer on the feed's
    key (as Beam's `AsyncWrapper` commits its finished items). Whoever takes the answer reads
    the state, applies the poll (`PollReader`) and writes it, once; a state read older than
    what the process's last poll of the feed left is taken as that (`FeedPolls.newest`).

    When the worker stops, Beam closes its state and data channels and then tears the DoFn
    down while a bundle may still be running; `teardown` ends that bundle's wait at once, and
    a stopped DoFn touches no state again. A state call made just before the teardown fails
    on the closed channel; a bundle that fails and sees the teardown come within
    `STOP_GRACE` seconds ends quietly (`_quiet_at_stop`), where the harness would print its
    failure as a traceback.

    Each tick's element is a feed URL and the answer had for it while its source was read
    (`RediscoverSources`), else None; a feed's first poll uses that answer rather than asking
    again.
    """

    FEED = ReadModifyWriteStateSpec("feed", FeedStateCoder())
    COLLECT = TimerSpec("collect", TimeDomain.REAL_TIME)
    COLLECT_EVERY = 0.25
    PATIENCE = 0.5
    STOP_GRACE = 2.0  # a closed state channel fails a call within 1 s; the teardown follows

    def __init__(self, http: HttpSettings, schedule: PollSettings | None = None,
                 clock: Callable[[], float] = time.time,
                 state: StateSettings | None = None) -> None:
        self.http = http
        self.schedule = schedule or PollSettings()
        self.clock = clock
        self.reader = PollReader(self.schedule, state)
        self._shared = Shared()

    def setup(self) -> None:
        self.polls: FeedPolls = self._shared.acquire(lambda: FeedPolls(self.http))
        self.stopped = threading.Event()
        self.reader.open()

    def teardown(self) -> None:
        self.stopped.set()
        self.reader.close()

    def start_bundle(self) -> None:
        self.wait_until = time.monotonic() + self.PATIENCE
        self.reader.prune_if_due(self.clock())

    def process(self, keyed: tuple[str, Response | FetchError | None],
                feed: Any = beam.DoFn.StateParam(FEED),
                collect: Any = beam.DoFn.TimerParam(COLLECT)) -> Iterator[Any]:
        yield from self._quiet_at_stop(self._tick(keyed, feed, collect))

    @on_timer(COLLECT)
    def on_collect(self, feed_url: str = beam.DoFn.KeyParam,
                   feed: Any = beam.DoFn.StateParam(FEED),
                   collect: Any = beam.DoFn.TimerParam(COLLECT)) -> Iterator[Any]:
        yield from self._quiet_at_stop(self._collect(feed_url, feed, collect))

    def _quiet_at_stop(self, outputs: Iterator[Any]) -> Iterator[Any]:
        """`outputs`, ended quietly if it fails as the worker stops (the teardown comes)."""
        try:
            yield from outputs
        except Exception:
            if not self.stopped.wait(self.STOP_GRACE):
                raise

    def _tick(self, keyed: tuple[str, Response | FetchError | None], feed: Any,
              collect: Any) -> Iterator[Any]:
        """Take the feed's poll under way, or start one if the feed is due."""
        if self.stopped.is_set():
            return
        feed_url, answered = keyed
        # the poll first, then the state: a poll settled in between has left its state behind
        # (`newest`); read the other way round, the state from before it would be polled from
        poll = self.polls.current(feed_url)
        stored = self.polls.newest(feed_url, feed.read())
        state = stored or self.reader.remembered(feed_url)
        if poll is None:
            now = self.clock()
            # Ticks jitter: one a tenth of a tick early polls the feed, rather than a tick late.
            early = 0.1 * self.schedule.min_interval
            if state.next_poll is not None and now < state.next_poll - early:
                if stored is None:  # new to the job, its schedule remembered
                    feed.write(state)
                    yield from self.reader.left_unfetched(feed_url, now)
                return
            asking = conditional_headers(state.etag, state.last_modified)
            poll = self.polls.start(feed_url, asking, now, answered if stored is None else None)
        patience = max(self.wait_until - time.monotonic(), 0.0)
        yield from self._take(poll, state, stored is None, feed, collect, patience)

    def _collect(self, feed_url: str, feed: Any, collect: Any) -> Iterator[Any]:
        """Take the feed's poll under way, if it is over."""
        if not self.stopped.is_set() and (poll := self.polls.current(feed_url)) is not None:
            stored = self.polls.newest(feed_url, feed.read())
            yield from self._take(poll, stored or self.reader.remembered(feed_url),
                                  stored is None, feed, collect, 0.0)

    def _take(self, poll: Poll, state: FeedState, first: bool, feed: Any, collect: Any,
              patience: float) -> Iterator[Any]:
        """Apply the poll if it is over within `patience` s; else look again shortly."""
        if not poll.wait(patience, self.stopped):
            if not self.stopped.is_set():
                collect.set(Timestamp.of(time.time() + self.COLLECT_EVERY))
            return
        if self.polls.finish(poll):  # else another tick or timer took it
            after = None
            try:
                after = yield from self.reader.apply(state, poll, first)
                feed.write(after)
            finally:  # the feed is free again even if the worker stops here
                self.polls.settled(poll, after)
