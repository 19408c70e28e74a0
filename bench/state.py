"""What a source's failed entries add to each later poll of it in a streaming job.

A streaming job's later polls of a source ask the crawl state which of the source's failed
entries are due a retry (`CrawlState.due(..., pending="failed")`). This times that step for a
source listing --listed entries while --failed of its earlier entries wait for their retry
(--due of them due now), beside the same step for the same source with no failed entries, on
a node at --port, and prints later-poll time with failures / without.

    .venv/bin/python bench/state.py [--listed 50] [--failed 5000] [--due 10] [--port 9268]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch, helpers

from newswire.pipeline.services.elasticsearch import LocalNode
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import ensure_index
from newswire.transforms.records import FeedEntry
from newswire.transforms.sources.settings import StateSettings, entry_id
from newswire.transforms.sources.state import STATE_MAPPING, CrawlState, retry_due

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import drop

NOW = 1_800_000_000
TARGET = 2.0  # a later poll with thousands of failed entries waiting, at most this x one without


def entry(source: str, n: int) -> FeedEntry:
    return FeedEntry(link=f"https://bench.example/{n}.html", feed_url=source,
                     title=f"Story number {n}")


def fill(client: Elasticsearch, alias: str, source: str, listed: int, failed: int,
         due: int, settings: StateSettings) -> list[FeedEntry]:
    """The state of a source whose `listed` entries are fetched and `failed` older ones
    failed, `due` of those long enough ago to be due; returns the listed entries."""
    def record(n: int, fields: dict[str, Any]) -> dict[str, Any]:
        listing = entry(source, n)
        return {"_index": alias, "_id": entry_id(listing.link), "kind": "entry",
                "source": source, "link": listing.link, "entry": listing.to_json(),
                "first_seen": NOW - 10 * 86400 + n, "last_seen": NOW - 86400, **fields}

    fetched = {"fetched_at": NOW - 600, "failures": 0}
    records = [record(n, fetched) for n in range(listed)]
    for n in range(listed, listed + failed):
        when = NOW - (86400 * 3 if n < listed + due else 60)  # the due ones failed long ago
        failure = {"failed_at": when, "failures": 1, "error": "bench"}
        records.append(record(n, {**failure, "retry_due": retry_due(failure, settings)}))
    helpers.bulk(client, records, refresh=True)
    return [entry(source, n) for n in range(listed)]


def timed(state: CrawlState, listed: list[FeedEntry], source: str) -> float:
    started = time.perf_counter()
    state.due(listed, source, NOW, pending="failed")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listed", type=int, default=50)
    parser.add_argument("--failed", type=int, default=5000)
    parser.add_argument("--due", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--port", type=int, default=9268)
    args = parser.parse_args()

    node = LocalNode(port=args.port, heap_mb=1024)
    node.start()
    connection = EsConnection(node.url)
    client = connection.client()
    source = "https://bench.example/rss"
    setups: dict[str, tuple[CrawlState, list[FeedEntry], int]] = {}
    times: dict[str, list[float]] = {}
    try:
        for name, failed in (("without", 0), ("with failures", args.failed)):
            alias = f"bench-state-{failed}"
            ensure_index(client, alias, STATE_MAPPING)
            settings = StateSettings(connection, alias)
            listed = fill(client, alias, source, args.listed, failed,
                          min(args.due, failed), settings)
            state = CrawlState(settings).open()
            # the due ones are handed on once (and wait again after); the rest is the step
            # every later poll repeats
            handed = len(state.due(listed, source, NOW, pending="failed"))
            client.indices.refresh(index=alias)
            setups[name], times[name] = (state, listed, handed), []
        for _ in range(args.rounds):  # side by side, so neither meets a warmer node
            for name, (state, listed, _) in setups.items():
                times[name].append(timed(state, listed, source))
    finally:
        for state, _, _ in setups.values():
            state.close()
            drop(client, state.alias)
        client.close()
        node.stop()
    results = {name: (statistics.median(times[name]), handed)
               for name, (_, _, handed) in setups.items()}
    for name, (seconds, handed) in results.items():
        print(f"{name:14} {seconds * 1000:8.1f} ms a later poll (median of {args.rounds}); "
              f"the first handed on {handed} retries")
    ratio = results["with failures"][0] / results["without"][0]
    print(f"with {args.failed} failed / without  {ratio:.2f} (target <= {TARGET}): "
          f"{'ok' if ratio <= TARGET else 'OVER'}")


if __name__ == "__main__":
    main()
