"""Sources that hang: a robots.txt listing a hundred sitemaps gives only the first
`MAX_ROBOTS_SITEMAPS`, and sitemaps and `--feeds` URLs are asked for at once, within the
per-host limits, rather than each waiting `--fetch-timeout` for the one before: by a batch
job's workers, keyed by host slot, so the limits hold across worker processes, and by the
one reader that reads a streaming job's sources for the whole job."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to

from newswire.pipeline.job import lifecycle
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.index.client import EsConnection
from newswire.transforms.sources.discover import ANY, Discoverer, RediscoverSources, one_reader
from newswire.transforms.sources.sitemaps import MAX_ROBOTS_SITEMAPS
from tests.conftest import drop_job_aliases, job_aliases
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
        listed, answers = discoverer.resolve(f"{site}/robots.txt")
    assert listed == [f"{site}/sitemap-{n}.xml" for n in range(MAX_ROBOTS_SITEMAPS)]
    # each asked once: its failure is the answer its first poll takes
    assert {answer.reason for answer in answers.values()} == {"http 404"}
    assert set(answers) == set(listed)
    assert len([path for path in asked if path.startswith("/sitemap-")]) == MAX_ROBOTS_SITEMAPS
    assert said == [f"{site}/robots.txt: {MAX_ROBOTS_SITEMAPS} sitemaps (the first "
                    f"{MAX_ROBOTS_SITEMAPS} of its Sitemap: lines are read)"]


class Busy:
    """How many requests a server answers at once, and the most it did."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.asked: list[str] = []
        self.starts: list[float] = []
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
                busy.asked.append(self.path)
                busy.starts.append(time.monotonic())
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


@pytest.mark.es
def test_a_job_reads_its_sources_at_once_within_the_host_limit_on_two_workers(
        es_connection: EsConnection) -> None:
    """`--feeds` URLs and a robots.txt's sitemaps on one host, read by a batch job's workers:
    at once, never more than `--per-host-concurrency` (3) on the host across two worker
    processes, and each asked once (the `--feeds` URLs were asked by the launcher, one after
    another before that, and polled again)."""
    busy = Busy()
    robots = "".join(f"Sitemap: {{base}}/slow-{n}.xml\n" for n in range(6))
    index = f"test-read-{uuid.uuid4().hex[:8]}"
    with serve(slow_server(busy, robots)) as site:
        sources = [f"{site}/robots.txt", *(f"{site}/feed-{n}.xml" for n in range(4))]
        try:
            summary = lifecycle.run(PipelineOptions(
                feeds=sources, es_url=es_connection.url, allow_private_addresses=True,
                per_host_concurrency=3, direct_num_workers=2,
                direct_running_mode="multi_processing", **job_aliases(index)),
                say=lambda _: None)
        finally:
            drop_job_aliases(es_connection, index)
    assert busy.most == 3  # at once, and no more than the host allows
    assert (summary.sources_read, summary.sources_listed) == (1, 6)
    assert summary.feeds_failed == 10  # 4 feeds and 6 sitemaps, each a dead letter (404)
    assert sorted(busy.asked) == sorted([*(f"/slow-{n}.xml" for n in range(6)),
                                         *(f"/feed-{n}.xml" for n in range(4))])  # each once


def test_a_streaming_job_s_sources_are_read_once_by_one_reader_on_two_workers() -> None:
    """A streaming job's discovery steps (`one_reader`, `RediscoverSources`) on 30 ticks and
    two worker processes: each source asked once in the rediscovery period, never more than
    `--per-host-concurrency` (2) at once nor closer than `--per-host-delay` (0.2 s) apart, and
    every tick still gives every feed. Each instance used to read every source on its first
    tick, with as many threads as `--fetch-concurrency` whatever the host: here each source
    asked twice, 4 at once."""
    busy = Busy()
    ticks = 30
    with serve(slow_server(busy)) as site:
        sources = [f"{site}/feed-{n}.xml" for n in range(6)]
        settings = HttpSettings(allow_private=True, retries=0, obey_robots=False,
                                per_host_concurrency=2, per_host_delay=0.2)
        with beam.Pipeline(runner=FnApiRunner(), options=PipelineOptions(
                direct_num_workers=2, direct_running_mode="multi_processing")) as pipeline:
            feeds = (pipeline
                     | beam.Create(range(ticks))
                     | one_reader()
                     | beam.ParDo(RediscoverSources([(url, ANY) for url in sources], settings,
                                                    every=600, patience=30))
                     | beam.Map(lambda feed: feed[0])
                     | beam.combiners.Count.PerElement())
            assert_that(feeds, equal_to([(url, ticks) for url in sources]))
    assert sorted(busy.asked) == sorted(f"/feed-{n}.xml" for n in range(6))  # each once
    assert busy.most == 2  # side by side, and no more than the host allows
    starts = sorted(busy.starts)
    assert min(later - first for first, later in itertools.pairwise(starts)) >= 0.15
