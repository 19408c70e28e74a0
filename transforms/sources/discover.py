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
and a streaming job's sources. Every request goes through `PageFetcher` (politeness,
robots.txt, the address guard, limits). A sitemap that cannot be read as an index is polled,
so its failure becomes a dead letter.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from operator import itemgetter
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.sax.saxutils import quoteattr

import apache_beam as beam
import lxml.html
from apache_beam.metrics import Metrics
from lxml import etree

from newswire.transforms.fetching.fetch import HTML_TYPES, BySlot, PageFetcher, key_by_slot
from newswire.transforms.fetching.http import FetchError, Response
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.records import DEAD_LETTER, failure_reason
from newswire.transforms.sources.feeds import PollReader, parse_feed_list
from newswire.transforms.sources.polling import Poll
from newswire.transforms.sources.schedule import FeedState, conditional_headers
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
    """The feed URLs a page declares with `<link rel="alternate" type="...">`, absolute."""
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    base = urljoin(page_url, (tree.xpath("//base/@href") or [""])[0])
    feeds = []
    for link in tree.xpath("//link[@href]"):
        rels = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" in rels and kind in FEED_TYPES and link.get("href").strip():
            feeds.append(urljoin(base, link.get("href").strip()))
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


class RediscoverSources(beam.DoFn):
    """Streaming: on each tick, the feeds to poll, each with the answer had for it while its
    source was read (on the tick that read it; None after). The `--feeds` URLs are read on the
    first tick, and those that list others (sitemap indexes, robots.txt files, homepages, feed
    lists) again every `every` seconds, so a sitemap added to an index later is polled without
    a restart; feeds from local lists (`FEED`) are polled as they are.

    A source that cannot be read again keeps what it last gave, so a passing outage does not
    stop its feeds being polled.
    """

    def __init__(self, sources: Sequence[tuple[str, str]], settings: HttpSettings,
                 max_age: float = DEFAULT_MAX_AGE,
                 every: float = PollSettings.rediscover_every,
                 clock: Callable[[], float] = time.time) -> None:
        self.sources = list(sources)
        self.settings = settings
        self.max_age = max_age
        self.every = every
        self.clock = clock
        self.rediscovered = Metrics.counter("newswire", "sources_rediscovered")

    def setup(self) -> None:
        self.discoverer = Discoverer(self.settings, self.max_age, clock=self.clock).__enter__()
        # what each source gives, in their order: a listed feed itself, a URL once it is read
        self.current = {url: [url] for url, _ in self.sources}
        self.read = False
        self.due = self.clock()

    def teardown(self) -> None:
        self.discoverer.__exit__()

    def process(self, _tick: Any) -> Iterator[tuple[str, Response | FetchError | None]]:
        answers: Answers = {}
        if self.clock() >= self.due:
            self.due = self.clock() + self.every
            answers = self._read()
        for url in dict.fromkeys(url for urls in self.current.values() for url in urls):
            yield url, answers.get(url)

    def _read(self) -> Answers:
        """Read the `--feeds` URLs the first time, then again those that list others, at once."""
        first, self.read = not self.read, True
        due = [url for url, may_be in self.sources
               if may_be != FEED and (first or self.current[url] != [url])]
        answers: Answers = {}
        if not due:
            return answers
        with ThreadPoolExecutor(min(len(due), self.settings.concurrency), "resolve") as pool:
            for url, (found, answered) in zip(due, pool.map(self.discoverer.resolve, due),
                                              strict=True):
                if first or not isinstance(answered.get(url), FetchError):
                    self.current[url] = found
                    answers.update(answered)
                    self.rediscovered.inc(not first)
        return answers


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
            headers = conditional_headers(state)
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
        return (entries | "Entries" >> beam.Flatten(),
                letters | "DeadLetters" >> beam.Flatten())
