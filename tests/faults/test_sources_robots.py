"""Sources that hang when the run starts: a robots.txt listing a hundred sitemaps gives only the
first `MAX_ROBOTS_SITEMAPS`, and sitemaps and `--feeds` URLs are asked for at once, within the
per-host limits, rather than each waiting `--fetch-timeout` for the one before."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler

from newswire.pipeline.job.feed_lists import resolve_feeds
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.sources.discover import Discoverer
from newswire.transforms.sources.sitemaps import MAX_ROBOTS_SITEMAPS
from tests.faults.hostile import serve_routes
from tests.loopback import reply, serve


def test_a_robots_txt_of_a_hundred_sitemaps_is_read_to_the_cap() -> None:
    lines = "".join(f"Sitemap: {{base}}/sitemap-{n}.xml\n" for n in range(100))
    routes = {"/robots.txt": (200, {"Content-Type": "text/plain"},
                              f"User-agent: *\nAllow: /\n{lines}".encode())}
    asked: list[str] = []
    said: list[str] = []
    with serve_routes(routes, asked) as site, Discoverer(
            HttpSettings(allow_private=True, retries=0), say=said.append) as discoverer:
        listed, answer = discoverer.resolve(f"{site}/robots.txt")
    assert answer is None
    assert listed == [f"{site}/sitemap-{n}.xml" for n in range(MAX_ROBOTS_SITEMAPS)]
    assert len([path for path in asked if path.startswith("/sitemap-")]) == MAX_ROBOTS_SITEMAPS
    assert said == [f"{site}/robots.txt: {MAX_ROBOTS_SITEMAPS} sitemaps (the first "
                    f"{MAX_ROBOTS_SITEMAPS} of its Sitemap: lines are read)"]


class Busy:
    """How many requests a server answers at once, and the most it did."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.lock = threading.Lock()


def slow_server(busy: Busy, robots: str = "") -> type[BaseHTTPRequestHandler]:
    """A server taking 0.3 s to answer 404, counting in `busy`; it serves `robots` (with
    `{base}` replaced) as its robots.txt if given."""

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if robots and self.path == "/robots.txt":
                base = f"http://{self.headers['Host']}"
                reply(self, 200, robots.replace("{base}", base).encode(),
                      {"Content-Type": "text/plain"})
                return
            with busy.lock:
                busy.now += 1
                busy.most = max(busy.most, busy.now)
            time.sleep(0.3)
            with busy.lock:
                busy.now -= 1
            reply(self, 404, b"")

        def log_message(self, *_: object) -> None:
            pass

    return Slow


def test_a_robots_txt_s_sitemaps_are_asked_for_at_once_within_the_host_limit() -> None:
    """They were asked one after another: 100 hanging ones cost 405 s at --fetch-timeout 2."""
    busy = Busy()
    robots = "".join(f"Sitemap: {{base}}/slow-{n}.xml\n" for n in range(8))
    settings = HttpSettings(allow_private=True, retries=0, per_host_concurrency=3)
    with serve(slow_server(busy, robots)) as site, Discoverer(settings) as discoverer:
        listed, _ = discoverer.resolve(f"{site}/robots.txt")
    assert listed == [f"{site}/slow-{n}.xml" for n in range(8)]  # in order, each polled
    assert busy.most == 3  # at once, and no more than the host allows


def test_feeds_sources_are_resolved_at_once() -> None:
    """`--feeds` URLs were resolved one after another: a hanging one held every one after it."""
    busy = Busy()
    with serve(slow_server(busy)) as site:
        sources = [f"{site}/feed-{n}.xml" for n in range(4)]
        found = resolve_feeds(sources, HttpSettings(allow_private=True, retries=0,
                                                    obey_robots=False), say=lambda _: None)
    assert found.urls == sources  # in order, each answered with its failure for its poll
    assert all(found.answered[url].reason == "http 404" for url in sources)
    assert busy.most == 4
