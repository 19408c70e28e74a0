"""How the index is sized and how its requests are retried: plain settings, free of the
Elasticsearch client and of Beam, so the options (and the commands that only read them) load
without either.

    Sizing        each piece's shards and replicas, and when the write piece rolls over
    RetryPolicy   retries of a failing request, backoff with jitter, how long an outage is
                  waited for (applied by `retry.Repeater`)
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sizing:
    """How an alias's pieces are made: primary shards and replicas of each (None: one replica
    where the cluster has a second node, none on a laptop), and when the write piece is rolled
    over (`max_primary_shard_size`, Elasticsearch's advice being 10 to 50 GB, or `max_docs`)."""

    shards: int = 1
    replicas: int | None = None
    max_primary_shard_size: str = "40gb"
    max_docs: int = 10_000_000
    # Seconds between a sink's checks where newswire rolls over; None where the cluster does.
    check_every: float | None = 60.0

    def settings(self) -> dict[str, Any]:
        replicas = ({"auto_expand_replicas": "0-1"} if self.replicas is None
                    else {"number_of_replicas": self.replicas})
        return {"number_of_shards": self.shards, **replicas}

    def conditions(self) -> dict[str, Any]:
        return {"max_primary_shard_size": self.max_primary_shard_size, "max_docs": self.max_docs}


@dataclass(frozen=True)
class RetryPolicy:
    """`retries` attempts after the first for a request answered 5xx; a node that is down or
    answers 429 is waited for up to `outage_wait` seconds. Waits double from `backoff` up to
    `max_backoff`, each shortened by up to `jitter` of itself at random, so that workers that
    were refused together do not come back together."""

    retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 10.0
    outage_wait: float = 120.0
    jitter: float = 0.5

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1, 2, ...)."""
        ceiling = min(self.backoff * 2 ** (attempt - 1), self.max_backoff)
        return ceiling * (1 - self.jitter * random.random())
