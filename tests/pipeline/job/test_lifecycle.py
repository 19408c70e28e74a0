"""End to end on the real node: the bundled corpus through the batch job, twice, then search."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline import cli
from newswire.pipeline.job import lifecycle
from newswire.pipeline.job.summary import Summary
from newswire.pipeline.services.seed_server import SeedServer
from newswire.schemas import seed
from newswire.schemas.article import Article
from newswire.transforms.index.client import EsConnection
from tests.conftest import (
    assert_matches_manifest,
    drop_job_aliases,
    job_aliases,
    stored_by_canonical_url,
)

pytestmark = [pytest.mark.es, pytest.mark.slow]


class Run:
    """The two runs of the corpus into one pair of fresh aliases."""

    def __init__(self, index: str, first: Summary, second: Summary) -> None:
        self.index = index
        self.dead_letter_index = job_aliases(index)["dead_letter_index"]
        self.first = first
        self.second = second


@pytest.fixture(scope="module")
def ingested(es_connection: EsConnection, seed_server: SeedServer) -> Iterator[Run]:
    index = f"test-e2e-{uuid.uuid4().hex[:8]}"

    def run_once() -> Summary:
        options = PipelineOptions(
            feeds=[seed_server.url("feeds.opml")], es_url=es_connection.url,
            allow_private_addresses=True, **job_aliases(index))
        return lifecycle.run(options, say=lambda _: None)

    first = run_once()
    second = run_once()
    client = es_connection.client()
    run = Run(index, first, second)
    client.indices.refresh(index=[run.index, run.dead_letter_index])
    client.close()
    yield run
    drop_job_aliases(es_connection, index)


def test_summary_matches_the_corpus_ground_truth(ingested: Run, manifest: dict) -> None:
    assert_matches_manifest(ingested.first, manifest)


def test_every_expected_article_is_indexed_exactly(
        ingested: Run, manifest: dict, corpus: Path, es_connection: EsConnection) -> None:
    expected_files = [row["expected"] for row in manifest["entries"] if row["outcome"] == "indexed"]
    client = es_connection.client()
    try:
        assert client.count(index=ingested.index)["count"] == len(expected_files)
        mismatches = []
        for name in expected_files:
            text = (corpus / name).read_text()
            expected = seed.parse(text)
            doc = stored_by_canonical_url(client, ingested.index, expected.canonical_url)
            stored = Article.from_dict(doc["_source"])
            if seed.render(stored) != text:
                mismatches.append(name)
    finally:
        client.close()
    assert mismatches == []


def test_a_second_run_fetches_no_page_and_indexes_nothing_new(ingested: Run) -> None:
    first, second = ingested.first, ingested.second
    assert second.feeds_not_modified == second.feeds_polled == first.feeds_polled
    assert (second.pages_fetched, second.created, second.updated, second.unchanged) == (
        0, 0, 0, 0)
    # The entries whose pages could not be had wait an hour for their next try.
    assert first.dead_letters_by_stage["fetch"] > 0
    assert (second.entries_seen, second.dead_letters) == (0, 0)
    assert second.balanced


def test_dead_letters_are_indexed_with_their_reasons(
        ingested: Run, manifest: dict, es_connection: EsConnection) -> None:
    client = es_connection.client()
    try:
        hits = client.search(index=ingested.dead_letter_index, size=100)["hits"]["hits"]
    finally:
        client.close()
    found = Counter((hit["_source"]["unit"], hit["_source"]["reason"]) for hit in hits)
    expected = Counter(("entry", row["reason"]) for row in manifest["entries"]
                       if row["outcome"] == "dead_letter")
    assert found == expected  # and the re-run did not add copies: ids derive from the failure
    for hit in hits:
        assert hit["_source"]["stage"] == "fetch"
        assert hit["_source"]["url"].startswith("http://127.0.0.1:")


def test_search_prints_hits_in_seed_format(
        ingested: Run, es_connection: EsConnection, capsys: pytest.CaptureFixture) -> None:
    code = cli.main(["search", "port strike", "--limit", "1", "--es-url", es_connection.url,
                     "--index", ingested.index])
    out = capsys.readouterr().out.strip()
    assert code == 0
    article = seed.parse(out)
    assert "strike" in article.title.lower()
    assert seed.render(article) == out


def test_search_filters_by_outlet_and_date(
        ingested: Run, es_connection: EsConnection, capsys: pytest.CaptureFixture) -> None:
    args = ["search", "--outlet", "Meridian Wire", "--since", "2026-11-20", "--limit", "50",
            "--format", "json", "--es-url", es_connection.url, "--index", ingested.index]
    assert cli.main(args) == 0
    docs: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    assert docs, "the corpus has Meridian Wire stories after Nov 20"
    assert {doc["outlet"] for doc in docs} == {"Meridian Wire"}
    assert all(doc["published_at"] >= "2026-11-20" for doc in docs)


def search_json(run: Run, connection: EsConnection, capsys: pytest.CaptureFixture,
                *args: str) -> list[dict[str, Any]]:
    assert cli.main(["search", *args, "--limit", "100", "--format", "json",
                     "--es-url", connection.url, "--index", run.index]) == 0
    return json.loads(capsys.readouterr().out)


def test_search_filters_people_use(
        ingested: Run, es_connection: EsConnection, capsys: pytest.CaptureFixture,
        corpus: Path, manifest: dict) -> None:
    expected = [seed.parse((corpus / row["expected"]).read_text())
                for row in manifest["entries"] if row["outcome"] == "indexed"]

    with_image = search_json(ingested, es_connection, capsys, "--has-image")
    assert len(with_image) == sum(1 for a in expected if a.image)

    spanish = search_json(ingested, es_connection, capsys, "--language", "es")
    assert [doc["outlet"] for doc in spanish] == ["Meridian Wire"]

    editor = next(a.credits.editing[0] for a in expected if a.credits and a.credits.editing)
    edited = search_json(ingested, es_connection, capsys, "--credit", editor)
    assert edited and all(editor in doc["credits"]["raw"] for doc in edited)
    assert len(edited) == sum(1 for a in expected if a.credits and editor in a.credits.raw)

    window = search_json(ingested, es_connection, capsys, "--since", "2026-11-18",
                         "--until", "2026-11-19T23:59", "--sort", "date")
    stamps = [doc["published_at"] for doc in window]
    assert stamps == sorted(stamps, reverse=True)
    assert all("2026-11-18" <= s < "2026-11-20" for s in stamps)
    assert len(window) == sum(1 for a in expected
                              if "2026-11-18" <= a.published_at.isoformat() < "2026-11-20")


def test_search_by_author_and_snippets(
        ingested: Run, es_connection: EsConnection, capsys: pytest.CaptureFixture) -> None:
    docs = search_json(ingested, es_connection, capsys, "strike")
    assert docs and "**strike" in docs[0]["snippet"].lower()
    author = next(doc["authors"][0] for doc in docs if doc["authors"])
    by_author = search_json(ingested, es_connection, capsys, "--author", author)
    assert by_author and all(author in doc["authors"] for doc in by_author)

    assert cli.main(["search", "strike", "--format", "table", "--limit", "2",
                     "--es-url", es_connection.url, "--index", ingested.index]) == 0
    table = capsys.readouterr().out
    assert docs[0]["title"] in table


@pytest.mark.parametrize(("query", "title"), [
    ("strikes", "Port strike ends after nine days"),  # English: the story says "strike"
    ("pesquera", "Pescadores gallegos protestan"),  # Spanish: the story says "pesquero"
])
def test_search_finds_other_forms_of_a_word_in_the_articles_language(
        ingested: Run, es_connection: EsConnection, capsys: pytest.CaptureFixture,
        query: str, title: str) -> None:
    titles = [doc["title"] for doc in search_json(ingested, es_connection, capsys, query)]
    assert any(found.startswith(title) for found in titles), titles


def test_the_republished_wire_story_is_one_cluster(
        ingested: Run, corpus: Path, es_connection: EsConnection) -> None:
    wire, copy = (seed.parse((corpus / name).read_text()) for name in (
        "meridian-wire/business/central-bank-holds-rates-signals-patience-on-cuts.txt",
        "northwind-herald/business/central-bank-keeps-rates-on-hold-as-inflation-cools.txt"))
    client = es_connection.client()
    try:
        original = stored_by_canonical_url(client, ingested.index, wire.canonical_url)
        republished = stored_by_canonical_url(client, ingested.index, copy.canonical_url)
        clusters = client.search(index=ingested.index, size=0, aggs={
            "shared": {"terms": {"field": "cluster_id", "min_doc_count": 2}}})
    finally:
        client.close()
    assert ingested.first.near_duplicates == 1
    assert republished["_source"]["duplicate_of"] == original["_id"]
    assert republished["_source"]["cluster_id"] == original["_source"]["cluster_id"]
    assert original["_source"]["duplicate_of"] is None
    assert [b["key"] for b in clusters["aggregations"]["shared"]["buckets"]] == [original["_id"]]
