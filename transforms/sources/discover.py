"""What to poll for each `--feeds` URL: feeds, feed lists, sitemaps, robots.txt and homepages.

The kind of a URL is read from what it serves, not from its name:

    OPML or a plain list of URLs ─► the URLs it lists
    robots.txt                   ─► its `Sitemap:` lines, each expanded as below
    sitemap index                ─► its sitemaps modified within the max age
    urlset sitemap, feed         ─► itself, polled by PollFeeds
    HTML page (a homepage)       ─► its `<link rel="alternate">` feeds and its robots.txt's
                                    sitemaps

Every request goes through `PageFetcher` (politeness, robots.txt, the address guard, limits).
A sitemap that cannot be read here is still polled, so its failure becomes a dead letter.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.sax.saxutils import quoteattr

import apache_beam as beam
import lxml.html
from apache_beam.metrics import Metrics
from lxml import etree

from newswire.transforms.fetching.fetch import HTML_TYPES, PageFetcher
from newswire.transforms.fetching.http import FetchError, Response
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.records import failure_reason
from newswire.transforms.sources.feeds import parse_feed_list
from newswire.transforms.sources.settings import DEFAULT_MAX_AGE, PollSettings
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
        listed, answer = self.resolve(url)
        if isinstance(answer, FetchError):
            raise ValueError(f"cannot read {url}: {answer.reason}")
        return listed

    def resolve(self, url: str) -> tuple[list[str], Response | FetchError | None]:
        """The URLs to poll for one `--feeds` URL, asking it once, and its answer when it is
        polled itself (a feed or urlset sitemap, or a URL that failed), else None.

        The answer serves as that URL's first poll, so a failure becomes its dead letter with
        the real reason, and the other sources run: this is the source's boundary, so whatever
        reading it raises (a redirect to a URL `urljoin` refuses, a broken sitemap index) is
        such a failure.
        """
        try:
            return self._resolve(url)
        except Exception as error:
            return [url], error if isinstance(error, FetchError) else FetchError(
                failure_reason(error))

    def _resolve(self, url: str) -> tuple[list[str], Response | FetchError | None]:
        response = self.fetcher.get(url)
        kind = sitemap_kind(response.body)
        if kind == INDEX:
            return self._index(url, response.body), None
        if kind == URLSET:
            return [url], response
        text = response.body[:1_000_000].decode("utf-8-sig", errors="replace")
        if "<opml" in text[:1000].lower() or response.content_type == "text/plain":
            if response.content_type == "text/plain" and is_robots_txt(text):
                listed = robots_sitemaps(text)
                self.say(f"{url}: {len(listed)} sitemaps" + (
                    f" (the first {MAX_ROBOTS_SITEMAPS} of its Sitemap: lines are read)"
                    if len(listed) == MAX_ROBOTS_SITEMAPS else ""))
                return self._sitemaps(listed), None
            try:
                if listed := parse_feed_list(text):
                    return listed, None
            except ValueError:
                pass  # not a readable list: polled as a feed, which reports what it is
            return [url], response
        if _is_html(response):
            site = self._site(response)
            self.say(f"{url}: {len(site.feeds)} feeds ({', '.join(site.feeds) or 'none'}), "
                     f"{len(site.sitemaps)} sitemaps ({', '.join(site.sitemaps) or 'none'})")
            return [*site.feeds, *self._sitemaps(list(site.sitemaps))], None
        return [url], response

    def site(self, url: str) -> Site:
        """What one homepage offers; ValueError if the page cannot be fetched."""
        try:
            response = self.fetcher.get(url)
        except FetchError as error:
            raise ValueError(f"cannot read {url}: {error.reason}") from None
        return self._site(response)

    def _site(self, homepage: Response) -> Site:
        parts = urlsplit(homepage.url)
        robots = f"{parts.scheme}://{parts.netloc}/robots.txt"
        try:
            listed = robots_sitemaps(self.fetcher.client.get(robots).body.decode(
                "utf-8", errors="replace"))
        except FetchError:
            listed = []
        return Site(homepage.url, tuple(alternate_feeds(homepage.body, homepage.url)),
                    tuple(listed))

    def _sitemaps(self, urls: list[str]) -> list[str]:
        """Listed sitemaps to poll, in order: an index gives its fresh children, anything else
        itself. They are asked for at once, within the fetcher's per-host limits, so sitemaps
        that hang cost one `--fetch-timeout` per `--per-host-concurrency` of them, not each."""
        if not urls:
            return []
        with ThreadPoolExecutor(min(len(urls), self.fetcher.settings.concurrency),
                                "discover") as pool:
            return [url for listed in pool.map(self._sitemap, urls) for url in listed]

    def _sitemap(self, url: str) -> list[str]:
        try:
            body = self.fetcher.get(url).body
            return self._index(url, body) if sitemap_kind(body) == INDEX else [url]
        except Exception:  # whatever it is, it is polled: its failure becomes a dead letter
            return [url]

    def _index(self, url: str, document: bytes) -> list[str]:
        children = read_index(document)
        fresh = fresh_children(children, self.max_age, self.clock())
        self.say(f"{url}: sitemap index, {len(fresh)} of {len(children)} sitemaps modified "
                 "within the max age")
        return fresh


class RediscoverSources(beam.DoFn):
    """Streaming: on each tick, the feed URLs to poll, reading the `--feeds` URLs that list
    others (sitemap indexes, robots.txt files, homepages, feed lists) again every `every`
    seconds, so a sitemap added to an index later is polled without a restart.

    `listed` is what each source gave when the run started; a URL that was itself a feed or a
    sitemap is not asked again here (PollFeeds polls it). A source that cannot be read again
    keeps what it last gave, so a passing outage does not stop its feeds being polled.
    """

    def __init__(self, listed: Mapping[str, list[str]], settings: HttpSettings,
                 max_age: float = DEFAULT_MAX_AGE,
                 every: float = PollSettings.rediscover_every,
                 clock: Callable[[], float] = time.time) -> None:
        self.listed = {source: list(urls) for source, urls in listed.items()}
        self.settings = settings
        self.max_age = max_age
        self.every = every
        self.clock = clock
        self.rediscovered = Metrics.counter("newswire", "sources_rediscovered")

    def setup(self) -> None:
        self.discoverer = Discoverer(self.settings, self.max_age, clock=self.clock).__enter__()
        self.current = dict(self.listed)
        self.due = self.clock() + self.every

    def teardown(self) -> None:
        self.discoverer.__exit__()

    def process(self, _tick: Any) -> Iterator[str]:
        if self.clock() >= self.due:
            self.due = self.clock() + self.every
            for source, urls in self.current.items():
                if source.startswith(("http://", "https://")) and urls != [source]:
                    found, answer = self.discoverer.resolve(source)
                    if not isinstance(answer, FetchError):
                        self.current[source] = found
                        self.rediscovered.inc()
        yield from dict.fromkeys(url for urls in self.current.values() for url in urls)
