"""Streaming on Prism: a new entry in a served feed is searchable within the poll interval + 5 s;
a job restarted without `--update` takes up where the crawl state says the first one was."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from elasticsearch import Elasticsearch

from newswire.pipeline.job import lifecycle
from newswire.pipeline.services.seed_server import SeedServer
from newswire.schemas.article import document_id
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import article_mapping_for, ensure_index
from newswire.transforms.sources.state import entry_id, source_id
from tests.conftest import drop_job_aliases, job_aliases
from tests.faults.site import COPY, PARAGRAPHS, write_outlet
from tests.loopback import CountingServer, Request

pytestmark = [pytest.mark.es, pytest.mark.slow, pytest.mark.timeout(600),
              # cancelling must stop the in-process workers before the job server goes
              pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")]
POLL_SECONDS = 2.0
FEED = "reuters/rss/world.xml"
NEW_PAGE = "harbor-gazette/local/pier-9-fish-market-reopens-after-renovation.html"
NEW_ITEM = f"""<item><title>Pier 9 fish market reopens</title>
<link>{{{{BASE_URL}}}}/{NEW_PAGE}</link><guid>pier-9-reopens</guid>
<pubDate>Mon, 23 Nov 2026 18:00:00 GMT</pubDate></item>
</channel>"""


def wait_for(condition: Callable[[], bool], timeout: float, what: str,
             situation: Callable[[], str] = lambda: "") -> float:
    """Seconds until `condition` held; fails the test after `timeout`, saying what did not
    happen and `situation()`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"{what} did not happen within {timeout:.0f} s {situation()}".rstrip())
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
            ["--streaming"], feeds=[server.url(FEED)], es_url=es_connection.url,
            allow_private_addresses=True, **job_aliases(index),
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
            wait_for(lambda: lifecycle.current_summary(result).created == 2, 10,
                     "the metrics counting it")
            summary = lifecycle.current_summary(result)
        finally:
            lifecycle.cancel(result)
    client.close()
    drop_job_aliases(es_connection, index)
    assert summary.feeds_polled >= 3
    assert summary.feeds_not_modified >= 1
    assert summary.entries_seen == 2
    assert summary.created == 2
    assert summary.balanced


def write_wire(root: Path) -> Path:
    """The wire's outlet: a feed listing its story."""
    return write_outlet(root, "Wire", "Ship drifts across harbour channel",
                        "2026-11-20T08:00:00Z", PARAGRAPHS)


def write_courier(root: Path) -> Path:
    """The courier's outlet: a feed listing its copy of the wire's story, three hours later."""
    return write_outlet(root, "Courier", "Harbour channel shut after ship loses power",
                        "2026-11-20T11:00:00Z", COPY)


def entry_record(client: Elasticsearch, state: str, server: CountingServer) -> dict[str, Any]:
    """The crawl state's record of the server's story entry; empty until there is one."""
    client.indices.refresh(index=state)
    found = client.options(ignore_status=404).get(
        index=state, id=entry_id(server.url("story.html"))).body
    return found.get("_source", {})


RESTART_INTERVAL = 20.0  # a restarted job is up well within it, so its schedule shows


