"""WriteToElasticsearch and the index layout, against the real node."""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from elasticsearch import Elasticsearch

from newswire.pipeline.services.elasticsearch import LocalNode
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import ARTICLE_MAPPING, DEAD_LETTER_MAPPING, ensure_index
from newswire.transforms.index.sink import (
    BulkSettings,
    Document,
    WriteAndPassOn,
    WriteToElasticsearch,
)
from newswire.transforms.records import DeadLetter

pytestmark = pytest.mark.es


def write(connection: EsConnection, index: str, documents: list[Document],
          settings: BulkSettings | None = None, **sink: Any
          ) -> tuple[list[DeadLetter], dict[str, int]]:
    """Runs the sink (with `sink`'s further arguments) over `documents`; returns its dead
    letters and its counters."""
    with tempfile.TemporaryDirectory() as out:
        pipeline = beam.Pipeline(runner=FnApiRunner())
        _ = (pipeline
             | beam.Create(documents)
             | WriteToElasticsearch(connection, index, "t", settings or BulkSettings(), **sink)
             | beam.Map(lambda letter: json.dumps(letter.to_dict()))
             | beam.io.WriteToText(f"{out}/dead"))
        result = pipeline.run()
        result.wait_until_finish()
        letters = [DeadLetter(**{**json.loads(line), "at": None})
                   for path in Path(out).glob("dead*") for line in path.read_text().splitlines()]
    counters = result.metrics().query(MetricsFilter().with_namespace("newswire"))["counters"]
    return letters, {c.key.metric.name.removeprefix("t_"): c.committed for c in counters}


def doc(id: str, title: str, version: int, **extra: object) -> Document:
    return Document(id=id, source={"id": id, "url": f"https://a.example/{id}", "title": title,
                                   **extra}, version=version)


def test_ensure_index_creates_template_alias_and_first_piece(
        es_client: Elasticsearch, index_name: str) -> None:
    concrete = ensure_index(es_client, index_name, ARTICLE_MAPPING)
    assert concrete == f"{index_name}-v1-000001"
    assert ensure_index(es_client, index_name, ARTICLE_MAPPING) == concrete  # idempotent
    alias = es_client.indices.get_alias(name=index_name).body
    assert alias[concrete]["aliases"][index_name]["is_write_index"] is True
    mapping = es_client.indices.get_mapping(index=concrete).body[concrete]["mappings"]
    assert mapping["properties"]["published_at"]["type"] == "date"
    assert mapping["properties"]["title"]["fields"]["keyword"]["type"] == "keyword"


def test_versions_are_idempotent_and_never_go_back(
        es_client: Elasticsearch, es_connection: EsConnection, index_name: str) -> None:
    ensure_index(es_client, index_name, ARTICLE_MAPPING)
    letters, counts = write(es_connection, index_name, [doc("a", "first", 1), doc("b", "b", 1)])
    assert (letters, counts.get("created")) == ([], 2)

    letters, counts = write(es_connection, index_name, [
        doc("a", "second", 2),        # newer: replaces
        doc("b", "stale", 0),         # older: must not replace
        doc("b", "b", 1),             # the same version again: unchanged, not an error
    ])
    assert letters == []
    assert counts.get("updated") == 1
    assert counts.get("unchanged") == 2
    assert es_client.get(index=index_name, id="a")["_source"]["title"] == "second"
    assert es_client.get(index=index_name, id="b")["_source"]["title"] == "b"


def passed_on(connection: EsConnection, index: str, documents: list[Document],
              **options: Any) -> tuple[list[str], dict[str, int]]:
    """What WriteAndPassOn passes on of `documents` (written in this order), as "id version
    piece" lines, and its counters."""
    with tempfile.TemporaryDirectory() as out:
        pipeline = beam.Pipeline(runner=FnApiRunner())
        written = (pipeline
                   | beam.Create(documents, reshuffle=False)
                   | WriteAndPassOn(connection, index, "t", **options))
        _ = (written.written
             | beam.MapTuple(lambda document, where: f"{document.id} {document.version} {where}")
             | beam.io.WriteToText(f"{out}/written"))
        result = pipeline.run()
        result.wait_until_finish()
        passed = sorted(line for path in Path(out).glob("written*")
                        for line in path.read_text().splitlines())
    counters = {c.key.metric.name: c.committed for c in result.metrics().query(
        MetricsFilter().with_namespace("newswire"))["counters"]}
    return passed, counters


def test_a_repeat_within_the_run_is_a_duplicate_and_what_was_taken_is_passed_on(
        es_client: Elasticsearch, es_connection: EsConnection, index_name: str) -> None:
    piece = ensure_index(es_client, index_name, ARTICLE_MAPPING)
    write(es_connection, index_name, [doc("old", "from an earlier run", 1)])
    passed, counters = passed_on(
        es_connection, index_name,
        [doc("a", "first", 1), doc("a", "first", 1), doc("a", "v2", 2), doc("a", "older", 0),
         doc("old", "from an earlier run", 1)], repeats_are_duplicates=True)
    # the same version twice and an older one: repeats; the earlier run's article: unchanged
    assert (counters.get("t_created"), counters.get("t_updated"),
            counters.get("duplicates_dropped"), counters.get("t_unchanged")) == (1, 1, 2, 1)
    assert passed == [f"a 1 {piece}", f"a 2 {piece}"]
    assert es_client.get(index=index_name, id="a")["_source"]["title"] == "v2"


