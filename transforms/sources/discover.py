"""What to poll for each `--feeds` URL: feeds, feed lists, sitemaps, robots.txt and homepages.

The kind of a URL is read from what it serves, not from its name:

    OPML or a plain list of URLs ─► the URLs it lists
    robots.txt                   ─► its `Sitemap:` lines, each expanded as below
    sitemap index                ─► its sitemaps modified within the max age
    urlset sitemap, feed         ─► itself, polled by PollFeeds
    HTML page (a homepage)       ─► its `<link rel="alternate">` feeds and its robots.txt's
                                    sitemaps

`listing` reads one answer: what a source lists, each URL with what it may be in turn (`ANY`,
`SITEMAP`, `FEED`), or None when the source is itself polled. A job reads its sources on its
workers, one level per step keyed by host slot (`PollSources` in sources/feeds.py); the
`Discoverer` reads a source and what it lists at once, in one process, for `newswire discover`
and for a streaming job's one reader of its sources (`RediscoverSources`). Every request goes
through `PageFetcher` (politeness, robots.txt, the address guard, limits). A sitemap that
cannot be read as an index is polled, so its failure becomes a dead letter.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from operator import itemgetter
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

import apache_beam as beam
import lxml.html
from apache_beam.coders import FloatCoder, IterableCoder, StrUtf8Coder, TupleCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec
from apache_beam.utils.shared import Shared
from lxml import etree

from newswire.schemas.urls import absolute
from newswire.transforms.coders import StateKey
from newswire.transforms.fetching.fetch import HTML_TYPES, BySlot, PageFetcher, key_by_slot
from newswire.transforms.fetching.http import FetchError, Response, conditional_headers
from newswire.transforms.fetching.politeness import host_of
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.records import DEAD_LETTER, FeedEntry, failure_reason
from newswire.transforms.sources.feeds import PollReader, parse_feed_list
from newswire.transforms.sources.polling import Poll
from newswire.transforms.sources.schedule import FeedState
from newswire.transforms.sources.settings import DEFAULT_MAX_AGE, PollSettings, StateSettings
from newswire.transforms.sources.sitemaps import (
    INDEX,
    MAX_ROBOTS_SITEMAPS,
    URLSET,
    fresh_children,
    is_robots_txt,
    read_index,
    robots_sitemaps,
    sitemap_kind,
)

Answers = dict[str, Response | FetchError]
"""Answers had for URLs to poll while reading the sources that list them, by URL."""

_log = logging.getLogger(__name__)
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml",
                        "application/feed+json", "application/json"})


@dataclass(frozen=True)
class Site:
    """What a homepage offers to poll: the feeds it links to and its robots.txt's sitemaps."""

    url: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()


def alternate_feeds(html: bytes, page_url: str) -> list[str]:
    """The feed URLs a page declares with `<link rel="alternate" type="...">`, absolute; one
    whose address no parser reads is passed over (`absolute`), not the page's others."""
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    base = absolute(page_url, (tree.xpath("//base/@href") or [""])[0]) or page_url
    feeds = []
    for link in tree.xpath("//link[@href]"):
        rels = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        feed = absolute(base, link.get("href"))
        if "alternate" in rels and kind in FEED_TYPES and feed:
            feeds.append(feed)
    return list(dict.fromkeys(feeds))


