"""How the index's pieces are sized and its requests retried, as plain settings."""

from __future__ import annotations

import random

import pytest

from newswire.transforms.index.settings import RetryPolicy, Sizing
from tests.imports import heavy_loaded


def test_the_settings_load_without_the_client_or_beam() -> None:
    assert heavy_loaded("newswire.transforms.index.settings") == []


def test_a_piece_has_one_replica_where_a_second_node_can_hold_it_unless_told() -> None:
    assert Sizing().settings() == {"number_of_shards": 1, "auto_expand_replicas": "0-1"}
    assert Sizing(shards=3, replicas=0).settings() == {"number_of_shards": 3,
                                                       "number_of_replicas": 0}


def test_the_rollover_conditions_are_the_size_and_the_count() -> None:
    assert Sizing(max_primary_shard_size="10gb", max_docs=5).conditions() == {
        "max_primary_shard_size": "10gb", "max_docs": 5}


def test_waits_double_up_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "random", lambda: 0.0)  # no jitter: the ceiling itself
    policy = RetryPolicy(backoff=0.5, max_backoff=3.0)
    assert [policy.delay(attempt) for attempt in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_shortens_a_wait_by_at_most_its_share() -> None:
    policy = RetryPolicy(backoff=1.0, jitter=0.5)
    waits = [policy.delay(2) for _ in range(200)]
    assert all(1.0 <= wait <= 2.0 for wait in waits)
    assert len(set(waits)) > 1  # workers refused together do not come back together
    assert RetryPolicy(backoff=1.0, jitter=0.0).delay(2) == 2.0
