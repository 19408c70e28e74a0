"""Defect (issue 20, 9): two first runs at the same time, and the second failed with `index ...
already exists`. Creating the template, the versioned index and its alias is now safe when
another run does it at the same moment: both end with the same index behind the alias."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import (
    ARTICLE_MAPPING,
    MAPPING_VERSION,
    current_index,
    ensure_index,
)
from newswire.transforms.index.pieces import first_piece
from tests.conftest import drop_index

pytestmark = pytest.mark.es
RACES = 4
RUNS = 3  # racing for each fresh alias


def first_run(connection: EsConnection, alias: str, start: threading.Barrier) -> str:
    """What a first run does for `alias`, with its own client, as a process does."""
    with connection.session() as client:
        client.cluster.health()  # connected before the start, so the requests meet
        start.wait()
        return ensure_index(client, alias, ARTICLE_MAPPING)


def test_runs_creating_the_same_fresh_alias_at_once_all_succeed(
        es_connection: EsConnection) -> None:
    for _ in range(RACES):
        alias = f"test-race-{uuid.uuid4().hex[:8]}"
        start = threading.Barrier(RUNS)
        try:
            with ThreadPoolExecutor(RUNS) as runs:
                written = [run.result() for run in [
                    runs.submit(first_run, es_connection, alias, start) for _ in range(RUNS)]]
            with es_connection.session() as client:
                first = first_piece(alias, MAPPING_VERSION)
                assert written == [first] * RUNS
                assert current_index(client, alias) == first
                assert list(client.indices.get(index=f"{alias}-v*")) == [first]
        finally:
            drop_index(es_connection, alias)
