"""WriteToElasticsearch and the index layout, against the real node."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from elasticsearch import Elasticsearch

from schemas.index import ARTICLE_MAPPING, DEAD_LETTER_MAPPING, ensure_index
from transforms.es_client import EsConnection
from transforms.es_sink import Document, WriteToElasticsearch
from transforms.records import DeadLetter

pytestmark = pytest.mark.es


def write(connection: EsConnection, index: str, documents: list[Document]
          ) -> tuple[list[DeadLetter], dict[str, int]]:
    """Runs the sink over `documents`; returns its dead letters and its counters."""
    with tempfile.TemporaryDirectory() as out:
        pipeline = beam.Pipeline(runner=FnApiRunner())
        _ = (pipeline
             | beam.Create(documents)
             | WriteToElasticsearch(connection, index, "t")
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


def test_ensure_index_creates_template_alias_and_versioned_index(
        es_client: Elasticsearch, index_name: str) -> None:
    concrete = ensure_index(es_client, index_name, ARTICLE_MAPPING)
    assert concrete == f"{index_name}-v1"
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


def test_rejected_dead_letters_are_counted_not_looped(
        es_client: Elasticsearch, es_connection: EsConnection, index_name: str) -> None:
    ensure_index(es_client, index_name, DEAD_LETTER_MAPPING)
    broken = Document(id="x", source={"stage": "fetch", "at": "not a date"}, is_entry=False)
    letters, counts = write(es_connection, index_name, [broken])
    assert letters == []
    assert counts.get("rejected") == 1
