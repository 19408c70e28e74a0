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

from newswire.pipeline import cli
from newswire.pipeline.services.elasticsearch import LocalNode
from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.index.client import EsConnection
from tests.faults.es_proxy import ThrottlingProxy
from tests.faults.site import write_site

pytestmark = [pytest.mark.es, pytest.mark.timeout(240)]
OVERLOAD = 10.0  # seconds of 429s: more than the old retry budget
STORIES = 3


def run(tmp_path: Path, proxy: ThrottlingProxy, aliases: dict[str, str],
        outage_wait: float) -> int:
    site = write_site(tmp_path, {f"s{i}": "2026-11-30T10:00:00Z" for i in range(STORIES)})
    with SeedServer(site) as server:
        return cli.main(["run", "--feeds", server.url("feed.xml"), "--es-url", proxy.url,
                         "--index", aliases["index"],
                         "--dead-letter-index", aliases["dead_letter_index"],
                         "--history-index", aliases["history_index"],
                         "--es-outage-wait", f"{outage_wait:g}", "--allow-private-addresses"])


def count(connection: EsConnection, alias: str) -> int:
    with connection.session() as client:
        client.indices.refresh(index=alias)
        return int(client.count(index=alias)["count"])


@pytest.mark.parametrize("per_item", [False, True], ids=["whole-requests", "items"])
def test_429s_for_longer_than_the_retries_are_waited_out(
        tmp_path: Path, es_node: LocalNode, es_connection: EsConnection,
        aliases: dict[str, str], per_item: bool, capfd: pytest.CaptureFixture) -> None:
    proxy = ThrottlingProxy(es_node.port, seconds=OVERLOAD, per_item=per_item)
    try:
        code = run(tmp_path, proxy, aliases, outage_wait=120)
        finished = time.monotonic()
    finally:
        proxy.close()
    out, err = capfd.readouterr()
    assert code == 0, err
    assert "Traceback" not in out + err
    assert proxy.throttled >= 3  # backed off, several times
    assert proxy.first_bulk is not None and finished - proxy.first_bulk >= OVERLOAD
    assert count(es_connection, aliases["index"]) == STORIES
    assert count(es_connection, aliases["dead_letter_index"]) == 0


def test_429s_past_the_outage_wait_stop_the_run_with_one_line(
        tmp_path: Path, es_node: LocalNode, aliases: dict[str, str],
        capfd: pytest.CaptureFixture) -> None:
    proxy = ThrottlingProxy(es_node.port, seconds=None, per_item=True)
    try:
        code = run(tmp_path, proxy, aliases, outage_wait=3)
    finally:
        proxy.close()
    out, err = capfd.readouterr()
    assert code == 1
    assert "entries seen" not in out  # no summary of a run that did not finish
    assert proxy.first_bulk is not None and proxy.last_throttled is not None
    assert proxy.last_throttled - proxy.first_bulk >= 3  # waited the whole --es-outage-wait
    [line] = err.strip().splitlines()  # no traceback before it
    assert line.startswith(f"newswire: Elasticsearch at {proxy.url} has answered 429 (too many "
                           "requests) for ")
    assert line.endswith("(--es-outage-wait 3); stopping")
