"""The bundled corpus archived with `--archive`, replayed with `--warc` into the real node:
the same articles, the accounting balanced, and a changed record updating only its document."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.job import lifecycle
from newswire.pipeline.job.summary import Summary
from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.index.client import EsConnection
from tests.conftest import assert_matches_manifest, drop_job_aliases, job_aliases
from tests.transforms.fetching.test_warc import read_file, write_archive

pytestmark = pytest.mark.es
EDITED_PAGE = "northwind-herald/world/valdena-certifies-presidential-runoff-after-recount.html"
BEFORE, AFTER = "ending two weeks of uncertainty", "ending two weeks of doubt"


@dataclass
class Runs:
    archive: Path
    live_index: str
    replay_index: str
    live: Summary
    replay: Summary


def run(connection: EsConnection, index: str, **source: Any) -> Summary:
    return lifecycle.run(PipelineOptions(
        es_url=connection.url, allow_private_addresses=True, **job_aliases(index), **source),
        say=lambda _: None)


def documents(connection: EsConnection, index: str) -> dict[str, dict[str, Any]]:
    client = connection.client()
    try:
        client.indices.refresh(index=index)
        hits = client.search(index=index, size=1000)["hits"]["hits"]
    finally:
        client.close()
    return {hit["_id"]: hit["_source"] for hit in hits}


@pytest.fixture(scope="module")
def runs(es_connection: EsConnection, seed_server: SeedServer,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    archive = tmp_path_factory.mktemp("warc") / "archive"
    live_index, replay_index = (f"test-warc-{name}-{uuid.uuid4().hex[:6]}"
                                for name in ("live", "replay"))
    live = run(es_connection, live_index, feeds=[seed_server.url("feeds.opml")],
               archive=str(archive))
    replay = run(es_connection, replay_index, warc=str(archive / "*.warc.gz"))
    yield Runs(archive, live_index, replay_index, live, replay)
    for index in (live_index, replay_index):
        drop_job_aliases(es_connection, index)


def test_archiving_does_not_change_the_run(runs: Runs, manifest: dict) -> None:
    assert_matches_manifest(runs.live, manifest)
    assert runs.live.pages_archived == runs.live.pages_fetched
    assert list(runs.archive.glob("newswire-*.warc.gz"))


def test_the_replay_gives_the_same_articles(runs: Runs, es_connection: EsConnection,
                                            manifest: dict) -> None:
    replay = runs.replay
    assert replay.entries_seen == runs.live.pages_fetched
    assert replay.warc_pages_read == runs.live.pages_fetched
    assert replay.warc_records_skipped == runs.live.pages_fetched  # the requests
    assert replay.created == manifest["totals"]["indexed"]
    assert replay.dead_letters == 0
    assert replay.balanced
    assert documents(es_connection, runs.replay_index) == documents(es_connection,
                                                                    runs.live_index)


def test_a_changed_record_updates_only_its_document(
        runs: Runs, es_connection: EsConnection, tmp_path: Path) -> None:
    pages = [page for file in sorted(runs.archive.iterdir()) for page in read_file(file)[0]]
    edited = [replace(page, html=page.html.replace(BEFORE, AFTER))
              if page.url.endswith(EDITED_PAGE) else page for page in pages]
    assert sum(a.html != b.html for a, b in zip(pages, edited, strict=True)) == 1
    write_archive(tmp_path, edited)
    before = documents(es_connection, runs.replay_index)

    again = run(es_connection, runs.replay_index, warc=str(tmp_path / "*.warc.gz"))

    assert (again.updated, again.created, again.revisions) == (1, 0, 1)
    assert again.unchanged == again.indexed - 1 and again.balanced
    after = documents(es_connection, runs.replay_index)
    changed = [doc_id for doc_id in after if after[doc_id] != before[doc_id]]
    assert len(changed) == 1
    assert AFTER in after[changed[0]]["body"] and BEFORE in before[changed[0]]["body"]
    client = es_connection.client()
    try:
        history_index = job_aliases(runs.replay_index)["history_index"]
        client.indices.refresh(index=history_index)
        history = client.search(index=history_index)["hits"]["hits"]
    finally:
        client.close()
    assert [hit["_source"]["article_id"] for hit in history] == changed
    diff = history[0]["_source"]["body_diff"]
    assert BEFORE in diff and AFTER in diff
