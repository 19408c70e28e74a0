"""Streaming on Prism: a new entry in a served feed is searchable within the poll interval + 5 s."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from elasticsearch import Elasticsearch

from newswire.pipeline.job import lifecycle
from newswire.pipeline.job.summary import summarize
from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.index.client import EsConnection
from tests.conftest import drop_index

pytestmark = [pytest.mark.es, pytest.mark.timeout(600),
              # cancelling must stop the in-process workers before the job server goes
              pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")]
POLL_SECONDS = 2.0
FEED = "reuters/rss/world.xml"
NEW_PAGE = "harbor-gazette/local/pier-9-fish-market-reopens-after-renovation.html"
NEW_ITEM = f"""<item><title>Pier 9 fish market reopens</title>
<link>{{{{BASE_URL}}}}/{NEW_PAGE}</link><guid>pier-9-reopens</guid>
<pubDate>Mon, 23 Nov 2026 18:00:00 GMT</pubDate></item>
</channel>"""


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds until `condition` held; fails the test after `timeout`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.2)
    return time.monotonic() - started


def doc_count(client: Elasticsearch, index: str) -> int:
    """Documents in `index`; -1 until the index exists (it appears with the first write)."""
    try:
        return client.count(index=index)["count"]
    except Exception:
        return -1


def test_new_entries_are_searchable_within_the_poll_interval(
        es_connection: EsConnection, corpus: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    feed_file = overlay / FEED
    feed_file.parent.mkdir(parents=True)
    original = (corpus / FEED).read_text()
    feed_file.write_text(original)
    index = f"test-stream-{uuid.uuid4().hex[:8]}"
    client = es_connection.client()

    def count() -> int:
        return doc_count(client, index)

    with ExitStack() as resources:
        server = resources.enter_context(SeedServer(corpus))
        server.add_overlay(overlay)
        options = PipelineOptions(
            ["--streaming"], feeds=[server.url(FEED)], es_url=es_connection.url, index=index,
            dead_letter_index=f"{index}-dead", history_index=f"{index}-history",
            allow_private_addresses=True,
            poll_interval=POLL_SECONDS, max_poll_interval=POLL_SECONDS)
        result = lifecycle.start(options, resources, say=print)
        try:
            wait_for(lambda: count() == 1, 180, "the first poll's article being indexed")
            time.sleep(2 * POLL_SECONDS)  # later polls of the unchanged feed add nothing
            assert count() == 1

            feed_file.write_text(original.replace("</channel>", NEW_ITEM))
            latency = wait_for(lambda: count() == 2, POLL_SECONDS + 5, "the new entry")
            print(f"new entry searchable after {latency:.2f} s (poll interval {POLL_SECONDS} s)")
            hit = client.search(index=index, query={"match": {"title": "Pier"}})["hits"]
            assert hit["total"]["value"] == 1
            # the sink's metrics arrive when its bundle is done, a moment after the write shows
            wait_for(lambda: summarize(result).created == 2, 10, "the metrics counting it")
            summary = summarize(result)
        finally:
            lifecycle.cancel(result)
    client.close()
    drop_index(es_connection, index)
    drop_index(es_connection, f"{index}-dead")
    drop_index(es_connection, f"{index}-history")
    assert summary.feeds_polled >= 3
    assert summary.feeds_not_modified >= 1
    assert summary.entries_seen == 2
    assert summary.created == 2
    assert summary.balanced
