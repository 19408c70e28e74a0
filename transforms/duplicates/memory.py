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

A batch run with a crawl state groups nothing: it writes each article as it comes, unlinked,
and then links it (pipeline/job/graph.py, IndexThenLink):

    written articles ─► LinkWritten: per 500, a refresh and a multi-search as above; each
                        article is linked to the earliest earlier copy it matches, and each
                        indexed later copy it matches whose first copy is later than it (or
                        none) is relinked to it ─► partial updates of cluster_id/duplicate_of

So whichever of two copies is written first, the second one's lookup sees the first, and both
end as they would in one grouped run: the earliest copy first, the later one pointing at it.
"""

from __future__ import annotations

import logging
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
from newswire.transforms.index.pieces import lookup
from newswire.transforms.index.retry import Repeater
from newswire.transforms.index.settings import RetryPolicy
from newswire.transforms.index.sink import Written

LOG = logging.getLogger(__name__)
BATCH = 50  # articles per multi-search
CANDIDATES = 20  # indexed articles looked at per new article, the most bands shared first
WRITTEN_BATCH = 500  # written articles linked per refresh of the index, as the sink writes them
_LINK_FIELDS = ["published_at", "minhash", "duplicate_of"]  # what linking reads of a copy


@dataclass(frozen=True)
class IndexedCopies:
    """Where earlier articles are, and how long ago one may have been seen to count."""

    es: EsConnection
    index: str
    ttl_seconds: float
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def indexed_rank(doc_id: str, source: dict[str, Any]) -> Link:
    """An indexed article's first-seen rank (near.rank): its published time, then its id."""
    published = source.get("published_at")
    return Link(published_micros(datetime.fromisoformat(published.replace("Z", "+00:00")))
                if published else UNPUBLISHED, doc_id)


def copies_among(mine: Link, signature: bytes, hits: list[dict[str, Any]],
                 threshold: float) -> Iterator[tuple[Link, dict[str, Any]]]:
    """The hits (other than `mine`) whose signature confirms them as copies, with their ranks."""
    for hit in hits:
        source = hit["_source"]
        if (source.get("minhash") and hit["_id"] != mine.target
                and similarity(bytes.fromhex(source["minhash"]), signature) >= threshold):
            yield indexed_rank(hit["_id"], source), hit


def earliest_indexed(article: Article, hits: list[dict[str, Any]],
                     threshold: float) -> Link | None:
    """The earliest indexed article (of `hits`) ranked before `article` that it copies."""
    mine = Link(published_micros(article.published_at), article.id)
    return min((theirs for theirs, _ in copies_among(mine, bytes.fromhex(article.minhash), hits,
                                                     threshold) if theirs < mine), default=None)


def band_search(index: str, bands: Any, exclude: str, ttl_seconds: float,
                fields: list[str]) -> list[dict[str, Any]]:
    """A multi-search's two lines: the articles in `index` that share a band with `bands`,
    fetched within the TTL, other than `exclude`, the most bands shared first."""
    return [{"index": index}, {
        "size": CANDIDATES, "_source": fields, "seq_no_primary_term": True,
        "query": {"bool": {
            "should": [{"term": {"lsh_bands": key}} for key in bands],
            "minimum_should_match": 1,
            "filter": [{"range": {"fetched_at": {"gte": f"now-{int(ttl_seconds)}s"}}}],
            "must_not": [{"ids": {"values": [exclude]}}]}}}]


