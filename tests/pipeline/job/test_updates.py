"""Updates on the real node: a revised story replaces the old one, keeps its history, and an
older copy fetched later never overwrites it."""

from __future__ import annotations

from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.job import lifecycle
from newswire.pipeline.job.summary import Summary
from newswire.pipeline.services.seed_server import SeedServer
from newswire.schemas import seed
from newswire.schemas.article import Article
from newswire.transforms.index.client import EsConnection
from tests.conftest import stored_by_canonical_url

pytestmark = pytest.mark.es
STORY = "northwind-herald/national/greyhaven-chemical-plant-fire-forces-evacuations"


def ingest(server: SeedServer, connection: EsConnection, aliases: dict[str, str]) -> Summary:
    # The revised page comes without a change to its feed: only a re-check finds it.
    options = PipelineOptions(feeds=[server.url("feeds.opml")], es_url=connection.url,
                              allow_private_addresses=True, recheck_age="0", **aliases)
    return lifecycle.run(options, say=lambda _: None)


def test_a_revision_replaces_the_story_and_keeps_its_history(
        es_connection: EsConnection, corpus: Path, aliases: dict[str, str]) -> None:
    updates = corpus.parent / "corpus-updates"
    before = seed.parse((corpus / f"{STORY}.txt").read_text())
    after = seed.parse((updates / f"{STORY}.txt").read_text())
    client = es_connection.client()
    try:
        with SeedServer(corpus) as server:
            first = ingest(server, es_connection, aliases)
            server.add_overlay(updates)
            revised = ingest(server, es_connection, aliases)
            port = int(server.base_url.rsplit(":", 1)[1])
        # the old version again, e.g. from a stale cache, at the same address (ids derive from it)
        with SeedServer(corpus, port=port) as server:
            stale = ingest(server, es_connection, aliases)
        client.indices.refresh(index=list(aliases.values()))
        found = stored_by_canonical_url(client, aliases["index"], before.canonical_url)
        doc_id, stored = found["_id"], Article.from_dict(found["_source"])
        history = client.search(index=aliases["history_index"])["hits"]["hits"]
    finally:
        client.close()

    # the re-check asks each page with its validators: only the revised one is fetched whole
    assert (revised.created, revised.updated, revised.revisions) == (0, 1, 1)
    assert (revised.unchanged, revised.pages_not_modified) == (0, first.created - 1)
    assert (stale.created, stale.updated, stale.revisions) == (0, 0, 0)
    assert (stale.unchanged, stale.pages_not_modified) == (1, first.created - 1)

    assert seed.render(stored) == seed.render(after)
    assert stored.updated_at is not None and stored.updated_at > stored.published_at
    assert len(history) == 1
    record = history[0]["_source"]
    assert record["article_id"] == doc_id
    assert record["title"] == before.title and record["new_title"] == after.title
    assert record["title_diff"].startswith("--- title (before)")
    assert "-" + before.body.split("\n\n")[0] in record["body_diff"]