def test_a_restarted_job_takes_up_its_schedule_and_validators_from_the_state(
        es_connection: EsConnection, es_client: Elasticsearch, aliases: dict[str, str],
        tmp_path: Path) -> None:
    """Stopped and started again without `--update` (so with no Beam state), a job asks each
    feed when the crawl state says it is due, conditionally, fetches no page the first job
    fetched, and links a copy published meanwhile to the story the first job indexed."""
    wire_root = write_wire(tmp_path / "wire")
    courier_root = tmp_path / "courier"
    courier_root.mkdir()  # the copy's outlet lists nothing yet
    (courier_root / "feed.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Courier</title>'
        "<link>https://courier.example/</link></channel></rss>")
    with CountingServer(wire_root) as wire, CountingServer(courier_root) as courier:
        first, copy = document_id(wire.url("story.html")), document_id(courier.url("story.html"))
        feeds = tmp_path / "feeds.txt"  # a list, so the feeds themselves are asked by the job
        feeds.write_text(f"{wire.url('feed.xml')}\n{courier.url('feed.xml')}\n")
        options = PipelineOptions(["--streaming"], feeds=[str(feeds)], es_url=es_connection.url,
                                  allow_private_addresses=True, **aliases, poll_interval=1.0,
                                  max_poll_interval=RESTART_INTERVAL)
        state = aliases["state_index"]

        with ExitStack() as resources:
            result = lifecycle.start(options, resources, say=print)
            try:
                # the entry's record comes a moment after its article is written
                wait_for(lambda: doc_count(es_client, aliases["index"]) == 1
                         and "fetched_at" in entry_record(es_client, state, wire),
                         180, "the first job's article and its entry record")
            finally:
                lifecycle.cancel(result)
        source = es_client.get(index=state, id=source_id(wire.url("feed.xml")))["_source"]
        assert source["etag"] and source["next_poll"] > time.time()
        write_courier(courier_root)
        asked_before = {server: len(server.requests) for server in (wire, courier)}

        def polls(server: CountingServer) -> list[Request]:
            """The restarted job's requests of the server's feed."""
            return [request for request in server.requests[asked_before[server]:]
                    if request.path == "/feed.xml"]

        with ExitStack() as resources:
            result = lifecycle.start(options, resources, say=print)
            try:
                wait_for(lambda: doc_count(es_client, aliases["index"]) == 2
                         and bool(polls(wire)),
                         RESTART_INTERVAL + 120, "the restarted job's polls and the copy")
            finally:
                lifecycle.cancel(result)

    # conditional, with the validators the first job left, and not before the state said
    assert polls(wire)[0].if_none_match == source["etag"]
    assert polls(wire)[0].at >= source["next_poll"] - 0.1  # ticks may be a tenth of one early
    assert wire.pages_asked() == Counter({"/story.html": 1})
    assert courier.pages_asked() == Counter({"/story.html": 1})
    assert polls(courier)[0].if_none_match  # its feed too, though it changed (a 200)
    es_client.indices.refresh(index=aliases["index"])
    stored = es_client.get(index=aliases["index"], id=copy)["_source"]
    assert (stored["duplicate_of"], stored["cluster_id"]) == (first, first)


def test_an_entry_whose_article_was_not_written_is_left_for_the_next_job(
        es_connection: EsConnection, es_client: Elasticsearch, aliases: dict[str, str],
        tmp_path: Path) -> None:
    """A streaming job records an entry as fetched only on the sink's answer for its article:
    with the article index refusing writes, the article is a dead letter and its entry stays
    unrecorded, so the next job fetches the page again, indexes it and records the entry."""
    root = write_wire(tmp_path / "wire")
    concrete = ensure_index(es_client, aliases["index"], article_mapping_for(es_client))
    es_client.indices.put_settings(index=concrete, settings={"index.blocks.write": True})
    with CountingServer(root) as wire:
        options = PipelineOptions(["--streaming"], feeds=[wire.url("feed.xml")],
                                  es_url=es_connection.url, allow_private_addresses=True,
                                  **aliases, poll_interval=1.0, max_poll_interval=1.0)
        state = aliases["state_index"]

        def record() -> dict[str, Any]:
            return entry_record(es_client, state, wire)

        with ExitStack() as resources:
            result = lifecycle.start(options, resources, say=print)
            try:
                wait_for(lambda: doc_count(es_client, aliases["dead_letter_index"]) == 1,
                         180, "the refused article's dead letter")
                time.sleep(2.0)  # a record written beside the article would be in by now
            finally:
                lifecycle.cancel(result)
        assert record()["link"] and "fetched_at" not in record()  # listed, not fetched
        assert doc_count(es_client, aliases["index"]) == 0

        es_client.indices.put_settings(index=concrete, settings={"index.blocks.write": False})
        with ExitStack() as resources:
            result = lifecycle.start(options, resources, say=print)
            try:
                wait_for(lambda: doc_count(es_client, aliases["index"]) == 1
                         and "fetched_at" in record(), 180, "the article and its record")
            finally:
                lifecycle.cancel(result)
        assert wire.pages_asked() == Counter({"/story.html": 2})
    assert record()["article_id"] == document_id(wire.url("story.html"))


