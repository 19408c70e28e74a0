"""Per-host limits and robots.txt, with real threads and a real loopback server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest

from newswire.transforms.fetching.fetch import PageFetcher
from newswire.transforms.fetching.http import FetchError, HttpSettings
from newswire.transforms.fetching.politeness import HostLimiter
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
