"""Slow feeds in batch: polled side by side, while no host sees more than
`--per-host-concurrency` polls at once, even on two worker processes."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.job import lifecycle
from newswire.transforms.index.client import EsConnection
from tests.conftest import drop_job_aliases, job_aliases
from tests.faults.test_sources_feeds import rss
from tests.loopback import reply, serve

pytestmark = [pytest.mark.es, pytest.mark.timeout(240)]
ANSWER_AFTER = 1.0  # seconds each feed takes to answer
FEEDS_PER_HOST = 5
PER_HOST = 2


class SlowFeeds(BaseHTTPRequestHandler):
    """Any path is an empty feed that answers after ANSWER_AFTER s; requests are timed, and the
    most in flight at once is kept per host (the Host header: one server per port)."""

    lock: ClassVar[threading.Lock] = threading.Lock()
    in_flight: ClassVar[Counter[str]] = Counter()
    peak: ClassVar[Counter[str]] = Counter()
    spans: ClassVar[list[tuple[float, float]]] = []

    def do_GET(self) -> None:
        host = self.headers["Host"]
        started = time.monotonic()
        with SlowFeeds.lock:
            SlowFeeds.in_flight[host] += 1
            SlowFeeds.peak[host] = max(SlowFeeds.peak[host], SlowFeeds.in_flight[host])
        time.sleep(ANSWER_AFTER)
        with SlowFeeds.lock:
            SlowFeeds.in_flight[host] -= 1
            SlowFeeds.spans.append((started, time.monotonic()))
        reply(self, 200, rss(), {"Content-Type": "application/rss+xml"})

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def hosts() -> Iterator[list[str]]:
    """Two hosts (two loopback ports) of slow feeds."""
    SlowFeeds.in_flight.clear()
    SlowFeeds.peak.clear()
    SlowFeeds.spans.clear()
    with ExitStack() as servers:
        yield [servers.enter_context(serve(SlowFeeds)) for _ in range(2)]


def test_slow_feeds_are_polled_side_by_side_within_the_per_host_limit(
        es_connection: EsConnection, hosts: list[str], tmp_path: Path) -> None:
    """10 feeds of 1 s on two hosts, 2 at a time per host: about 3 s of polling, not 10 (one
    after another, as batch polls went before)."""
    listed = tmp_path / "feeds.txt"  # a local list: its feeds are first asked by the polls
    listed.write_text("".join(f"{host}/feed-{n}.xml\n" for host in hosts
                              for n in range(FEEDS_PER_HOST)))
    index = f"test-slow-feeds-{uuid.uuid4().hex[:8]}"
    try:
        summary = lifecycle.run(PipelineOptions(
            feeds=[str(listed)], es_url=es_connection.url, allow_private_addresses=True,
            per_host_concurrency=PER_HOST, direct_num_workers=2,
            direct_running_mode="multi_processing", **job_aliases(index)), say=lambda _: None)
    finally:
        drop_job_aliases(es_connection, index)
    polling = max(end for _, end in SlowFeeds.spans) - min(start for start, _ in SlowFeeds.spans)
    print(f"10 feeds of {ANSWER_AFTER:g} s polled in {polling:.1f} s; peak in flight per host "
          f"{dict(SlowFeeds.peak)}")
    assert summary.feeds_polled == len(SlowFeeds.spans) == 2 * FEEDS_PER_HOST  # each once
    assert set(SlowFeeds.peak.values()) == {PER_HOST}  # never more, and used side by side
    assert polling < 6.0  # 3 rounds of 1 s per host; one after another took 10 s and more
