"""Near-duplicates across runs on the real node: a copy ingested by a later run is linked to the
first copy exactly as when both come in one run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from elasticsearch import Elasticsearch

from newswire.pipeline.job import lifecycle
from newswire.pipeline.job.summary import Summary
from newswire.pipeline.services.seed_server import SeedServer
from newswire.schemas.article import document_id
from newswire.transforms.duplicates.memory import IndexedCopies, LinkWritten
from newswire.transforms.duplicates.near import band_shape, unlinked, with_bands
from newswire.transforms.duplicates.settings import DEFAULT_THRESHOLD
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import ARTICLE_MAPPING, ensure_index, indexed_article
from newswire.transforms.index.sink import Document
from tests.conftest import drop_job_aliases, job_aliases
from tests.faults.site import COPY, PARAGRAPHS, write_outlet
from tests.transforms.duplicates.test_near import (
    OTHER_STORY,
    STORY,
    article,
    corpus_article,
    lightly_edited,
)

pytestmark = pytest.mark.es


@pytest.fixture
def outlets(tmp_path: Path) -> Iterator[tuple[str, str, str, str]]:
    """Each outlet's feed URL, then each story's id: its page's own URL, since the canonical
    URL it names is on another site than the loopback server."""
    wire = write_outlet(tmp_path / "wire", "Wire", "Ship drifts across harbour channel",
                        "2026-11-20T08:00:00Z", PARAGRAPHS)
    courier = write_outlet(tmp_path / "courier", "Courier", "Harbour channel shut after ship "
                           "loses power", "2026-11-20T11:00:00Z", COPY)
    with SeedServer(wire) as first, SeedServer(courier) as second:
        yield (first.url("feed.xml"), second.url("feed.xml"),
               document_id(first.url("story.html")), document_id(second.url("story.html")))


def ingest(feeds: list[str], connection: EsConnection, aliases: dict[str, str]) -> Summary:
    return lifecycle.run(PipelineOptions(feeds=feeds, es_url=connection.url,
                                         allow_private_addresses=True, **aliases),
                         say=lambda _: None)


def links(client: Elasticsearch, index: str) -> dict[str, tuple[str | None, str | None]]:
    client.indices.refresh(index=index)
    return {hit["_id"]: (hit["_source"]["cluster_id"], hit["_source"]["duplicate_of"])
            for hit in client.search(index=index)["hits"]["hits"]}


def test_a_copy_in_a_later_run_is_linked_as_in_one_run(
        outlets: tuple[str, str, str, str], es_connection: EsConnection,
        es_client: Elasticsearch, aliases: dict[str, str]) -> None:
    wire, courier, first, copied = outlets
    ingest([wire], es_connection, aliases)
    stored = es_client.get(index=aliases["index"], id=first)["_source"]
    bands, rows = band_shape(DEFAULT_THRESHOLD)  # a byte of signature per row, in hex
    assert (len(stored["lsh_bands"]), len(stored["minhash"])) == (bands, 2 * bands * rows)
    ingest([courier], es_connection, aliases)
    two_runs = links(es_client, aliases["index"])

    one = f"{aliases['index']}-one"
    try:
        ingest([wire, courier], es_connection, job_aliases(one))
        one_run = links(es_client, one)
    finally:
        drop_job_aliases(es_connection, one)

    assert two_runs == one_run == {first: (first, None), copied: (first, first)}


def test_a_first_copy_ingested_after_its_copy_takes_it_into_its_cluster(
        outlets: tuple[str, str, str, str], es_connection: EsConnection,
        es_client: Elasticsearch, aliases: dict[str, str]) -> None:
    wire, courier, first, copied = outlets
    later = ingest([courier], es_connection, aliases)
    earlier = ingest([wire], es_connection, aliases)

    assert (later.near_duplicates, earlier.near_duplicates) == (0, 1)
    assert links(es_client, aliases["index"]) == {first: (first, None), copied: (first, first)}


def test_batches_linked_one_after_another_link_each_copy_once(
        corpus: Path, es_connection: EsConnection, es_client: Elasticsearch,
        index_name: str) -> None:
    """All four written before any is linked, a batch of one at a time: the first copy's batch
    relinks the copies it finds, and a copy's own batch, finding it linked, counts it no more."""
    text = corpus_article(corpus, STORY).text
    first, copy, other, later_copy = [
        article(url, minute, body).replace(fetched_at=datetime.now(timezone.utc))
        for url, minute, body in (
            ("https://a.example/first", 0, text),
            ("https://b.example/copy", 5, lightly_edited(text)),
            ("https://c.example/other", 3, corpus_article(corpus, OTHER_STORY).text),
            ("https://d.example/copy", 9, lightly_edited(text)))]
    bands, rows = band_shape(DEFAULT_THRESHOLD)
    ensure_index(es_client, index_name, ARTICLE_MAPPING)
    written = []
    for story in (copy, other, first, later_copy):
        document = Document(story.id, indexed_article(unlinked(with_bands(story, bands, rows))
                                                      .to_dict()))
        answer = es_client.index(index=index_name, id=document.id, document=document.source)
        written.append((document, answer["_index"]))

    pipeline = beam.Pipeline(runner=FnApiRunner())
    _ = pipeline | beam.Create(written) | beam.ParDo(LinkWritten(
        IndexedCopies(es_connection, index_name, ttl_seconds=86_400), DEFAULT_THRESHOLD, batch=1))
    result = pipeline.run()
    result.wait_until_finish()

    counted = result.metrics().query(MetricsFilter().with_name("near_duplicates"))["counters"]
    assert sum(counter.committed for counter in counted) == 2
    assert links(es_client, index_name) == {
        first.id: (first.id, None), copy.id: (first.id, first.id),
        later_copy.id: (first.id, first.id), other.id: (other.id, None)}
