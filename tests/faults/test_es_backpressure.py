"""Defect (issue 20, 4): Elasticsearch's backpressure was not waited out. With every bulk
request answered 429 for 20 s the run crashed with tracebacks and indexed nothing; with each
item answered 429 it ended with exit 0 and every article an `index` dead letter, after about
7.5 s of retries. Now a 429, whole or per item, is backed off (growing waits with jitter) for
as long as `--es-outage-wait` allows, and past that the run stops with one line.

A proxy in front of the real node answers the bulk requests 429 for longer than the old retry
budget (7.5 s), then lets them through.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from newswire.pipeline.services.elasticsearch import LocalNode
from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.index.client import EsConnection
from tests.faults.es_proxy import ThrottlingProxy
from tests.faults.site import write_site
from tests.faults.test_es_outage import newswire

pytestmark = [pytest.mark.es, pytest.mark.slow, pytest.mark.timeout(240)]
OVERLOAD = 10.0  # seconds of 429s: more than the old retry budget
STORIES = 3


def options(aliases: dict[str, str]) -> list[str]:
    return ["--index", aliases["index"], "--dead-letter-index", aliases["dead_letter_index"],
            "--history-index", aliases["history_index"]]


def count(connection: EsConnection, alias: str) -> int:
    with connection.session() as client:
        client.indices.refresh(index=alias)
        return int(client.count(index=alias)["count"])


@pytest.mark.parametrize("per_item", [False, True], ids=["whole-requests", "items"])
def test_429s_for_longer_than_the_retries_are_waited_out(
        tmp_path: Path, es_node: LocalNode, es_connection: EsConnection,
        aliases: dict[str, str], per_item: bool) -> None:
    proxy = ThrottlingProxy(es_node.port, seconds=OVERLOAD, per_item=per_item)
    site = write_site(tmp_path, {f"s{i}": "2026-11-30T10:00:00Z" for i in range(STORIES)})
    try:
        with SeedServer(site) as server:
            run = newswire("run", "--feeds", server.url("feed.xml"), "--es-url", proxy.url,
                           *options(aliases), "--allow-private-addresses")
        finished = time.monotonic()
    finally:
        proxy.close()
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert proxy.throttled >= 3  # backed off, several times
    assert proxy.first_bulk is not None and finished - proxy.first_bulk >= OVERLOAD
    assert count(es_connection, aliases["index"]) == STORIES
    assert count(es_connection, aliases["dead_letter_index"]) == 0


def test_429s_past_the_outage_wait_stop_the_run_with_one_line(
        tmp_path: Path, es_node: LocalNode, aliases: dict[str, str]) -> None:
    proxy = ThrottlingProxy(es_node.port, seconds=None, per_item=True)
    site = write_site(tmp_path, {f"s{i}": "2026-11-30T10:00:00Z" for i in range(STORIES)})
    try:
        with SeedServer(site) as server:
            run = newswire("run", "--feeds", server.url("feed.xml"), "--es-url", proxy.url,
                           *options(aliases), "--es-outage-wait", "3",
                           "--allow-private-addresses")
    finally:
        proxy.close()
    assert run.returncode == 1
    assert "entries seen" not in run.stdout  # no summary of a run that did not finish
    assert proxy.first_bulk is not None and proxy.last_throttled is not None
    assert proxy.last_throttled - proxy.first_bulk >= 3  # waited the whole --es-outage-wait
    [line] = run.stderr.strip().splitlines()  # no traceback before it
    assert line.startswith(f"newswire: Elasticsearch at {proxy.url} has ")  # as for an outage
    assert line.endswith("(--es-outage-wait 3); stopping")
