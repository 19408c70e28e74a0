"""Defect: stopped for 30 s mid-run, the node took the run down 3 s later (the revision lookup
sat outside the retry loop, and the client and the sink each retried their own way). Now a node
that goes away and comes back within --es-outage-wait is waited out with backoff and nothing is
lost or written twice; past the wait the job stops with one line saying so.

The outage test runs its own node (port NEWSWIRE_TEST_ES_PORT + 1), stopped and started mid-run.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from elasticsearch import Elasticsearch

from newswire.pipeline.job import errors
from newswire.pipeline.services.elasticsearch import LocalNode
from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import ARTICLE_MAPPING, HISTORY_MAPPING, ensure_index
from newswire.transforms.index.retry import ClusterUnavailable
from newswire.transforms.index.settings import RetryPolicy
from newswire.transforms.index.sink import BulkSettings, Document, WriteToElasticsearch
from tests.conftest import TEST_ES_PORT, drop_index, drop_job_aliases
from tests.faults.es_proxy import VanishingProxy
from tests.faults.site import write_site
from tests.transforms.index.test_sink import bulk_requests

pytestmark = [pytest.mark.es, pytest.mark.slow]
DOCS = 3000


@pytest.fixture(scope="module")
def flaky_node() -> Iterator[LocalNode]:
    node = LocalNode(port=TEST_ES_PORT + 1, heap_mb=384)
    node.start(say=lambda _: None)
    yield node
    node.stop(say=lambda _: None)


def paced(document: Document) -> Document:
    time.sleep(0.002)  # spread the batches over a few seconds, so the outage falls mid-run
    return document


def run_sink(connection: EsConnection, index: str, settings: BulkSettings,
             history_index: str | None = None) -> dict[str, int]:
    documents = [Document(id=f"d{i}", source={"id": f"d{i}", "url": f"https://a.example/{i}",
                                              "title": "t"}, version=1) for i in range(DOCS)]
    pipeline = beam.Pipeline(runner=FnApiRunner())
    _ = (pipeline | beam.Create(documents) | beam.Map(paced)
         | WriteToElasticsearch(connection, index, "t", settings, history_index=history_index))
    with errors.outage_in_one_line():
        result = pipeline.run()
        result.wait_until_finish()
    counters = result.metrics().query(MetricsFilter().with_namespace("newswire"))["counters"]
    return {c.key.metric.name.removeprefix("t_"): c.committed for c in counters}


def test_an_outage_within_the_wait_is_waited_out(flaky_node: LocalNode) -> None:
    connection = EsConnection(flaky_node.url)
    client: Elasticsearch = connection.client()
    index, history = "outage-articles", "outage-history"
    for alias in (index, history):
        drop_index(connection, alias)
    ensure_index(client, index, ARTICLE_MAPPING)
    ensure_index(client, history, HISTORY_MAPPING)
    first_bulks = bulk_requests(client) + 2
    outage: dict[str, float] = {}

    def stop_then_start() -> None:
        while bulk_requests(client) < first_bulks:
            time.sleep(0.05)
        flaky_node.stop(say=lambda _: None)
        outage["down"] = time.monotonic()
        time.sleep(5)
        flaky_node.start(say=lambda _: None)
        outage["up"] = time.monotonic()

    outages = threading.Thread(target=stop_then_start)
    outages.start()
    try:
        counts = run_sink(connection, index, BulkSettings(
            max_docs=100, retry=RetryPolicy(max_backoff=2, outage_wait=60)), history)
    finally:
        outages.join()
    finished = time.monotonic()
    client = connection.client()  # the old one's node pool marked the node dead
    client.indices.refresh(index=index)
    stored = client.count(index=index)["count"]
    client.close()
    assert outage["up"] - outage["down"] >= 5 and finished > outage["up"]
    assert stored == DOCS  # nothing lost, nothing twice (fixed ids)
    assert "rejected" not in counts
    # a batch the node applied as it went down is answered 409 when resent: unchanged
    assert counts.get("created", 0) + counts.get("unchanged", 0) == DOCS
    assert counts.get("retried", 0) > 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_past_the_wait_the_job_stops_with_one_line() -> None:
    nowhere = EsConnection(f"http://127.0.0.1:{free_port()}")
    started = time.monotonic()
    with pytest.raises(ClusterUnavailable) as stopped:
        run_sink(nowhere, "articles", BulkSettings(retry=RetryPolicy(
            backoff=0.2, max_backoff=0.5, outage_wait=2)))
    assert 2 <= time.monotonic() - started < 30
    message = str(stopped.value)
    assert "\n" not in message
    assert message.startswith(f"Elasticsearch at {nowhere.address} has not answered for 2 s")


def newswire(*argv: str) -> subprocess.CompletedProcess[str]:
    """The `newswire` command run in a process of its own, so that its stderr is all and only
    what a user would see."""
    command = Path(sys.executable).with_name("newswire")  # the installed entry point
    return subprocess.run([str(command), *argv], capture_output=True, text=True, timeout=300)


def test_a_run_whose_node_stays_away_ends_with_one_line(tmp_path: Path, es_node: LocalNode
                                                        ) -> None:
    # The node vanishes (behind a proxy) at the run's first bulk request and never returns.
    proxy = VanishingProxy(es_node.port, vanish_on=b"/_bulk")
    index = f"test-gone-{uuid.uuid4().hex[:8]}"
    site = write_site(tmp_path, {f"s{i}": "2026-11-30T10:00:00Z" for i in range(3)})
    try:
        with SeedServer(site) as server:
            run = newswire("run", "--feeds", server.url("feed.xml"), "--es-url", proxy.url,
                           "--index", index, "--dead-letter-index", f"{index}-dead",
                           "--history-index", f"{index}-history", "--es-outage-wait", "2",
                           "--allow-private-addresses")
    finally:
        drop_job_aliases(EsConnection(es_node.url), index)
    assert proxy.vanished.is_set()
    assert run.returncode == 1
    assert "entries seen" not in run.stdout  # no summary of a run that did not finish
    # One line, ours: Beam's traceback of the failed bundle used to come first (issue 20, 10).
    [line] = run.stderr.strip().splitlines()
    assert line.startswith(f"newswire: Elasticsearch at {proxy.url} has not answered for")
    assert line.endswith("(--es-outage-wait 2); stopping")
