"""Near-duplicates across runs on the real node: a copy ingested by a later run is linked to the
first copy exactly as when both come in one run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from elasticsearch import Elasticsearch

from newswire.pipeline.job import lifecycle
from newswire.pipeline.job.summary import Summary
from newswire.pipeline.services.seed_server import SeedServer
from newswire.schemas.article import document_id
from newswire.transforms.duplicates.near import band_shape
from newswire.transforms.duplicates.settings import DEFAULT_THRESHOLD
from newswire.transforms.index.client import EsConnection
from tests.conftest import drop_index
from tests.faults.site import COPY, PARAGRAPHS, write_outlet

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

    one = {name: f"{alias}-one" for name, alias in aliases.items()}
    try:
        ingest([wire, courier], es_connection, one)
        one_run = links(es_client, one["index"])
    finally:
        for alias in one.values():
            drop_index(es_connection, alias)

    assert two_runs == one_run == {first: (first, None), copied: (first, first)}


def test_a_first_copy_ingested_after_its_copy_takes_it_into_its_cluster(
        outlets: tuple[str, str, str, str], es_connection: EsConnection,
        es_client: Elasticsearch, aliases: dict[str, str]) -> None:
    wire, courier, first, copied = outlets
    later = ingest([courier], es_connection, aliases)
    earlier = ingest([wire], es_connection, aliases)

    assert (later.near_duplicates, earlier.near_duplicates) == (0, 1)
    assert links(es_client, aliases["index"]) == {first: (first, None), copied: (first, first)}
