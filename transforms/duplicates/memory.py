"""The near-duplicate memory across runs: each article is indexed with its LSH band keys and
its compact MinHash signature (near.MarkBands), and a new article asks the index for the earlier
ones that share a band, so a copy is linked to its first copy whether they came in one run, in
two, or to a streaming job restarted in between.

    marked articles ─► RecallEarlier: per bundle, one multi-search of the articles alias (the
                       articles sharing a band, seen within the TTL), each candidate confirmed on
                       its signature against the threshold ─► (id, Link to the earliest)

LinkNearDuplicates takes these links with those it finds within the run, and the earliest wins,
as within a run. A new article that predates an indexed copy cannot relink that copy: it is written
already, so the new one starts its own cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import BoundedWindow
from apache_beam.utils.windowed_value import WindowedValue

from newswire.schemas.article import Article
from newswire.transforms.duplicates.near import UNPUBLISHED, Link, published_micros, similarity
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.retry import Repeater
from newswire.transforms.index.settings import RetryPolicy

BATCH = 50  # articles per multi-search
CANDIDATES = 20  # indexed articles looked at per new article, the most bands shared first


@dataclass(frozen=True)
class IndexedCopies:
    """Where earlier articles are, and how long ago one may have been seen to count."""

    es: EsConnection
    index: str
    ttl_seconds: float
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def earliest_indexed(article: Article, hits: list[dict[str, Any]],
                     threshold: float) -> Link | None:
    """The earliest indexed article (of `hits`) ranked before `article` that it copies."""
    signature = bytes.fromhex(article.minhash)
    mine = (published_micros(article.published_at), article.id)
    links = []
    for hit in hits:
        source = hit["_source"]
        if not source.get("minhash") or hit["_id"] == article.id:
            continue
        published = source.get("published_at")
        theirs = (published_micros(datetime.fromisoformat(published.replace("Z", "+00:00")))
                  if published else UNPUBLISHED, hit["_id"])
        if theirs < mine and similarity(bytes.fromhex(source["minhash"]), signature) >= threshold:
            links.append(Link(*theirs))
    return min(links, default=None)


class RecallEarlier(beam.DoFn):
    """(article id, Link) to the earliest indexed article each marked article copies; with
    `carry`, also (article id, article) for every article, after its link, so that a step keyed
    by id gets the two together (in streaming a link sent apart could come after the watermark
    has let its article go)."""

    def __init__(self, copies: IndexedCopies, threshold: float, carry: bool = False) -> None:
        self.copies, self.threshold, self.carry = copies, threshold, carry
        self.recalled = Metrics.counter("newswire", "near_duplicates_of_indexed")

    def setup(self) -> None:
        self.client = self.copies.es.client()
        self.repeater = Repeater(self.copies.retry, self.copies.es.address)

    def teardown(self) -> None:
        self.client.close()

    def start_bundle(self) -> None:
        self.buffer: list[tuple[Article, WindowedValue]] = []

    def process(self, article: Article, window: BoundedWindow = beam.DoFn.WindowParam,
                timestamp: Any = beam.DoFn.TimestampParam) -> Iterator[Any]:
        if article.lsh_bands and article.minhash:
            self.buffer.append((article, WindowedValue(None, timestamp, [window])))
        elif self.carry:
            yield article.id, article
        if len(self.buffer) >= BATCH:
            yield from self._flush()

    def finish_bundle(self) -> Iterator[Any]:
        yield from self._flush()

    def _flush(self) -> Iterator[Any]:
        if not self.buffer:
            return
        searches: list[dict[str, Any]] = []
        for article, _ in self.buffer:
            searches += [{"index": self.copies.index}, {
                "size": CANDIDATES, "_source": ["published_at", "minhash"],
                "query": {"bool": {
                    "should": [{"term": {"lsh_bands": key}} for key in article.lsh_bands],
                    "minimum_should_match": 1,
                    "filter": [{"range": {"fetched_at": {
                        "gte": f"now-{int(self.copies.ttl_seconds)}s"}}}],
                    "must_not": [{"ids": {"values": [article.id]}}]}}}]
        answers = self.repeater.call(
            lambda: self.client.msearch(searches=searches))["responses"]
        for (article, where), answer in zip(self.buffer, answers, strict=True):
            if "error" in answer:
                raise RuntimeError(f"looking up earlier copies in {self.copies.index} failed: "
                                   f"{answer['error']}")
            link = earliest_indexed(article, answer["hits"]["hits"], self.threshold)
            if link is not None:
                self.recalled.inc()
                yield where.with_value((article.id, link))
            if self.carry:
                yield where.with_value((article.id, article))
        self.buffer = []
