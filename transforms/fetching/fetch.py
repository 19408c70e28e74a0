"""Fetching article pages: only HTML goes on, decoded with the charset the page declares."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Protocol

import apache_beam as beam
from apache_beam.coders import StrUtf8Coder
from apache_beam.metrics import Metrics
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec
from apache_beam.transforms.window import BoundedWindow
from apache_beam.utils.windowed_value import WindowedValue

from newswire.transforms.coders import StateKey
from newswire.transforms.fetching.http import (
    Exchange,
    FetchError,
    HttpClient,
    Response,
    check_address,
)
from newswire.transforms.fetching.politeness import (
    HostLimiter,
    RobotsCache,
    SlotKeys,
    SlotQueues,
    host_of,
)
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.records import DEAD_LETTER, DeadLetter, FeedEntry, Page, failure_reason

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)


def decode_html(response: Response) -> str:
    """The page text: header charset, else the `<meta charset>`, else UTF-8 (lossy)."""
    declared = response.charset
    if not declared and (match := _META_CHARSET.search(response.body[:4096])):
        declared = match[1].decode("ascii")
    try:
        return response.body.decode(declared or "utf-8", errors="replace")
    except LookupError:
        return response.body.decode("utf-8", errors="replace")


def page_from_response(entry: FeedEntry, response: Response) -> Page:
    """A Page from a response, its URL's scheme in lower case as the article schema expects;
    raises FetchError for anything that is not an HTML page."""
    if response.content_type and response.content_type not in HTML_TYPES:
        raise FetchError(f"unsupported content type {response.content_type}")
    scheme, separator, rest = response.url.partition("://")
    return Page(
        entry=entry,
        url=f"{scheme.lower()}{separator}{rest}",  # `HTTP://`, as some feeds write it, is http
        html=decode_html(response),
        fetched_at=datetime.now(timezone.utc),
    )


class PageFetcher:
    """Fetches one entry's page under the politeness rules; safe to call from many threads."""

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self.client = HttpClient(settings)
        self.hosts = HostLimiter(settings.per_host_concurrency, settings.per_host_delay)
        self.robots = RobotsCache(self.client, settings.user_agent)

    def open(self) -> None:
        self.client.open()

    def close(self) -> None:
        self.client.close()

    def fetch(self, entry: FeedEntry) -> Page:
        """The entry's page; raises FetchError with the reason it could not be had."""
        return page_from_response(entry, self.get(entry.link))

    def get(self, url: str) -> Response:
        """Any response from `url` the politeness rules allow; FetchError otherwise."""
        with self.hosts.slot(host_of(url)):
            return self.get_in_turn(url)

    def get_in_turn(self, url: str) -> Response:
        """`get` for a caller that already holds the host's turn (a `SlotQueues` slot)."""
        check_address(url, self.settings.allow_private)  # before robots.txt is asked
        # a robots.txt request takes the host's turn too
        if self.settings.obey_robots and not self.robots.allowed(url):
            raise FetchError("disallowed by robots.txt")
        return self.client.get(url)


class PageArchive(Protocol):
    """Where `FetchPages` keeps each page with the exchange that gave it (a WARC archive:
    `newswire.transforms.fetching.warc.WarcArchive`); opened in `setup`, closed in `teardown`."""

    def open(self) -> None: ...

    def keep(self, page: Page, exchange: Exchange) -> None:
        """Called from the fetching threads, once per page."""

    def flush(self) -> None:
        """At the end of each bundle: everything kept is written, or this raises."""

    def close(self) -> None: ...


class KeyBySlot(beam.DoFn):
    """Keys each entry by one of its host's `slots` slots ("host#k", in turn), for FetchPages."""

    def __init__(self, slots: int) -> None:
        self.slots = slots

    def setup(self) -> None:
        self.keys = SlotKeys(self.slots)

    def process(self, entry: FeedEntry) -> Iterator[tuple[str, FeedEntry]]:
        yield self.keys(entry.link), entry


def key_by_slot(slots: int) -> beam.ParDo:
    """KeyBySlot, its keys typed as state keys (see transforms/coders.py)."""
    return beam.ParDo(KeyBySlot(slots)).with_output_types(tuple[StateKey, FeedEntry])


# Which FetchPages instance fetched a slot's pages last: with a per-host delay, one that takes
# over a slot waits a delay first. One short string per slot seen, only with a delay.
FETCHED_BY = ReadModifyWriteStateSpec("fetched_by", StrUtf8Coder())


