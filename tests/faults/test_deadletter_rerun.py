"""Defect (issue 9): rerunning the corpus grew the dead-letter index by two documents each time,
their ids carrying the corpus server's random port. Now a rerun of the same input leaves every
index's document count as it was, and a repeated failure updates its letter (attempts,
first_seen, last_seen). The two runs below serve the corpus on one port: its pages name other
sites (`*.example`) as canonical, so they are keyed by their own URL, port included (a page
cannot take another site's identity), and a dead letter by its entry's link."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.job import lifecycle
from newswire.pipeline.job.summary import Summary
from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.index.client import EsConnection
from tests.conftest import drop_job_aliases, job_aliases

pytestmark = pytest.mark.es


@dataclass
class Reruns:
    aliases: dict[str, str]
    summaries: list[Summary]
    counts: list[dict[str, int]]
    letters: list[dict[str, Any]]


@pytest.fixture(scope="module")
def reruns(es_connection: EsConnection, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Reruns]:
    index = f"test-rerun-{uuid.uuid4().hex[:8]}"
    aliases = job_aliases(index)
    broken: Path = tmp_path_factory.mktemp("broken")
    (broken / "feed.xml").write_text("this is not a feed")
    client = es_connection.client()
    summaries, counts = [], []
    try:
        with SeedServer(broken) as broken_feed:
            port = _free_port()
            for _ in range(2):
                with SeedServer(port=port) as corpus:  # a new server each time, on one port
                    summaries.append(lifecycle.run(PipelineOptions(
                        feeds=[corpus.url("feeds.opml"), broken_feed.url("feed.xml")],
                        es_url=es_connection.url, allow_private_addresses=True,
                        retry_failed="0", **aliases),  # failed pages are tried again at once
                        say=lambda _: None))
                client.indices.refresh(index=list(aliases.values()))
                counts.append({name: client.count(index=alias)["count"]  # what the job wrote
                               for name, alias in aliases.items() if name != "state_index"})
        letters = [hit["_source"] for hit in client.search(
            index=aliases["dead_letter_index"], size=100)["hits"]["hits"]]
        yield Reruns(aliases, summaries, counts, letters)
    finally:
        client.close()
        drop_job_aliases(es_connection, index)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_rerun_leaves_every_index_as_it_was(reruns: Reruns, manifest: dict) -> None:
    first, second = reruns.counts
    assert first == second
    assert first["dead_letter_index"] == manifest["totals"]["dead_letters"] + 1  # + the feed


def test_a_repeated_failure_updates_its_letter(reruns: Reruns) -> None:
    assert {letter["attempts"] for letter in reruns.letters} == {2}
    for letter in reruns.letters:
        assert letter["first_seen"] < letter["last_seen"] == letter["at"]
    assert {letter["unit"] for letter in reruns.letters} == {"entry", "feed"}


def test_the_dead_letter_breakdown_adds_up(reruns: Reruns) -> None:
    for summary in reruns.summaries:
        assert summary.feeds_failed == 1
        assert sum(summary.dead_letters_by_stage.values()) == summary.dead_letters
        assert summary.balanced
        assert summary.exit_status == 0  # one feed failing is not every feed