def test_with_unchanged_what_the_index_already_held_is_passed_on_too(
        es_client: Elasticsearch, es_connection: EsConnection, index_name: str) -> None:
    """As a streaming job's entry records need: an article the index holds is in, whoever
    wrote it; a rejected one is not."""
    piece = ensure_index(es_client, index_name, ARTICLE_MAPPING)
    write(es_connection, index_name, [doc("old", "from an earlier run", 2)])
    passed, counters = passed_on(
        es_connection, index_name,
        [doc("new", "new", 1), doc("old", "from an earlier run", 1),
         doc("bad", "has a field the strict mapping refuses", 1, surprise="!")],
        unchanged=True)
    assert (counters.get("t_created"), counters.get("t_unchanged"),
            counters.get("t_rejected")) == (1, 1, 1)
    assert passed == [f"new 1 {piece}", f"old 1 {piece}"]


def test_mapping_rejections_become_dead_letters_and_the_batch_goes_on(
        es_client: Elasticsearch, es_connection: EsConnection, index_name: str) -> None:
    ensure_index(es_client, index_name, ARTICLE_MAPPING)
    letters, counts = write(es_connection, index_name, [
        doc("ok", "fine", 1),
        doc("bad", "has a field the strict mapping refuses", 1, surprise="!"),
        doc("worse", "a date that is not one", 1, published_at="yesterday-ish"),
    ])
    assert counts.get("created") == 1
    assert counts.get("rejected") == 2
    reasons = {letter.url: letter.reason for letter in letters}
    assert "strict_dynamic_mapping_exception" in reasons["https://a.example/bad"]
    assert "document_parsing_exception" in reasons["https://a.example/worse"]
    assert all(letter.stage == "index" and letter.unit == "entry" for letter in letters)
    assert '"surprise": "!"' in next(x.input for x in letters if x.url.endswith("/bad"))


def test_every_batch_written_while_the_next_fills_is_counted(
        es_client: Elasticsearch, es_connection: EsConnection, index_name: str) -> None:
    ensure_index(es_client, index_name, ARTICLE_MAPPING)
    for in_flight in (1, 3):
        documents = [doc(f"{in_flight}-{i}", "t", 1, **({"surprise": i} if i % 3 == 0 else {}))
                     for i in range(10)]
        letters, counts = write(es_connection, index_name, documents,
                                BulkSettings(max_docs=2, max_in_flight=in_flight))
        assert (counts.get("created"), counts.get("rejected")) == (6, 4)
        assert sorted(letter.url for letter in letters) == [
            f"https://a.example/{in_flight}-{i}" for i in (0, 3, 6, 9)]


def test_rejected_dead_letters_are_counted_not_looped(
        es_client: Elasticsearch, es_connection: EsConnection, index_name: str) -> None:
    ensure_index(es_client, index_name, DEAD_LETTER_MAPPING)
    broken = Document(id="x", source={"stage": "fetch", "at": "not a date"}, is_entry=False)
    letters, counts = write(es_connection, index_name, [broken])
    assert letters == []
    assert counts.get("rejected") == 1


# Transient failures of the real node. Each test lifts the failure only once the node has seen
# the sink's bulk requests fail (counted by the node's own REST usage), so no timing is assumed.


def bulk_requests(client: Elasticsearch) -> int:
    usage = next(iter(client.nodes.usage()["nodes"].values()))
    return usage["rest_actions"].get("bulk_action", 0)


@contextmanager
def lifted_after(client: Elasticsearch, requests: int, lift: Callable[[], object]
                 ) -> Iterator[None]:
    """Runs `lift` in the background once `requests` more bulk requests have reached the node."""
    target = bulk_requests(client) + requests

    def watch() -> None:
        deadline = time.monotonic() + 60
        while bulk_requests(client) < target and time.monotonic() < deadline:
            time.sleep(0.05)
        lift()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield
    finally:
        watcher.join()


def test_a_flood_stage_block_is_retried_until_it_lifts(
        es_client: Elasticsearch, es_connection: EsConnection, index_name: str) -> None:
    # The disk flood-stage watermark puts this block on an index; bulk items then fail with 429.
    concrete = ensure_index(es_client, index_name, ARTICLE_MAPPING)
    block = "index.blocks.read_only_allow_delete"
    es_client.indices.put_settings(index=concrete, settings={block: True})
    documents = [doc(f"d{i}", "t", 1) for i in range(5)]
    with lifted_after(es_client, 1, lambda: es_client.indices.put_settings(
            index=concrete, settings={block: None})):
        letters, counts = write(es_connection, index_name, documents)
    assert letters == []
    assert counts.get("created") == 5
    assert counts.get("retried", 0) >= 5
    assert "rejected" not in counts


def test_a_socket_timeout_is_retried_and_the_resent_ids_do_no_harm(
        es_client: Elasticsearch, es_node: LocalNode, index_name: str) -> None:
    # A primary that cannot be allocated makes the node hold the bulk request (up to a minute);
    # the client gives up after 1 s (it does not retry itself) and the sink waits it out.
    index = f"{index_name}-v1"  # a name the fixture's cleanup removes
    es_client.indices.create(index=index, wait_for_active_shards="0", settings={
        "number_of_replicas": 0, "index.routing.allocation.require._name": "nowhere"})
    documents = [doc(f"d{i}", "t", 1) for i in range(3)]
    with lifted_after(es_client, 4, lambda: es_client.indices.put_settings(
            index=index, settings={"index.routing.allocation.require._name": None})):
        letters, counts = write(EsConnection(es_node.url, request_timeout=1.0), index,
                                documents)
    assert letters == []
    assert counts.get("retried", 0) >= 3
    # The held requests run once the shard is up, so the retry may find its ids written already.
    assert counts.get("created", 0) + counts.get("unchanged", 0) == 3
    es_client.indices.refresh(index=index)
    assert es_client.count(index=index)["count"] == 3
