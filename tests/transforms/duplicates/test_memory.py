"""Near-duplicates across runs on the real node: a copy ingested by a later run is linked to the
first copy exactly as when both come in one run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from email.utils import format_datetime
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

pytestmark = pytest.mark.es

PARAGRAPHS = [
    "The harbour authority closed the northern channel on Tuesday after a cargo ship lost "
    "power and drifted across the shipping lane during the early morning fog.",
    "Tugboats from two neighbouring ports reached the vessel within an hour and held it in "
    "place while engineers worked to restart its main engine and steering gear.",
    "No injuries were reported among the twenty one crew members, the authority said, and "
    "divers found no damage to the hull after a first inspection at low tide.",
    "Ferries between the islands were delayed by up to three hours and several fishing boats "
    "waited outside the breakwater until the channel was declared safe again.",
    "Officials said an investigation would look at maintenance records and at why the backup "
    "generator failed to start when the main power supply was interrupted.",
    "The channel reopened in the afternoon, and traffic was expected to return to normal by "
    "the evening once the queue of waiting vessels had been cleared.",
]
COPY = [*PARAGRAPHS[:4], "A spokesman for the shipping company declined to comment on the "
        "cause of the failure and said the ship would stay in port for repairs.", PARAGRAPHS[5]]


def write_outlet(root: Path, outlet: str, title: str, published: str,
                 paragraphs: list[str]) -> Path:
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    root.mkdir()
    (root / "story.html").write_text(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="og:site_name" content="{outlet}">'
        f'<meta property="article:published_time" content="{published}">'
        f'<link rel="canonical" href="https://{outlet.lower()}.example/story"></head>'
        f"<body><article><h1>{title}</h1>{body}</article></body></html>")
    date = format_datetime(datetime.fromisoformat(published.replace("Z", "+00:00")))
    (root / "feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{outlet}</title>'
        f"<link>https://{outlet.lower()}.example/</link><item><title>{title}</title>"
        "<link>{{BASE_URL}}/story.html</link>"
        f"<pubDate>{date}</pubDate></item></channel></rss>")
    return root


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