def _is_html(response: Response) -> bool:
    """An HTML page by its opening, else by its media type: feeds are often served as HTML."""
    head = response.body[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return True
    if head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf", b"{")):
        return False
    return response.content_type in HTML_TYPES


# What a source may be, by where it was named; it says how the source's answer is read.
ANY = "any"  # a `--feeds` URL: a feed list, robots.txt, sitemap (index), homepage or feed
SITEMAP = "sitemap"  # named by a robots.txt or a homepage: a sitemap index, or polled
FEED = "feed"  # named by a feed list or a sitemap index: polled


@dataclass(frozen=True)
class Listing:
    """What a source lists: each URL with what it may be, a line saying what the source was,
    and how many of a sitemap index's sitemaps were left out as older than the max age."""

    urls: tuple[tuple[str, str], ...]
    note: str
    stale: int = 0


def robots_url(page_url: str) -> str:
    parts = urlsplit(page_url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def read_robots_txt(fetcher: PageFetcher, url: str) -> str:
    """The text of a robots.txt ('' if it cannot be had)."""
    try:
        return fetcher.client.get(url).body.decode("utf-8", errors="replace")
    except FetchError:
        return ""


def site_of(homepage: Response, robots_txt: str) -> Site:
    """What a homepage offers, given the text of its site's robots.txt ('' if none)."""
    return Site(homepage.url, tuple(alternate_feeds(homepage.body, homepage.url)),
                tuple(robots_sitemaps(robots_txt)))


def listing(url: str, response: Response, may_be: str, max_age: float, now: float,
            robots_txt: Callable[[str], str]) -> Listing | None:
    """What a source's answer lists, or None when the source is itself polled (a feed, a urlset
    sitemap, or anything else, which its poll then reports on). `robots_txt(url)` reads the
    text of a homepage's robots.txt. Raises what a broken sitemap index raises."""
    if may_be == FEED:
        return None
    kind = sitemap_kind(response.body)
    if kind == INDEX:
        children = read_index(response.body)
        fresh = fresh_children(children, max_age, now)
        return Listing(tuple((child, FEED) for child in fresh),
                       f"{url}: sitemap index, {len(fresh)} of {len(children)} sitemaps "
                       "modified within the max age", len(children) - len(fresh))
    if kind == URLSET or may_be == SITEMAP:
        return None
    text = response.body[:1_000_000].decode("utf-8-sig", errors="replace")
    if "<opml" in text[:1000].lower() or response.content_type == "text/plain":
        if response.content_type == "text/plain" and is_robots_txt(text):
            sitemaps = robots_sitemaps(text)
            return Listing(tuple((sitemap, SITEMAP) for sitemap in sitemaps),
                           f"{url}: {len(sitemaps)} sitemaps" + (
                               f" (the first {MAX_ROBOTS_SITEMAPS} of its Sitemap: lines are "
                               "read)" if len(sitemaps) == MAX_ROBOTS_SITEMAPS else ""))
        try:
            if listed := parse_feed_list(text):
                return Listing(tuple((feed, FEED) for feed in listed),
                               f"{url}: a list of {len(listed)} feeds")
        except ValueError:
            pass  # not a readable list: polled as a feed, which reports what it is
        return None
    if _is_html(response):
        site = site_of(response, robots_txt(robots_url(response.url)))
        return Listing(
            (*((feed, FEED) for feed in site.feeds),
             *((sitemap, SITEMAP) for sitemap in site.sitemaps)),
            f"{url}: {len(site.feeds)} feeds ({', '.join(site.feeds) or 'none'}), "
            f"{len(site.sitemaps)} sitemaps ({', '.join(site.sitemaps) or 'none'})")
    return None


def opml(sites: list[Site]) -> str:
    """A feed list for `--feeds`: one outline per site, its feeds and sitemaps inside."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">',
             "  <head><title>newswire discover</title></head>", "  <body>"]
    for site in sites:
        lines.append(f"    <outline text={quoteattr(site.url)} htmlUrl={quoteattr(site.url)}>")
        lines += [f'      <outline type="rss" text={quoteattr(url)} xmlUrl={quoteattr(url)}/>'
                  for url in site.feeds]
        lines += [f'      <outline type="sitemap" text={quoteattr(url)} xmlUrl={quoteattr(url)}/>'
                  for url in site.sitemaps]
        lines.append("    </outline>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


class Discoverer:
    """Resolves `--feeds` URLs into the URLs to poll; a context manager owning its fetcher."""

    def __init__(self, settings: HttpSettings, max_age: float = DEFAULT_MAX_AGE,
                 say: Callable[[str], None] = lambda _: None,
                 clock: Callable[[], float] = time.time) -> None:
        self.fetcher = PageFetcher(settings)
        self.max_age = max_age
        self.say = say
        self.clock = clock

    def __enter__(self) -> Discoverer:
        self.fetcher.open()
        return self

    def __exit__(self, *_: object) -> None:
        self.fetcher.close()

    def sources(self, url: str) -> list[str]:
        """The URLs to poll for one `--feeds` URL; ValueError if it cannot be read at all."""
        listed, answers = self.resolve(url)
        if isinstance(answer := answers.get(url), FetchError):
            raise ValueError(f"cannot read {url}: {answer.reason}")
        return listed

    def resolve(self, url: str) -> tuple[list[str], Answers]:
        """The URLs to poll for one `--feeds` URL, and the answers had for those of them that
        were asked on the way (the URL itself when it is polled: a feed, a urlset sitemap, or
        a URL that failed; a sitemap a robots.txt names).

        An answer serves as that URL's first poll, so it is asked once, and a failure becomes
        its dead letter with the real reason while the other sources run: this is the source's
        boundary, so whatever reading it raises (a redirect to a URL `urljoin` refuses, a
        broken sitemap index) is such a failure.
        """
        try:
            response = self.fetcher.get(url)
            found = listing(url, response, ANY, self.max_age, self.clock(), self.robots_txt)
        except Exception as error:
            return [url], {url: _failure(error)}
        if found is None:
            return [url], {url: response}
        self.say(found.note)
        return self._expand(found.urls)

    def site(self, url: str) -> Site:
        """What one homepage offers; ValueError if the page cannot be fetched."""
        try:
            response = self.fetcher.get(url)
        except FetchError as error:
            raise ValueError(f"cannot read {url}: {error.reason}") from None
        return site_of(response, self.robots_txt(robots_url(response.url)))

    def robots_txt(self, url: str) -> str:
        """A homepage's robots.txt, read in its host's turn as every other request here."""
        with self.fetcher.hosts.slot(host_of(url)):
            return read_robots_txt(self.fetcher, url)

    def _expand(self, listed: tuple[tuple[str, str], ...]) -> tuple[list[str], Answers]:
        """The URLs to poll for what a source listed, in order, with the answers had: a sitemap
        that is an index gives its fresh children, anything else itself. The sitemaps are asked
        for at once, within the fetcher's per-host limits, so sitemaps that hang cost one
        `--fetch-timeout` per `--per-host-concurrency` of them, not each."""
        if not listed:
            return [], {}
        with ThreadPoolExecutor(min(len(listed), self.fetcher.settings.concurrency),
                                "discover") as pool:
            read = list(pool.map(self._sitemap, listed))
        return ([url for urls, _ in read for url in urls],
                {url: answer for _, answers in read for url, answer in answers.items()})

    def _sitemap(self, named: tuple[str, str]) -> tuple[list[str], Answers]:
        url, may_be = named
        if may_be == FEED:
            return [url], {}
        try:
            response = self.fetcher.get(url)
            found = listing(url, response, may_be, self.max_age, self.clock(), self.robots_txt)
        except Exception as error:  # whatever it is, it is polled: its failure a dead letter
            return [url], {url: _failure(error)}
        if found is None:
            return [url], {url: response}
        self.say(found.note)
        return [child for child, _ in found.urls], {}


def _failure(error: Exception) -> FetchError:
    """Whatever asking or reading a source raised, as the answer its poll fails with."""
    return error if isinstance(error, FetchError) else FetchError(failure_reason(error))


READER = "sources"
"""The one key of streaming discovery: the runner hands it to one instance at a time."""
_SOURCES_CODER = IterableCoder(TupleCoder((StrUtf8Coder(), IterableCoder(StrUtf8Coder()))))


def one_reader() -> beam.Map:
    """Keys each tick to `READER`, for `RediscoverSources`."""
    return beam.Map(lambda tick: (READER, tick)).with_output_types(tuple[StateKey, Any])


Resolved = dict[str, tuple[list[str], Answers]]
"""What a read of sources gave: for each source, the URLs to poll and the answers had."""


class SourceReads:
    """A worker process's reading of a streaming job's sources, off the bundle's thread: one
    read at a time (a `Poll` whose outcome is `Resolved`), shared by the process's
    RediscoverSources instances (`Shared`), as `FeedPolls` is by PollFeeds. A source that hangs
    then holds up no bundle (a runner may split a bundle that makes no progress, and Prism
    hands the split-off ticks of the key to another bundle at once), and ticks meanwhile start
    no second read. The read asks its sources at once through the `Discoverer`'s fetcher,
    whose `HostLimiter` keeps each host to `--per-host-concurrency` and `--per-host-delay`.

    It also starts no read within `every` seconds of its last: the key's state says when a read
    is due, but a tick may read that state as it was before the tick that started the read
    (seen on Prism: 4 s later, a second read of every source). For the same reason the outcome
    of the read last taken stays (`last`), for such a tick to poll what the read found (on a
    loaded machine, 22 of 30 ticks polled nothing)."""

    def __init__(self, settings: HttpSettings, max_age: float, every: float,
                 clock: Callable[[], float]) -> None:
        self.discoverer = Discoverer(settings, max_age, clock=clock).__enter__()
        self.concurrency = settings.concurrency
        self.every = every
        self._pool = ThreadPoolExecutor(1, "sources")
        self._lock = threading.Lock()
        self._read: Poll | None = None
        self._started: float | None = None
        self.last: Resolved = {}

    def current(self) -> Poll | None:
        """The read under way or finished and not yet taken, if any."""
        with self._lock:
            return self._read

    def due(self, now: float) -> bool:
        """Whether a read may start: none under way, and none started here within `every`."""
        with self._lock:
            return self._read is None and (self._started is None
                                           or now >= self._started + self.every)

    def start(self, urls: list[str], now: float) -> Poll:
        """Start reading `urls` unless a read is already under way (that one is returned)."""
        with self._lock:
            if self._read is None:
                self._read = Poll(READER, now, self._pool.submit(self._resolve, urls))
                self._started = now
            return self._read

    def finish(self, read: Poll) -> bool:
        """Take a finished read back (its outcome stays as `last`); False if another caller
        already took it."""
        with self._lock:
            if self._read is not read:
                return False
            self._read = None
            self.last = read.outcome.result()
            return True

    def _resolve(self, urls: list[str]) -> Resolved:
        with ThreadPoolExecutor(min(len(urls), self.concurrency), "resolve") as pool:
            return dict(zip(urls, pool.map(self.discoverer.resolve, urls), strict=True))


class RediscoverSources(beam.DoFn):
    """Streaming: on each tick (keyed by `one_reader`), the feeds to poll, each with the answer
    had for it while its source was read (on the tick that took the read; None after). The
    `--feeds` URLs are read first, and those that list others (sitemap indexes, robots.txt
    files, homepages, feed lists) again every `every` seconds, so a sitemap added to an index
    later is polled without a restart; feeds from local lists (`FEED`) are polled as they are,
    a source that lists others from once it has been read.

    The ticks share one key, so the runner gives discovery to one instance at a time across the
    whole job, and what each source gave (`CURRENT`) and when the next read is due (`DUE`) are
    that key's state: however many workers run, each source is asked once per `every`, and a
    worker that takes the key over goes on from the state rather than reading everything
    again. The read runs off the bundle (`SourceReads`); a tick waits `patience` seconds for
    it, and one not over by then is taken by a later tick. A source that cannot be read again
    keeps what it last gave, so a passing outage does not stop its feeds being polled.
    """

    CURRENT = ReadModifyWriteStateSpec("current", _SOURCES_CODER)
    DUE = ReadModifyWriteStateSpec("due", FloatCoder())

    def __init__(self, sources: Sequence[tuple[str, str]], settings: HttpSettings,
                 max_age: float = DEFAULT_MAX_AGE,
                 every: float = PollSettings.rediscover_every,
                 clock: Callable[[], float] = time.time, patience: float = 0.5) -> None:
        self.sources = list(sources)
        self.settings = settings
        self.max_age = max_age
        self.every = every
        self.clock = clock
        self.patience = patience
        self.rediscovered = Metrics.counter("newswire", "sources_rediscovered")
        self._shared = Shared()

    def setup(self) -> None:
        self.reads: SourceReads = self._shared.acquire(
            lambda: SourceReads(self.settings, self.max_age, self.every, self.clock))

    def process(self, _keyed: tuple[str, Any],
                current: Any = beam.DoFn.StateParam(CURRENT),
                due: Any = beam.DoFn.StateParam(DUE),
                ) -> Iterator[tuple[str, Response | FetchError | None]]:
        had = dict(current.read() or ())
        if (read := self.reads.current()) is None:
            next_read, now = due.read(), self.clock()
            if (next_read is None or now >= next_read) and self.reads.due(now):
                due.write(now + self.every)
                # never read (on the first tick, or new to the job), or listing others
                if unread := [url for url, may_be in self.sources if may_be != FEED and (
                        url not in had or had[url] != [url])]:
                    read = self.reads.start(unread, now)
        # the read's answers if it is over within `patience` s (else a later tick takes it)
        answers: Answers = {}
        if read is not None and read.wait(self.patience) and self.reads.finish(read):
            for url, (found, answered) in read.outcome.result().items():
                if url not in had or not isinstance(answered.get(url), FetchError):
                    self.rediscovered.inc(url in had)
                    had[url] = found
                    answers.update(answered)
            current.write([(url, had[url]) for url, _ in self.sources if url in had])
        elif not had:  # a tick of another bundle took the read, and its state is not ours yet
            had = {url: found for url, (found, _) in self.reads.last.items()}
        feeds = (had.get(url, [url] if may_be == FEED else []) for url, may_be in self.sources)
        for url in dict.fromkeys(url for urls in feeds for url in urls):
            yield url, answers.get(url)


LISTED = "listed"
"""The tag of what the sources a `PollSources` step read list, to be read by the next one."""
READ_STEPS = 3
"""`PollSources` steps that read any source down to its sitemaps' children: `--feeds` URLs,
what they list (a robots.txt's sitemaps), and what those list (a sitemap index's children)."""


class PollSources(BySlot):
    """Batch: reads each source once, keyed by host slot (`KeyBySlot`), so sources are asked
    concurrently while each host sees at most `--per-host-concurrency` requests at once across
    the job (`BySlot`), site discovery included.

    A source is asked once, conditionally when an earlier run left validators. A feed, a urlset
    sitemap, or anything that lists nothing is polled with that answer (`PollReader`); what a
    feed list, robots.txt, sitemap index or homepage lists (`listing`) leaves on `LISTED`, each
    URL with what it may be, for the next step. A source's failure is its dead letter. With
    `prune`, the crawl state is pruned when the step starts (`PollReader.prune_if_due`).
    """

    def __init__(self, http: HttpSettings, schedule: PollSettings | None = None,
                 state: StateSettings | None = None,
                 clock: Callable[[], float] = time.time, prune: bool = True) -> None:
        super().__init__(http)
        self.prune = prune
        self.schedule = schedule or PollSettings()
        self.clock = clock
        self.reader = PollReader(self.schedule, state)
        self.read = Metrics.counter("newswire", "sources_read")
        self.listed = Metrics.counter("newswire", "sources_listed")
        self.stale = Metrics.counter("newswire", "sitemaps_too_old")

    def setup(self) -> None:
        super().setup()
        self.reader.open()

    def teardown(self) -> None:
        super().teardown()
        self.reader.close()

    def start_bundle(self) -> None:
        super().start_bundle()
        if self.prune:
            self.reader.prune_if_due(self.clock())

    def item(self, named: tuple[str, str]) -> tuple[FeedState, str]:
        url, may_be = named
        return self.reader.remembered(url), may_be

    def work(self, item: tuple[FeedState, str]) -> Poll | Listing:
        """What the source lists, or its poll, over."""
        state, may_be = item
        url, started = state.feed_url, self.clock()
        outcome: Future[Response] = Future()
        try:
            headers = conditional_headers(state.etag, state.last_modified)
            # a listed feed is polled as feeds are; what may list others is asked as pages are
            response = (self.fetcher.client.get(url, headers) if may_be == FEED
                        else self.fetcher.get_in_turn(url, headers))
            if response.status != 304 and (found := listing(
                    url, response, may_be, self.schedule.max_age, started,
                    lambda robots: read_robots_txt(self.fetcher, robots))):
                return found
            outcome.set_result(response)
        except Exception as error:  # the source's failure, read where the poll is applied
            outcome.set_exception(error)
        return Poll(url, started, outcome)

    def results(self, item: tuple[FeedState, str], outcome: Future) -> Iterator[Any]:
        result = outcome.result()
        if isinstance(result, Listing):
            _log.info(result.note)
            self.read.inc()
            self.listed.inc(len(result.urls))
            self.stale.inc(result.stale)
            for named in result.urls:
                yield beam.pvalue.TaggedOutput(LISTED, named)
            return
        yield from self.reader.apply(item[0], result, first=True)


class ReadSources(beam.PTransform):
    """Batch: the named sources (URL, what it may be) to their feeds' entries; returns the
    entries and the dead letters. `READ_STEPS` PollSources steps read them: each step reads
    what the one before listed that no step has asked yet, so a URL is asked once."""

    def __init__(self, http: HttpSettings, schedule: PollSettings,
                 state: StateSettings | None) -> None:
        super().__init__()
        self.http, self.schedule, self.state = http, schedule, state

    def expand(self, named: beam.PCollection) -> tuple[beam.PCollection, beam.PCollection]:
        entries, letters, asked = [], [], []
        for step in range(READ_STEPS):
            read = (
                named
                | f"KeyBySlot{step}" >> key_by_slot(self.http.per_host_concurrency,
                                                    tuple[str, str], itemgetter(0))
                | f"Read{step}" >> beam.ParDo(PollSources(  # the first step prunes the state
                    self.http, self.schedule, self.state, prune=step == 0))
                .with_outputs(DEAD_LETTER, LISTED, main="entries"))
            entries.append(read.entries)
            letters.append(read[DEAD_LETTER])
            asked.append(named)
            if step + 1 < READ_STEPS:  # the last step reads feeds, which list nothing
                done = (asked | f"Asked{step}" >> beam.Flatten()
                        | f"AskedUrls{step}" >> beam.Map(lambda source: (source[0], True)))
                named = (
                    read[LISTED]
                    | f"Listed{step}" >> beam.Map(lambda source: source).with_output_types(
                        tuple[str, str])  # a deterministic coder, to tell each apart
                    | f"Once{step}" >> beam.Distinct()
                    | f"NotAsked{step}" >> beam.Filter(
                        lambda source, asked: source[0] not in asked, beam.pvalue.AsDict(done)))
        return (entries | "Entries" >> beam.Flatten().with_output_types(FeedEntry),
                letters | "DeadLetters" >> beam.Flatten())
