"""`newswire deadletter list` shows what failed, latest first, filtered by stage and time;
`replay` refuses letters it cannot replay in one line."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from elasticsearch import Elasticsearch

from newswire.pipeline import cli
from newswire.pipeline.commands.deadletter import query
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import DEAD_LETTER_MAPPING, ensure_index


def test_the_query_filters_by_stage_and_since() -> None:
    since = datetime(2026, 11, 20, tzinfo=timezone.utc)
    assert query(("fetch",), since) == {"bool": {"filter": [
        {"terms": {"stage": ["fetch"]}},
        {"range": {"at": {"gte": "2026-11-20T00:00:00+00:00"}}}]}}
    assert query(("fetch", "index"), None) == {"bool": {"filter": [
        {"terms": {"stage": ["fetch", "index"]}}]}}


def test_letters_that_cannot_be_replayed_are_refused(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["deadletter", "replay", "--stage", "poll",
                     "--es-url", "http://127.0.0.1:9"]) == 1
    assert capsys.readouterr().err == (
        "newswire: poll letters are not replayable; replay fetch, extract, index letters\n")


@pytest.mark.es
def test_list_shows_the_latest_letters_of_a_stage(
        es_connection: EsConnection, es_client: Elasticsearch, index_name: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    ensure_index(es_client, index_name, DEAD_LETTER_MAPPING)
    letters = [("fetch", "2026-11-20T08:00:00+00:00", "https://a.example/1", "HTTP 404", 1),
               ("fetch", "2026-11-22T09:15:00+00:00", "https://a.example/2", "timed out", 3),
               ("extract", "2026-11-21T10:00:00+00:00", "https://b.example/3", "no body", 1)]
    for n, (stage, at, url, reason, attempts) in enumerate(letters):
        es_client.index(index=index_name, id=str(n), document={
            "stage": stage, "at": at, "url": url, "reason": reason, "unit": "page",
            "attempts": attempts})
    status = cli.main(["deadletter", "list", "--es-url", es_connection.url,
                       "--dead-letter-index", index_name, "--stage", "fetch"])
    assert status == 0
    assert capsys.readouterr().out.splitlines() == [
        "2026-11-22 09:15:00  fetch    x3   page   https://a.example/2",
        f"{'':21}timed out",
        "2026-11-20 08:00:00  fetch    x1   page   https://a.example/1",
        f"{'':21}HTTP 404",
        f"(2 of 2 dead letters in {index_name})"]