def answered(index: str, answers: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Each multi-search answer's hits; a failed search fails the bundle, to be retried."""
    for answer in answers:
        if "error" in answer:
            raise RuntimeError(f"looking up earlier copies in {index} failed: {answer['error']}")
        yield answer["hits"]["hits"]


class _SeekingCopies(beam.DoFn):
    """A DoFn that looks up copies in the articles alias: its client, opened in `setup`, and
    the retry policy's repeater."""

    def __init__(self, copies: IndexedCopies, threshold: float) -> None:
        self.copies, self.threshold = copies, threshold

    def setup(self) -> None:
        self.client = self.copies.es.client()
        self.repeater = Repeater(self.copies.retry, self.copies.es.address)

    def teardown(self) -> None:
        self.client.close()


class RecallEarlier(_SeekingCopies):
    """(article id, Link) to the earliest indexed article each marked article copies; with
    `carry`, also (article id, article) for every article, after its link, so that a step keyed
    by id gets the two together (in streaming a link sent apart could come after the watermark
    has let its article go)."""

    def __init__(self, copies: IndexedCopies, threshold: float, carry: bool = False) -> None:
        super().__init__(copies, threshold)
        self.carry = carry
        self.recalled = Metrics.counter("newswire", "near_duplicates_of_indexed")

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
            searches += band_search(self.copies.index, article.lsh_bands, article.id,
                                    self.copies.ttl_seconds, ["published_at", "minhash"])
        answers = self.repeater.call(
            lambda: self.client.msearch(searches=searches))["responses"]
        for (article, where), hits in zip(self.buffer, answered(self.copies.index, answers),
                                          strict=True):
            link = earliest_indexed(article, hits, self.threshold)
            if link is not None:
                self.recalled.inc()
                yield where.with_value((article.id, link))
            if self.carry:
                yield where.with_value((article.id, article))
        self.buffer = []


Relink = tuple[str, str, Link, dict[str, Any], bool]
"""A partial update of links: piece, id, the first copy, the write's conditions, and whether
the article was linked to nothing before."""


class LinkWritten(_SeekingCopies):
    """Links written articles (`Written`, sink.WriteAndPassOn) to their copies in the index.

    Per `batch` (`WRITTEN_BATCH`): the index is refreshed, so it shows every article written so
    far, and each article's band search finds its copies. An article is linked to the earliest
    copy ranked before it; an indexed copy ranked after it, written earlier and linked to
    nothing earlier than it, is relinked to it (on the sequence number it was read at: a copy
    changed since keeps what the other writer gave it). Counts newly linked articles as
    `newswire/near_duplicates`, each once: a copy written before its first copy's batch was
    linked may be linked by that batch, and then its own batch changes nothing.
    """

    def __init__(self, copies: IndexedCopies, threshold: float,
                 batch: int = WRITTEN_BATCH) -> None:
        super().__init__(copies, threshold)
        self.batch = batch
        self.near_duplicates = Metrics.counter("newswire", "near_duplicates")

    def start_bundle(self) -> None:
        self.buffer: list[Written] = []

    def process(self, written: Written) -> None:
        source = written[0].source
        if source.get("lsh_bands") and source.get("minhash"):
            self.buffer.append(written)
        if len(self.buffer) >= self.batch:
            self._flush()

    def finish_bundle(self) -> None:
        self._flush()

    def _flush(self) -> None:
        if not self.buffer:
            return
        index = self.copies.index
        self.repeater.call(lambda: self.client.indices.refresh(index=index))
        hits: list[list[dict[str, Any]]] = []
        for start in range(0, len(self.buffer), BATCH):
            searches: list[dict[str, Any]] = []
            for document, _ in self.buffer[start:start + BATCH]:
                searches += band_search(index, document.source["lsh_bands"], document.id,
                                        self.copies.ttl_seconds, _LINK_FIELDS)
            answers = self.repeater.call(
                lambda searches=searches: self.client.msearch(searches=searches))["responses"]
            hits += answered(index, answers)
        self.near_duplicates.inc(self._update(self._links(hits)))
        self.buffer = []

    def _links(self, hits: list[list[dict[str, Any]]]) -> list[Relink]:
        """The links to write: each buffered article's first copy, and each earlier-written
        later copy's better one."""
        ranks = {document.id: indexed_rank(document.id, document.source)
                 for document, _ in self.buffer}
        relinks: list[Relink] = []
        better: dict[str, tuple[Link, dict[str, Any]]] = {}
        for (document, piece), found in zip(self.buffer, hits, strict=True):
            mine = ranks[document.id]
            first = None
            for theirs, hit in copies_among(mine, bytes.fromhex(document.source["minhash"]),
                                            found, self.threshold):
                ranks.setdefault(hit["_id"], theirs)
                if theirs < mine:
                    first = min(first or theirs, theirs)
                elif hit["_id"] not in better or mine < better[hit["_id"]][0]:
                    better[hit["_id"]] = (mine, hit)
            if first is not None:
                relinks.append((piece, document.id, first, {}, True))
        written = {document.id for document, _ in self.buffer}
        later = {copy: found for copy, found in better.items() if copy not in written}
        targets = {found[1]["_source"].get("duplicate_of") for found in later.values()} - {None}
        ranks.update(self._ranks(targets - ranks.keys()))
        for copy, (first, hit) in later.items():
            current = hit["_source"].get("duplicate_of")
            if current is None or first < ranks.get(current, first):
                relinks.append((hit["_index"], copy, first, {
                    "if_seq_no": hit["_seq_no"], "if_primary_term": hit["_primary_term"]},
                    current is None))
        return relinks

    def _ranks(self, ids: set[str]) -> dict[str, Link]:
        """The ranks of indexed articles named as first copies that no search here found."""
        if not ids:
            return {}
        docs = self.repeater.call(lambda: lookup(self.client, self.copies.index, sorted(ids),
                                                 source_includes=["published_at"]))
        return {doc["_id"]: indexed_rank(doc["_id"], doc["_source"])
                for doc in docs if doc.get("found")}

    def _update(self, relinks: list[Relink]) -> int:
        """Writes the links; a copy changed since it was read keeps what it has. Returns how
        many articles linked to nothing before are linked now."""
        if not relinks:
            return 0
        operations: list[dict[str, Any]] = []
        for piece, doc_id, first, conditions, _ in relinks:
            operations += [{"update": {"_index": piece, "_id": doc_id, **conditions}},
                           {"doc": {"cluster_id": first.target, "duplicate_of": first.target}}]
        response = self.repeater.call(lambda: self.client.bulk(operations=operations))
        linked = 0
        for item, (_, doc_id, _, _, new) in zip(response["items"], relinks, strict=True):
            status = item["update"].get("status", 0)
            if status < 300:  # "noop": linked already, by an earlier batch that found it
                linked += new and item["update"].get("result") != "noop"
            elif status != 409:
                LOG.error("linking %s to its first copy failed: %s", doc_id,
                          item["update"].get("error"))
        return linked
