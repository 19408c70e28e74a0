"""Per-host limits and robots.txt, with real threads and a real loopback server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest

from newswire.transforms.fetching.fetch import PageFetcher
from newswire.transforms.fetching.http import FetchError, HttpClient, HttpSettings
from newswire.transforms.fetching.politeness import HostLimiter, RobotsCache
from newswire.transforms.records import FeedEntry
from tests.loopback import reply, serve


class Site(BaseHTTPRequestHandler):
    robots = b"User-agent: *\nDisallow: /private/\n"
    in_flight = 0
    peak = 0
    robots_requests = 0
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_GET(self) -> None:
        with Site.lock:
            Site.in_flight += 1
            Site.peak = max(Site.peak, Site.in_flight)
            Site.robots_requests += self.path == "/robots.txt"
        time.sleep(0.05)
        with Site.lock:
            Site.in_flight -= 1
        if self.path == "/robots.txt":
            self._reply(b"text/plain", Site.robots)
        else:
            self._reply(b"text/html", b"<html><body><p>page</p></body></html>")

    def _reply(self, content_type: bytes, body: bytes) -> None:
        reply(self, 200, body, {"Content-Type": content_type.decode()})

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve(Site) as url:
        yield url


def fetcher(**settings: object) -> PageFetcher:
    page_fetcher = PageFetcher(HttpSettings(allow_private=True, **settings))  # type: ignore[arg-type]
    page_fetcher.open()
    return page_fetcher


def entry(url: str) -> FeedEntry:
    return FeedEntry(link=url, feed_url="f")


def test_robots_txt_is_honoured(site: str) -> None:
    polite = fetcher()
    assert polite.fetch(entry(f"{site}/news/a.html")).html.startswith("<html>")
    with pytest.raises(FetchError, match=r"disallowed by robots\.txt"):
        polite.fetch(entry(f"{site}/private/b.html"))
    assert fetcher(obey_robots=False).fetch(entry(f"{site}/private/b.html"))


def test_per_host_concurrency_is_capped_and_robots_txt_asked_once(site: str) -> None:
    Site.peak = Site.robots_requests = 0
    capped = fetcher(per_host_concurrency=3)  # robots.txt not yet known: every thread needs it
    threads = [threading.Thread(target=capped.fetch, args=(entry(f"{site}/p{i}"),))
               for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Site.peak == 3
    assert Site.robots_requests == 1


def test_per_host_delay_spaces_request_starts() -> None:
    limiter = HostLimiter(concurrency=10, delay=0.05)
    starts: list[float] = []

    def request(url: str) -> None:
        with limiter.slot(url):
            starts.append(time.monotonic())

    threads = [threading.Thread(target=request, args=("http://a.example/x",)) for _ in range(5)]
    threads.append(threading.Thread(target=request, args=("http://b.example/x",)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    gaps = sorted(starts)
    assert gaps[-1] - gaps[0] >= 0.19  # five starts on one host need four delays
    assert len(starts) == 6


class RulesSite(BaseHTTPRequestHandler):
    """Serves `robots` as robots.txt and a page at every other path, counting requests by path."""

    robots = ""
    requested: ClassVar[dict[str, int]] = {}
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_GET(self) -> None:
        with RulesSite.lock:
            RulesSite.requested[self.path] = RulesSite.requested.get(self.path, 0) + 1
        if self.path == "/robots.txt":
            reply(self, 200, RulesSite.robots.encode(), {"Content-Type": "text/plain"})
        else:
            reply(self, 200, b"<html><body><p>page</p></body></html>",
                  {"Content-Type": "text/html"})

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def rules_site() -> Iterator[str]:
    RulesSite.requested = {}
    with serve(RulesSite) as url:
        yield url


NEWS_RULES = """User-agent: *
Disallow: /*?print=
Disallow: /*.pdf$
Disallow: /archive/
Allow: /archive/today
Disallow: /drafts/*/final
"""

GROUPS = """User-agent: *
Disallow: /

User-agent: OtherBot
Allow: /

User-agent: NewsWire
Disallow: /private/
"""


@pytest.mark.parametrize(("robots", "user_agent", "path", "allowed"), [
    # `*` matches any run of characters, anywhere in the path
    (NEWS_RULES, "newswire/0.1", "/story?print=1", False),
    (NEWS_RULES, "newswire/0.1", "/section/story?print=yes&id=3", False),
    (NEWS_RULES, "newswire/0.1", "/story?id=3&print=yes", True),  # not `?print=`
    (NEWS_RULES, "newswire/0.1", "/story?id=3", True),
    (NEWS_RULES, "newswire/0.1", "/drafts/2026/final", False),
    (NEWS_RULES, "newswire/0.1", "/drafts/2026/first", True),
    # `$` anchors the end: only paths ending in .pdf
    (NEWS_RULES, "newswire/0.1", "/report.pdf", False),
    (NEWS_RULES, "newswire/0.1", "/report.pdf.html", True),
    # the longest matching rule wins, whatever the order it is written in
    (NEWS_RULES, "newswire/0.1", "/archive/old", False),
    (NEWS_RULES, "newswire/0.1", "/archive/today/story", True),
    ("User-agent: *\nAllow: /a\nDisallow: /a/b\n", "newswire/0.1", "/a/b/c", False),
    ("User-agent: *\nDisallow: /a\nAllow: /a/b\n", "newswire/0.1", "/a/b/c", True),
    # the most specific group the User-Agent names, case-insensitively; else `*`
    (GROUPS, "newswire/0.1", "/story", True),
    (GROUPS, "newswire/0.1", "/private/story", False),
    (GROUPS, "Mozilla/5.0 (compatible; NewsWire/0.1; +https://example.org/bot)",
     "/private/story", False),
    (GROUPS, "newswire/0.1", "/", True),
    (GROUPS, "somebot/1.0", "/story", False),
    (GROUPS, "otherbot/2.0", "/private/story", True),
])
def test_robots_txt_is_read_by_rfc_9309(rules_site: str, robots: str, user_agent: str,
                                        path: str, allowed: bool) -> None:
    RulesSite.robots = robots
    client = HttpClient(HttpSettings(allow_private=True))
    client.open()
    try:
        assert RobotsCache(client, user_agent).allowed(f"{rules_site}{path}") is allowed
    finally:
        client.close()
