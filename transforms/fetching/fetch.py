"""Fetching article pages: only HTML goes on, decoded with the charset the page declares."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from operator import attrgetter
from typing import Any, Protocol
from urllib.parse import urlsplit

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
    conditional_headers,
    retry_after,
)
from newswire.transforms.fetching.politeness import (
    DISALLOWED,
    HostLimiter,
    RobotsCache,
    SlotKeys,
    SlotQueues,
    host_of,
    host_of_slot,
)
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.records import (
    DEAD_LETTER,
    DeadLetter,
    FeedEntry,
    NotModified,
    Page,
    failure_reason,
    is_lasting,
)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
NOT_MODIFIED = "not_modified"
"""The tag of FetchPages' output for re-checked pages that answered 304 (`NotModified`)."""
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
        raise FetchError(f"unsupported content type {response.content_type}", lasting=True)
    scheme, separator, rest = response.url.partition("://")
    return Page(
        entry=entry,
        url=f"{scheme.lower()}{separator}{rest}",  # `HTTP://`, as some feeds write it, is http
        html=decode_html(response),
        fetched_at=datetime.now(timezone.utc),
        etag=response.headers.get("etag", ""),
        last_modified=response.headers.get("last-modified", ""),
    )


class PageFetcher:
    """Fetches one entry's page under the politeness rules; safe to call from many threads."""

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self.client = HttpClient(settings)
        self.hosts = HostLimiter(settings.per_host_concurrency, settings.per_host_delay)
        self.robots = RobotsCache(self.client, settings.user_agent,
                                  max_crawl_delay=settings.max_crawl_delay)

    def open(self) -> None:
        self.client.open()

    def close(self) -> None:
        self.client.close()

    def fetch(self, entry: FeedEntry) -> Page:
        """The entry's page; raises FetchError with the reason it could not be had."""
        return page_from_response(entry, self.get(entry.link))

    def get(self, url: str) -> Response:
        """Any response from `url` the politeness rules allow; FetchError otherwise. The
        host's next request here waits as long as `pause` says."""
        host, error = host_of(url), None
        with self.hosts.slot(host):
            try:
                return self.get_in_turn(url)
            except Exception as failed:
                error = failed
                raise
            finally:
                self.hosts.hold(host, self.pause(host, error))

    def pause(self, host: str, error: BaseException | None, slots: int = 1) -> float:
        """How long one of `slots` keys that share `host` waits after a request that ended in
        `error` (None: it did not fail): the host's robots.txt Crawl-delay times `slots` (so
        the host sees one start per delay on average, as `--per-host-delay` gives; none with
        `--ignore-robots`), or the Retry-After of a refusal (429, 503) the fetch gave up on,
        if longer, at most `--max-crawl-delay`: the host is not asked sooner than it said."""
        asked = retry_after(error.headers, time.time()) if isinstance(error, FetchError) else None
        return max(self.robots.crawl_delay(host) * slots,
                   min(asked or 0.0, self.settings.max_crawl_delay))

    def get_in_turn(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        """`get` for a caller that already holds the host's turn (a `SlotQueues` slot), with
        any `headers` (validators)."""
        check_address(url, self.settings.allow_private)  # before robots.txt is asked
        # a robots.txt request takes the host's turn too; robots.txt itself is always allowed
        if (self.settings.obey_robots and urlsplit(url).path != "/robots.txt"
                and (refusal := self.robots.refusal(url))):
            raise FetchError(refusal, lasting=refusal == DISALLOWED)
        return self.client.get(url, headers)


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
    """Keys each element by one of its host's `slots` slots ("host#k", in turn), for a `BySlot`
    step; `url` says which URL an element is for (a FeedEntry's link, a feed URL itself)."""

    def __init__(self, slots: int, url: Callable[[Any], str]) -> None:
        self.slots = slots
        self.url = url

    def setup(self) -> None:
        self.keys = SlotKeys(self.slots)

    def process(self, element: Any) -> Iterator[tuple[str, Any]]:
        yield self.keys(self.url(element)), element


def key_by_slot(slots: int, kind: type = FeedEntry,
                url: Callable[[Any], str] = attrgetter("link")) -> beam.ParDo:
    """KeyBySlot for elements of type `kind` (entries by their link unless told), its keys
    typed as state keys (see transforms/coders.py)."""
    return beam.ParDo(KeyBySlot(slots, url)).with_output_types(tuple[StateKey, kind])


# Which instance of a BySlot step worked for a slot last: with a per-host delay, one that takes
# over a slot waits a delay first. One short string per slot seen, only with a delay.
FETCHED_BY = ReadModifyWriteStateSpec("fetched_by", StrUtf8Coder())


class BySlot(beam.DoFn):
    """A step keyed by host slot (`KeyBySlot`) that works on its elements concurrently while
    each host sees at most `--per-host-concurrency` requests in flight, however many workers
    run: the base of `FetchPages` and of the feed polls.

    The input is a keyed state step, so the runner gives each slot to one instance at a time
    across the whole job; there `SlotQueues` runs one element at a time per slot (a slot with
    nothing left helps its host's other slots in the bundle), starting `--per-host-delay` x
    slots apart, while up to `concurrency` slots work at once on a thread pool. Outcomes leave
    in completion order, each in its input's window.

    A subclass says what `work` does with an element on a pool thread and what `results` each
    outcome gives on the bundle's thread (where metrics count); `item` may first add to an
    element what the work needs, on the bundle's thread. The work's requests go through
    `fetcher`, whose `get_in_turn` asks in the slot's turn.
    """

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self.host_wait = Metrics.counter("newswire", "host_slot_wait_ms")

    def setup(self) -> None:
        self.pool = ThreadPoolExecutor(self.settings.concurrency, type(self).__name__)
        self.spacing = self.settings.per_host_delay * self.settings.per_host_concurrency
        self.turns = HostLimiter(1, self.spacing)
        self.slots = SlotQueues(self.pool, self.work, self.turns, self.pause)
        self.owner = uuid.uuid4().hex
        self.fetcher = PageFetcher(self.settings)
        self.fetcher.open()

    def teardown(self) -> None:
        # Bundles end with nothing in flight; a failed one (a Ctrl-C) must not wait for its work.
        self.slots.close()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.fetcher.close()

    def start_bundle(self) -> None:
        self.slots.close()  # what a failed bundle left queued is not worked on
        self.slots = SlotQueues(self.pool, self.work, self.turns, self.pause)

    def process(self, keyed: tuple[str, Any],
                window: BoundedWindow = beam.DoFn.WindowParam,
                timestamp: Any = beam.DoFn.TimestampParam,
                fetched_by: Any = beam.DoFn.StateParam(FETCHED_BY)) -> Iterator[Any]:
        slot, element = keyed
        if self.spacing and (last := fetched_by.read()) != self.owner:
            if last is not None:  # its last request, elsewhere, started before now
                self.turns.hold(slot, self.spacing)
            fetched_by.write(self.owner)
        item = self.item(element)
        self.slots.put(slot, item, (item, WindowedValue(None, timestamp, [window])))
        # Items queue for their slots up to 4 per thread, so each busy slot has its next one at
        # hand (2 per thread left threads idle: 1.47 x the ideal in bench/fetch.py).
        while done := self.slots.take(block=self.slots.pending >= 4 * self.settings.concurrency):
            yield from self._outputs(*done)

    def finish_bundle(self) -> Iterator[Any]:
        while self.slots.pending:
            yield from self._outputs(*self.slots.take())

    def pause(self, slot: str, outcome: Future) -> float:
        """After a request, how long `slot` waits before its next one (`PageFetcher.pause`,
        the host's slots sharing its Crawl-delay)."""
        return self.fetcher.pause(host_of_slot(slot), outcome.exception(),
                                  self.settings.per_host_concurrency)

    def item(self, element: Any) -> Any:
        """What `work` gets for an element (the element itself unless a subclass adds to it)."""
        return element

    def work(self, item: Any) -> Any:
        """On a pool thread, in the slot's turn: the item's outcome (raising is an outcome)."""
        raise NotImplementedError

    def results(self, item: Any, outcome: Future) -> Iterator[Any]:
        """On the bundle's thread: the outputs of one finished outcome, tagged or not."""
        raise NotImplementedError

    def _outputs(self, tag: tuple[Any, WindowedValue], outcome: Future) -> Iterator[Any]:
        self.host_wait.inc(self.slots.take_waited_ms())
        item, where = tag
        for output in self.results(item, outcome):
            if isinstance(output, beam.pvalue.TaggedOutput):
                yield beam.pvalue.TaggedOutput(output.tag, where.with_value(output.value))
            else:
                yield where.with_value(output)


class FetchPages(BySlot):
    """Fetches pages keyed by host slot (`BySlot`) concurrently; failures, whatever raised them,
    leave as dead letters with the reason. A re-check sends the validators the page was last
    fetched with, and a page not changed since (304) leaves on `NOT_MODIFIED`. With an
    `archive`, each page is kept there as it was served, where the raw exchange is at hand, so
    nothing but the page travels on.
    """

    def __init__(self, settings: HttpSettings, archive: PageArchive | None = None) -> None:
        super().__init__(settings)
        self.archive = archive
        self.fetched = Metrics.counter("newswire", "pages_fetched")
        self.failed = Metrics.counter("newswire", "pages_failed")
        self.archived = Metrics.counter("newswire", "pages_archived")
        self.not_modified = Metrics.counter("newswire", "pages_not_modified")

    def setup(self) -> None:
        super().setup()
        if self.archive:
            self.archive.open()

    def teardown(self) -> None:
        super().teardown()
        if self.archive:
            self.archive.close()

    def finish_bundle(self) -> Iterator[Any]:
        yield from super().finish_bundle()
        if self.archive:  # a failed write fails the bundle, which is then retried
            self.archive.flush()

    def display_data(self) -> dict[str, Any]:
        return {"archive": str(self.archive)} if self.archive else {}

    def work(self, entry: FeedEntry) -> Page | NotModified:
        """The entry's page, archived if asked; NotModified if a re-check finds it as it was."""
        validators = conditional_headers(entry.page_etag, entry.page_last_modified)
        response = self.fetcher.get_in_turn(entry.link, validators)
        if response.status == 304 and validators:
            return NotModified(entry, datetime.now(timezone.utc))
        page = page_from_response(entry, response)
        if self.archive and response.exchange:
            self.archive.keep(page, response.exchange)
        return page

    def results(self, entry: FeedEntry, outcome: Future) -> Iterator[Any]:
        try:
            page = outcome.result()
        except Exception as error:  # the stage's boundary: whatever the fetch raised
            self.failed.inc()
            yield beam.pvalue.TaggedOutput(DEAD_LETTER, DeadLetter.for_entry(
                "fetch", failure_reason(error), entry, lasting=is_lasting(error)))
            return
        self.fetched.inc()
        if isinstance(page, NotModified):
            self.not_modified.inc()
            yield beam.pvalue.TaggedOutput(NOT_MODIFIED, page)
            return
        if self.archive:
            self.archived.inc()
        yield page
