"""Fetching article pages: only HTML goes on, decoded with the charset the page declares."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from datetime import datetime, timezone
from typing import Any, Protocol

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import BoundedWindow
from apache_beam.utils.windowed_value import WindowedValue

from newswire.transforms.fetching.http import (
    Exchange,
    FetchError,
    HttpClient,
    HttpSettings,
    Response,
    check_address,
)
from newswire.transforms.fetching.politeness import HostLimiter, RobotsCache
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
        check_address(url, self.settings.allow_private)  # before robots.txt is asked
        with self.hosts.slot(url):  # a robots.txt request counts against the host too
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


class FetchPages(beam.DoFn):
    """Fetches a bundle's pages concurrently; failures, whatever raised them, leave as dead
    letters with the reason.

    Fetching is I/O, so up to `concurrency` requests run at once on a thread pool, each host
    limited by `PageFetcher`. Results leave in completion order, each in its input's window.
    With an `archive`, each page is kept there as it was served, where the raw exchange is at
    hand, so nothing but the page travels on.
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
        if self.archive:
            self.archive.open()

    def teardown(self) -> None:
        # Bundles end with nothing in flight; a failed one (a Ctrl-C) must not wait for its fetches.
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.fetcher.close()
        if self.archive:
            self.archive.close()

    def start_bundle(self) -> None:
        self.in_flight: dict[Future, tuple[FeedEntry, WindowedValue]] = {}

    def process(self, entry: FeedEntry, window: BoundedWindow = beam.DoFn.WindowParam,
                timestamp: Any = beam.DoFn.TimestampParam) -> Iterator[Any]:
        future = self.pool.submit(self._fetch, entry)
        self.in_flight[future] = (entry, WindowedValue(None, timestamp, [window]))
        if len(self.in_flight) >= 2 * self.settings.concurrency:
            done, _ = wait(self.in_flight, return_when=FIRST_COMPLETED)
            yield from self._emit(done)

    def finish_bundle(self) -> Iterator[Any]:
        yield from self._emit(list(as_completed(self.in_flight)))
        if self.archive:  # a failed write fails the bundle, which is then retried
            self.archive.flush()

    def display_data(self) -> dict[str, Any]:
        return {"archive": str(self.archive)} if self.archive else {}

    def _fetch(self, entry: FeedEntry) -> Page:
        """On a fetching thread: the entry's page, kept in the archive if there is one."""
        response = self.fetcher.get(entry.link)
        page = page_from_response(entry, response)
        if self.archive and response.exchange:
            self.archive.keep(page, response.exchange)
        return page

    def _emit(self, done: Iterable[Future]) -> Iterator[Any]:
        self.host_wait.inc(self.fetcher.hosts.take_waited_ms())
        for future in done:
            entry, where = self.in_flight.pop(future)
            try:
                page = future.result()
            except Exception as error:  # the stage's boundary: whatever the fetch raised
                self.failed.inc()
                letter = DeadLetter.for_entry("fetch", failure_reason(error), entry)
                yield beam.pvalue.TaggedOutput(DEAD_LETTER, where.with_value(letter))
                continue
            self.fetched.inc()
            if self.archive:
                self.archived.inc()
            yield where.with_value(page)
