"""WriteToElasticsearch: bulk indexing with deterministic ids, versions and per-item outcomes.

    documents ──► _BulkWriter ──► (main) nothing
      (id and version       │ batches by count and bytes, written on a writer thread
       in each one)         │ while the next batch fills (one in flight by default),
                            │ keeps superseded versions in the history index (optional),
                            │ writes an update to the piece its document lives in,
                            │ rolls the alias over when its write piece is full (optional),
                            │ retries 5xx items and requests, waits out an outage and
                            │ 429s (settings.RetryPolicy), splits a request refused as a whole
                            └──► dead_letter: items Elasticsearch rejected, with reason

Ids and versions derive from each document's content (the canonical URL, the article's own
timestamps), so a retried bundle writes the same ids without the Reshuffle that sinks with
random ids need to checkpoint them; skipping it saves encoding every document once more.
Versions are external: an older version never replaces a newer one, and re-sending the current
version is a conflict we count as `unchanged`, not an error. With `repeats_are_duplicates`, a
conflict on an id this writer already had an answer for in the run is a repeat within the run,
counted as `newswire/duplicates_dropped`: a batch run that does not group its articles lets the
index decide exact duplicates (`WriteAndPassOn`, pipeline/job/graph.py).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam
from apache_beam import coders
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import BoundedWindow
from apache_beam.utils.windowed_value import WindowedValue
from elasticsearch import ApiError

from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.pieces import lookup, roll_over
from newswire.transforms.index.retry import RETRYABLE_STATUS, Failure, Repeater
from newswire.transforms.index.revisions import revision_document, revision_id
from newswire.transforms.index.settings import RetryPolicy, Sizing
from newswire.transforms.records import DEAD_LETTER, DeadLetter

LOG = logging.getLogger(__name__)
# A whole request refused for its content: one document spoiled it, so the batch is split.
_SPLIT_STATUS = frozenset({400, 413})
Merge = Callable[[dict[str, Any] | None, dict[str, Any]], dict[str, Any]]
"""What to index given the stored source (None if absent) and the new one."""
# What the history keeps of an article it replaces.
_REVISION_FIELDS = ["title", "body", "fingerprint", "url", "canonical_url"]


@dataclass(frozen=True)
class Document:
    """One index request: the id, the source and an optional external version.

    A rejected document stands for a lost feed entry when `is_entry`: it becomes that entry's
    dead letter. Otherwise (a dead letter itself) the rejection is logged and counted.
    """

    id: str
    source: dict[str, Any]
    version: int | None = None
    is_entry: bool = True


class DocumentCoder(coders.Coder):
    """Documents as compact JSON: far cheaper than pickling their nested sources."""

    def encode(self, value: Document) -> bytes:
        return json.dumps([value.id, value.source, value.version, value.is_entry],
                          separators=(",", ":"), default=str).encode()

    def decode(self, encoded: bytes) -> Document:
        id_, source, version, is_entry = json.loads(encoded)
        return Document(id=id_, source=source, version=version, is_entry=is_entry)

    def is_deterministic(self) -> bool:
        return True

    def to_type_hint(self) -> type:
        return Document


coders.registry.register_coder(Document, DocumentCoder)


@dataclass(frozen=True)
class BulkSettings:
    max_docs: int = 500
    max_bytes: int = 5 * 1024 * 1024
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Batches being written while the next one fills, as the Java client's BulkProcessor does.
    max_in_flight: int = 1


class WriteToElasticsearch(beam.PTransform):
    """Indexes `Document`s into `index`; returns the dead letters of rejected documents.

    With `merge`, each batch first reads its ids' stored sources and indexes what
    `merge(stored, new)` returns (a read-then-write for clusters without scripting).
    With `rollover`, `index` is an alias over pieces (see `pieces`): each batch first finds the
    piece each id lives in, and an update is written there. The writer also rolls the alias
    over when its write piece is full, checking every `rollover.check_every` seconds (unless
    that is None: the cluster's lifecycle policy rolls it over).
    """

    def __init__(self, connection: EsConnection, index: str, metric_prefix: str,
                 settings: BulkSettings = BulkSettings(), history_index: str | None = None,
                 merge: Merge | None = None, rollover: Sizing | None = None,
                 repeats_are_duplicates: bool = False) -> None:
        super().__init__()
        if settings.max_in_flight < 1:
            raise ValueError("BulkSettings.max_in_flight must be at least 1")
        self.writer = _BulkWriter(connection, index, metric_prefix, settings, history_index,
                                  merge, rollover, repeats_are_duplicates)

    def expand(self, documents: beam.PCollection) -> beam.PCollection:
        return self._bulk(documents)[DEAD_LETTER]

    def _bulk(self, documents: beam.PCollection) -> Any:
        return documents | "Bulk" >> beam.ParDo(self.writer).with_outputs(
            DEAD_LETTER, main="written")


class WriteAndPassOn(WriteToElasticsearch):
    """WriteToElasticsearch that also passes on, as `written`, a `Written` for each document
    the index took (created or replaced), once its bulk request is answered; returns both
    outputs (`written` and the dead letters). With `unchanged`, also each document the index
    already held in that version or a newer one (a conflict): it is in the index all the same."""

    def __init__(self, *args: Any, unchanged: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writer.pass_on = True
        self.writer.pass_unchanged = unchanged

    def expand(self, documents: beam.PCollection) -> Any:
        return self._bulk(documents)


Buffered = tuple[Document, WindowedValue, bytes]
"""A buffered document, where its output goes (window, timestamp), and its bulk lines."""
Failed = tuple[Buffered, int, dict[str, Any]]
"""A buffered document whose bulk item failed, with the item's status and error."""
Written = tuple[Document, str]
"""A document the index took, and the piece (concrete index) it went to."""


@dataclass
class _Outcome:
    """What writing one batch came to. Counted on the bundle's thread: Beam metrics belong to
    the thread that runs the DoFn, not to the writer thread."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    retried: int = 0
    revisions: int = 0
    rejected: list[tuple[Buffered, str]] = field(default_factory=list)
    written: list[tuple[Buffered, str]] = field(default_factory=list)  # with `pass_on`

    def retrying(self, documents: int) -> Callable[[], None]:
        """A Repeater's `on_retry`: a request for `documents` is tried again."""
        def count() -> None:
            self.retried += documents
        return count


class _BulkWriter(beam.DoFn):
    """Buffers documents per bundle and writes each full batch with the bulk API.

    Batches are written on a writer thread while the bundle fills the next one, so encoding
    overlaps indexing; the bundle finishes only when every batch is written.
    """

    def __init__(self, connection: EsConnection, index: str, metric_prefix: str,
                 settings: BulkSettings, history_index: str | None, merge: Merge | None,
                 rollover: Sizing | None, repeats_are_duplicates: bool) -> None:
        self.connection = connection
        self.index = index
        self.settings = settings
        self.history_index = history_index
        self.merge = merge
        self.rollover = rollover
        self.repeats_are_duplicates = repeats_are_duplicates
        self.pass_on = self.pass_unchanged = False
        counter = lambda name: Metrics.counter("newswire", f"{metric_prefix}_{name}")  # noqa: E731
        self.created, self.updated, self.unchanged = (
            counter("created"), counter("updated"), counter("unchanged"))
        self.retried, self.rejected = counter("retried"), counter("rejected")
        self.revisions = counter("revisions")
        self.duplicates = Metrics.counter("newswire", "duplicates_dropped")

    def setup(self) -> None:
        self.client = self.connection.client()
        self.repeater = Repeater(self.settings.retry, self.connection.address)
        # The client's own serializer, so bulk bodies are encoded exactly as its other calls.
        self.serializer = self.client.transport.serializers.get_serializer("application/json")
        self.writers = ThreadPoolExecutor(self.settings.max_in_flight, thread_name_prefix="bulk")
        # the job rolled the alias over at its start if it was due
        self.next_rollover_check = time.monotonic() + (
            self.rollover.check_every or 0.0 if self.rollover else 0.0)
        # With `repeats_are_duplicates`: the ids the index answered for in this run (about 60
        # bytes each), so a later conflict on one is a repeat, not an unchanged article.
        self.answered: set[str] = set()

    def teardown(self) -> None:
        self.writers.shutdown(wait=True)
        self.client.close()

    def start_bundle(self) -> None:
        self.buffer: list[Buffered] = []
        self.buffered_bytes = 0
        self.in_flight: deque[Future[_Outcome]] = deque()

    def process(self, document: Document, window: BoundedWindow = beam.DoFn.WindowParam,
                timestamp: Any = beam.DoFn.TimestampParam) -> Iterator[Any]:
        encoded = self._encode(document)
        self.buffer.append((document, WindowedValue(None, timestamp, [window]), encoded))
        self.buffered_bytes += len(encoded)
        if (len(self.buffer) >= self.settings.max_docs
                or self.buffered_bytes >= self.settings.max_bytes):
            yield from self._submit()

    def finish_bundle(self) -> Iterator[Any]:
        yield from self._submit()
        yield from self._collect(until=0)

    def _submit(self) -> Iterator[Any]:
        """Hand the buffer to the writer thread, first waiting for a free slot."""
        if not self.buffer:
            return
        if (self.rollover and self.rollover.check_every is not None
                and time.monotonic() >= self.next_rollover_check):
            yield from self._collect(until=0)  # this writer's documents are in place first
            self._roll_over(self.rollover.check_every)
        yield from self._collect(until=self.settings.max_in_flight - 1)
        batch = self.buffer
        self.buffer, self.buffered_bytes = [], 0
        self.in_flight.append(self.writers.submit(self._write, batch))

    def _collect(self, until: int) -> Iterator[Any]:
        """Wait for written batches until at most `until` remain; count them, dead-letter the
        rejected. A batch that failed outright raises here, failing the bundle for a retry."""
        while len(self.in_flight) > until:
            outcome = self.in_flight.popleft().result()
            self.created.inc(outcome.created)
            self.updated.inc(outcome.updated)
            self.unchanged.inc(outcome.unchanged)
            self.retried.inc(outcome.retried)
            self.revisions.inc(outcome.revisions)
            self.duplicates.inc(outcome.duplicates)
            for (document, where, _), piece in outcome.written:
                yield where.with_value((document, piece))
            for (document, where, _), reason in outcome.rejected:
                self.rejected.inc()
                yield from self._dead_letter(document, where, reason)

    def _roll_over(self, check_every: float) -> None:
        """Roll the alias, and the history's, over where their write pieces are full."""
        assert self.rollover is not None
        for alias in filter(None, (self.index, self.history_index)):
            rolled = self.repeater.call(lambda alias=alias: roll_over(self.client, alias,
                                                                      self.rollover))
            if rolled:
                LOG.info("rolled %s over to %s", alias, rolled)
        self.next_rollover_check = time.monotonic() + check_every

    def _write(self, batch: list[Buffered]) -> _Outcome:
        """On the writer thread: where the batch's ids are stored, their history, then bulk
        requests until every item is written, rejected, or out of retries. Items answered 429
        are retried for as long as the policy waits for an overloaded node; past that, the run
        stops."""
        outcome = _Outcome()
        if self.history_index or self.merge or self.rollover:
            stored = self._current([document.id for document, _, _ in batch], outcome)
            if self.history_index:
                outcome.revisions = self._record_revisions(
                    [document for document, _, _ in batch], stored, outcome)
            batch = self._placed(batch, stored)
        backoff = self.repeater.backoff()
        pending = batch
        while pending:
            failed = self._send(pending, outcome)
            if failed:
                backoff.failed(f"{len(failed)} of {len(pending)} items answered "
                               + ", ".join(sorted({str(status) for _, status, _ in failed})))
            pending = []
            for pair, status, error in failed:
                if backoff.allows(Failure.of_status(status)):
                    pending.append(pair)
                else:
                    outcome.rejected.append((pair, _reason(status, error)))
            if pending:
                outcome.retried += len(pending)
                backoff.pause()
        return outcome

    def _current(self, ids: list[str], outcome: _Outcome) -> list[dict[str, Any]]:
        """The stored documents of `ids`, in whichever piece behind the alias each lives
        (`pieces.lookup`), with as much source as the merge or the history needs; under the
        retry policy."""
        fields: dict[str, Any] = ({} if self.merge
                                  else {"source_includes": _REVISION_FIELDS} if self.history_index
                                  else {"source": False})
        return self.repeater.call(lambda: lookup(self.client, self.index, ids, **fields),
                                  on_retry=outcome.retrying(len(ids)))

    def _placed(self, batch: list[Buffered], stored: list[dict[str, Any]]) -> list[Buffered]:
        """The batch with each source merged with what is stored under its id (with `merge`),
        and each stored id written to the piece it lives in, so an update made after a rollover
        replaces it there instead of adding a copy to the new piece."""
        placed = []
        for (document, where, encoded), current in zip(batch, stored, strict=True):
            found = current.get("found")
            if self.merge:
                document = dataclasses.replace(document, source=self.merge(
                    current["_source"] if found else None, document.source))
            if self.merge or found:
                encoded = self._encode(document, current["_index"] if found else self.index)
            placed.append((document, where, encoded))
        return placed

    def _record_revisions(self, documents: list[Document], found: list[dict[str, Any]],
                          outcome: _Outcome) -> int:
        """Keep what each changed article said before this batch replaces it; returns how many."""
        operations: list[dict[str, Any]] = []
        for document, current in zip(documents, found, strict=True):
            if not current.get("found") or document.version is None:
                continue
            old = current["_source"]
            if (old.get("fingerprint") == document.source.get("fingerprint")
                    or current["_version"] >= document.version):
                continue
            record_id = revision_id(document.id, current["_version"])
            operations += [{"index": {"_index": self.history_index, "_id": record_id}},
                           revision_document(old, current["_version"], document.source)]
        if operations:
            self.repeater.call(lambda: self.client.bulk(operations=operations),
                               on_retry=outcome.retrying(len(operations) // 2))
        return len(operations) // 2

    def _encode(self, document: Document, index: str | None = None) -> bytes:
        """The document's two bulk lines for `index` (default: the alias), serialised once:
        they are sized and sent as is."""
        action: dict[str, Any] = {"_index": index or self.index, "_id": document.id}
        if document.version is not None:
            action.update(version=document.version, version_type="external")
        dumps = self.serializer.dumps
        return b"".join((dumps({"index": action}), b"\n", dumps(document.source), b"\n"))

    def _send(self, batch: list[Buffered], outcome: _Outcome) -> list[Failed]:
        """One bulk request; counts each item's outcome and returns the items that failed in a
        way worth another attempt (429, 5xx).

        The request itself is repeated under the retry policy; one that still fails raises,
        failing the bundle for the runner to retry (ids are fixed, so that is safe). A request
        refused as a whole for its content is split in halves until the document that spoiled
        it stands alone and is rejected."""
        operations = b"".join(encoded for _, _, encoded in batch)
        try:
            response = self.repeater.call(lambda: self.client.bulk(operations=operations),
                                          on_retry=outcome.retrying(len(batch)))
        except ApiError as error:
            if error.status_code not in _SPLIT_STATUS:
                raise
            if len(batch) == 1:
                outcome.rejected.append((batch[0], _reason(error.status_code, _error(error))))
                return []
            middle = len(batch) // 2
            return self._send(batch[:middle], outcome) + self._send(batch[middle:], outcome)
        failed = []
        for item, pair in zip(response["items"], batch, strict=True):
            result = item["index"]
            status = result.get("status", 0)
            if status in (200, 201, 409) and self.repeats_are_duplicates:
                repeat = pair[0].id in self.answered
                self.answered.add(pair[0].id)
                if status == 409 and repeat:
                    outcome.duplicates += 1
                    continue
            held = status in (200, 201) or (status == 409 and self.pass_unchanged)
            if self.pass_on and held:
                outcome.written.append((pair, result["_index"]))
            if status == 201:
                outcome.created += 1
            elif status == 200:
                outcome.updated += 1
            elif status == 409:
                outcome.unchanged += 1
            elif status in RETRYABLE_STATUS:
                failed.append((pair, status, result.get("error", {})))
            else:
                outcome.rejected.append((pair, _reason(status, result.get("error", {}))))
        return failed

    def _dead_letter(self, document: Document, where: WindowedValue,
                     reason: str) -> Iterator[Any]:
        if not document.is_entry:
            LOG.error("document %s rejected by %s: %s", document.id, self.index, reason)
            return
        letter = DeadLetter(stage="index", reason=reason, unit="entry",
                            url=document.source.get("url", ""),
                            input=json.dumps(document.source, default=str), key=document.id)
        yield beam.pvalue.TaggedOutput(DEAD_LETTER, where.with_value(letter))


def _error(error: ApiError) -> dict[str, Any]:
    """The node's error object of a refused request (its root cause when it names one)."""
    body = error.body if isinstance(error.body, dict) else {}
    detail = body.get("error")
    if not isinstance(detail, dict):
        return {"type": "", "reason": str(detail or error.message)}
    return (detail.get("root_cause") or [detail])[0]


def _reason(status: int, error: dict[str, Any]) -> str:
    return f"elasticsearch {status} {error.get('type', '')}: {error.get('reason', '')}".strip()