class FetchPages(beam.DoFn):
    """Fetches pages keyed by host slot (`KeyBySlot`) concurrently; failures, whatever raised
    them, leave as dead letters with the reason.

    The input is a keyed state step, so the runner gives each slot to one instance at a time
    across the whole job; there `SlotQueues` fetches one page at a time per slot (a slot with
    nothing left helps its host's other slots in the bundle), starting `--per-host-delay` x
    slots apart, while up to `concurrency` slots fetch at once on a thread pool. So a host sees
    at most `per_host_concurrency` requests in flight however many workers run. Results leave
    in completion order, each in its input's window. With an `archive`, each page is kept there
    as it was served, where the raw exchange is at hand, so nothing but the page travels on.
    """

    def __init__(self, settings: HttpSettings, archive: PageArchive | None = None) -> None:
        self.settings = settings
        self.archive = archive
        self.fetched = Metrics.counter("newswire", "pages_fetched")
        self.failed = Metrics.counter("newswire", "pages_failed")
        self.archived = Metrics.counter("newswire", "pages_archived")
        self.host_wait = Metrics.counter("newswire", "host_slot_wait_ms")

    def setup(self) -> None:
        self.fetcher = PageFetcher(self.settings)
        self.fetcher.open()
        self.pool = ThreadPoolExecutor(self.settings.concurrency, "fetch")
        self.spacing = self.settings.per_host_delay * self.settings.per_host_concurrency
        self.turns = HostLimiter(1, self.spacing)
        self.slots = SlotQueues(self.pool, self._fetch, self.turns)
        self.owner = uuid.uuid4().hex
        if self.archive:
            self.archive.open()

    def teardown(self) -> None:
        # Bundles end with nothing in flight; a failed one (a Ctrl-C) must not wait for its fetches.
        self.slots.close()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.fetcher.close()
        if self.archive:
            self.archive.close()

    def start_bundle(self) -> None:
        self.slots.close()  # what a failed bundle left queued is not fetched
        self.slots = SlotQueues(self.pool, self._fetch, self.turns)

    def process(self, keyed: tuple[str, FeedEntry],
                window: BoundedWindow = beam.DoFn.WindowParam,
                timestamp: Any = beam.DoFn.TimestampParam,
                fetched_by: Any = beam.DoFn.StateParam(FETCHED_BY)) -> Iterator[Any]:
        slot, entry = keyed
        if self.spacing and (last := fetched_by.read()) != self.owner:
            if last is not None:  # its last request, elsewhere, started before now
                self.turns.hold(slot, self.spacing)
            fetched_by.write(self.owner)
        self.slots.put(slot, entry, (entry, WindowedValue(None, timestamp, [window])))
        # Pages queue for their slots up to 4 per fetching thread, so each busy slot has its next
        # page at hand (2 per thread left threads idle: 1.47 x the ideal in bench/fetch.py).
        while done := self.slots.take(block=self.slots.pending >= 4 * self.settings.concurrency):
            yield from self._outputs(*done)

    def finish_bundle(self) -> Iterator[Any]:
        while self.slots.pending:
            yield from self._outputs(*self.slots.take())
        if self.archive:  # a failed write fails the bundle, which is then retried
            self.archive.flush()

    def display_data(self) -> dict[str, Any]:
        return {"archive": str(self.archive)} if self.archive else {}

    def _fetch(self, entry: FeedEntry) -> Page:
        """On a fetching thread, in the entry's slot turn: its page, archived if asked."""
        response = self.fetcher.get_in_turn(entry.link)
        page = page_from_response(entry, response)
        if self.archive and response.exchange:
            self.archive.keep(page, response.exchange)
        return page

    def _outputs(self, tag: tuple[FeedEntry, WindowedValue], outcome: Future) -> Iterator[Any]:
        self.host_wait.inc(self.slots.take_waited_ms())
        entry, where = tag
        try:
            page = outcome.result()
        except Exception as error:  # the stage's boundary: whatever the fetch raised
            self.failed.inc()
            letter = DeadLetter.for_entry("fetch", failure_reason(error), entry)
            yield beam.pvalue.TaggedOutput(DEAD_LETTER, where.with_value(letter))
            return
        self.fetched.inc()
        if self.archive:
            self.archived.inc()
        yield where.with_value(page)
