"""End to end, whole local runs against a loopback site: politeness holds for the job.

A run never requests what robots.txt disallows by RFC 9309's wildcards and `$` (those entries
end as fetch dead letters), and on two worker processes a host still sees no more than
`--per-host-concurrency` requests at once.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.job import lifecycle
from newswire.pipeline.job.summary import Summary
from newswire.transforms.index.client import EsConnection
from tests.conftest import drop_job_aliases, job_aliases
from tests.loopback import reply, serve

pytestmark = [pytest.mark.es, pytest.mark.slow]

ROBOTS = "User-agent: *\nDisallow: /*?print=\nDisallow: /*.pdf$\n"
ALLOWED = ["/story-1.html", "/story-2.html?page=2"]
DISALLOWED = ["/story-3.html?print=1", "/files/report.pdf"]
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
</head><body><article><h1>{title}</h1>
<p>The first paragraph of the story called {title}, long enough to be read as an article.</p>
<p>A second paragraph follows with more detail about what happened and who said what.</p>
<p>The third paragraph closes the story with what is expected to happen next week.</p>
</article></body></html>"""


class Site(BaseHTTPRequestHandler):
    """`robots` as robots.txt, a feed listing `listed`, `/refused...` answering 429 with a
    Retry-After of a minute, and a page at any other path that takes `latency` seconds; every
    request is kept with its path and time, and the most in flight at once is kept."""

    robots = ROBOTS
    listed: ClassVar[list[str]] = []
    latency = 0.0
    requested: ClassVar[list[str]] = []
    asked: ClassVar[list[tuple[str, float]]] = []
    starts: ClassVar[list[float]] = []
    in_flight = 0
    peak = 0
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_GET(self) -> None:
        with Site.lock:
            Site.requested.append(self.path)
            Site.asked.append((self.path, time.monotonic()))
        base = f"http://{self.headers['Host']}"
        if self.path == "/robots.txt":
            reply(self, 200, Site.robots.encode(), {"Content-Type": "text/plain"})
        elif self.path == "/feed.xml":
            items = "".join(f"<item><title>Story {i}</title><link>{base}{path}</link>"
                            f"<guid>politeness-{i}</guid></item>"
                            for i, path in enumerate(Site.listed))
            feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}' \
                   "</channel></rss>"
            reply(self, 200, feed.encode(), {"Content-Type": "application/rss+xml"})
        elif self.path.startswith("/refused"):
            reply(self, 429, b"slow down", {"Retry-After": "60"})
        else:
            with Site.lock:
                Site.starts.append(time.monotonic())
                Site.in_flight += 1
                Site.peak = max(Site.peak, Site.in_flight)
            time.sleep(Site.latency)
            with Site.lock:
                Site.in_flight -= 1
            page = PAGE.format(title=f"Story at {self.path}").encode()
            reply(self, 200, page, {"Content-Type": "text/html; charset=utf-8"})

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    Site.requested, Site.asked, Site.starts, Site.in_flight, Site.peak = [], [], [], 0, 0
    Site.robots = ROBOTS
    with serve(Site) as url:
        yield url


def run(site: str, es_connection: EsConnection, **options: object) -> Summary:
    """One batch run of the site's feed into throwaway indices."""
    index = f"test-polite-{uuid.uuid4().hex[:8]}"
    try:
        return lifecycle.run(PipelineOptions(
            feeds=[f"{site}/feed.xml"], es_url=es_connection.url,
            allow_private_addresses=True, **job_aliases(index), **options), say=lambda _: None)
    finally:
        drop_job_aliases(es_connection, index)


def median_span_of_three_starts() -> float:
    """The median time from a page request's start on the host to the start two after it."""
    starts = sorted(Site.starts)
    return statistics.median(later - first for first, later in zip(starts, starts[2:],
                                                                    strict=False))


def test_a_job_never_requests_a_page_robots_txt_disallows(
        site: str, es_connection: EsConnection) -> None:
    Site.listed, Site.latency = ALLOWED + DISALLOWED, 0.0
    summary = run(site, es_connection)
    assert not set(DISALLOWED) & set(Site.requested)
    assert set(ALLOWED) <= set(Site.requested)
    assert summary.pages_fetched == len(ALLOWED)
    assert summary.dead_letters_by_stage.get("fetch") == len(DISALLOWED)
    assert summary.balanced


def test_two_worker_processes_keep_a_host_to_its_per_host_concurrency(
        site: str, es_connection: EsConnection) -> None:
    """Each process used to keep its own per-host slots: 4 in flight here with 2 allowed."""
    Site.listed, Site.latency = [f"/story-{i}.html" for i in range(24)], 0.2
    summary = run(site, es_connection, direct_num_workers=2,
                  direct_running_mode="multi_processing", per_host_concurrency=2)
    assert summary.pages_fetched == 24
    assert Site.peak == 2  # never more than allowed, and the slots were used side by side


def test_two_worker_processes_keep_a_host_to_its_per_host_delay(
        site: str, es_connection: EsConnection) -> None:
    """Two slots, each starting 2 x 0.2 s apart: any three starts on the host span 0.4 s (0.2 s
    if each process kept slots of its own). The server sees a start late by its own
    scheduling, which on a loaded machine shortens a span or two, so the median span tells the
    two apart."""
    Site.listed, Site.latency = [f"/story-{i}.html" for i in range(10)], 0.0
    summary = run(site, es_connection, direct_num_workers=2,
                  direct_running_mode="multi_processing", per_host_concurrency=2,
                  per_host_delay=0.2)
    assert summary.pages_fetched == 10
    assert median_span_of_three_starts() >= 0.3, sorted(Site.starts)


def test_a_job_keeps_to_the_crawl_delay_robots_txt_asks(
        site: str, es_connection: EsConnection) -> None:
    """No `--per-host-delay`, but robots.txt asks `Crawl-delay: 0.2`: each of the two slots
    waits 2 x 0.2 s after a request, so any three starts on the host span 0.4 s (the median,
    as above); Crawl-delay was ignored, and the ten pages were asked for at once."""
    Site.robots = "User-agent: *\nCrawl-delay: 0.2\n"
    Site.listed, Site.latency = [f"/story-{i}.html" for i in range(10)], 0.0
    summary = run(site, es_connection, per_host_concurrency=2)
    assert summary.pages_fetched == 10
    assert median_span_of_three_starts() >= 0.3, sorted(Site.starts)


def test_a_refusal_asking_to_wait_is_not_asked_again_and_holds_back_the_hosts_next_page(
        site: str, es_connection: EsConnection) -> None:
    """A 429 with `Retry-After: 60`, longer than a fetch may take: given up on at once (it was
    asked three times in 1.5 s), and the host's next page waits `--max-crawl-delay` (1 s)."""
    Site.listed = ["/refused-1", "/refused-2", "/story-1.html", "/story-2.html"]
    summary = run(site, es_connection, per_host_concurrency=1, max_crawl_delay=1.0)
    assert summary.pages_fetched == 2
    assert summary.dead_letters_by_stage == {"fetch": 2}
    pages = [(path, at) for path, at in Site.asked if path.startswith(("/refused", "/story"))]
    assert sorted(path for path, _ in pages if path.startswith("/refused")) == [
        "/refused-1", "/refused-2"]
    # whichever refusal came first, another request came after it: not sooner than 1 s later
    first = next(n for n, (path, _) in enumerate(pages) if path.startswith("/refused"))
    assert pages[first + 1][1] - pages[first][1] >= 0.9, pages