def test_a_copy_dropped_as_a_near_duplicate_has_its_entry_recorded(
        es_connection: EsConnection, es_client: Elasticsearch, aliases: dict[str, str],
        tmp_path: Path) -> None:
    """With `--drop-near-duplicates` a copy of an indexed story never reaches the sink; its
    entry is recorded as fetched on its drop all the same, so no later job fetches it again."""
    wire_root = write_wire(tmp_path / "wire")
    courier_root = write_courier(tmp_path / "courier")
    with CountingServer(wire_root) as wire, CountingServer(courier_root) as courier:
        settings = {"es_url": es_connection.url, "allow_private_addresses": True, **aliases,
                    "drop_near_duplicates": True}
        # a batch run indexes the wire story first
        with ExitStack() as batch:  # closing it stops the batch run's progress thread
            lifecycle.start(PipelineOptions([], feeds=[wire.url("feed.xml")], **settings),
                            batch, say=print).wait_until_finish()
        state = aliases["state_index"]

        def record(server: CountingServer) -> dict[str, Any]:
            return entry_record(es_client, state, server)

        assert "fetched_at" in record(wire)
        options = PipelineOptions(["--streaming"], feeds=[courier.url("feed.xml")], **settings,
                                  poll_interval=1.0, max_poll_interval=1.0)
        with ExitStack() as resources:
            result = lifecycle.start(options, resources, say=print)
            try:
                wait_for(lambda: "fetched_at" in record(courier), 120, "the dropped copy's record")
            finally:
                lifecycle.cancel(result)
        assert courier.pages_asked() == Counter({"/story.html": 1})
    assert record(courier)["article_id"] == document_id(courier.url("story.html"))
    es_client.indices.refresh(index=aliases["index"])
    assert doc_count(es_client, aliases["index"]) == 1


def test_copies_found_in_one_job_are_linked_to_the_first_published(
        es_connection: EsConnection, es_client: Elasticsearch, aliases: dict[str, str],
        tmp_path: Path) -> None:
    """Two outlets' copies of a story, found at the same tick, are linked within the job: the
    later-published one to the earlier, whichever reaches the bands first."""
    wire_root = write_wire(tmp_path / "wire")
    courier_root = write_courier(tmp_path / "courier")
    with CountingServer(wire_root) as wire, CountingServer(courier_root) as courier:
        first, copy = document_id(wire.url("story.html")), document_id(courier.url("story.html"))
        options = PipelineOptions(["--streaming"], feeds=[wire.url("feed.xml"),
                                                          courier.url("feed.xml")],
                                  es_url=es_connection.url, allow_private_addresses=True,
                                  **aliases, poll_interval=1.0, max_poll_interval=1.0)
        with ExitStack() as resources:
            result = lifecycle.start(options, resources, say=print)
            try:
                wait_for(lambda: doc_count(es_client, aliases["index"]) == 2, 120,
                         "both copies indexed")
            finally:
                lifecycle.cancel(result)
    es_client.indices.refresh(index=aliases["index"])
    stored = {hit["_id"]: hit["_source"] for hit in es_client.search(
        index=aliases["index"])["hits"]["hits"]}
    assert (stored[copy]["duplicate_of"], stored[copy]["cluster_id"]) == (first, first)
    assert (stored[first]["duplicate_of"], stored[first]["cluster_id"]) == (None, first)
