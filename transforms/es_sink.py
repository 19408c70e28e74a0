"""WriteToElasticsearch: bulk indexing with deterministic ids, versions and per-item outcomes.

    documents ──► _BulkWriter ──► (main) nothing
      (id and version       │ batches by count and bytes,
       in each one)         │ keeps superseded versions in the history index (optional),
                            │ retries 429/5xx items and connection errors with backoff
                            └──► dead_letter: items Elasticsearch rejected, with reason

Ids and versions derive from each document's content (the canonical URL, the article's own
timestamps), so a retried bundle writes the same ids without the Reshuffle that sinks with
random ids need to checkpoint them; skipping it saves encoding every document once more.
Versions are external: an older version never replaces a newer one, and re-sending the current
version is a conflict we count as `unchanged`, not an error.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
from apache_beam import coders
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import BoundedWindow
from apache_beam.utils.windowed_value import WindowedValue
from elasticsearch import ApiError, ConnectionError, ConnectionTimeout

from transforms.es_client import EsConnection
from transforms.records import DEAD_LETTER, DeadLetter
from transforms.revisions import revision_document, revision_id

LOG = logging.getLogger(__name__)
_RETRYABLE = {429, 500, 502, 503, 504}


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
    max_retries: int = 4
    backoff: float = 0.5


class WriteToElasticsearch(beam.PTransform):
    """Indexes `Document`s into `index`; returns the dead letters of rejected documents."""

    def __init__(self, connection: EsConnection, index: str, metric_prefix: str,
                 settings: BulkSettings = BulkSettings(), history_index: str | None = None
                 ) -> None:
        super().__init__()
        self.writer = _BulkWriter(connection, index, metric_prefix, settings, history_index)

    def expand(self, documents: beam.PCollection) -> beam.PCollection:
        written = documents | "Bulk" >> beam.ParDo(self.writer).with_outputs(
            DEAD_LETTER, main="written")
        return written[DEAD_LETTER]


Buffered = tuple[Document, WindowedValue, bytes]
"""A buffered document, where its output goes (window, timestamp), and its bulk lines."""


class _BulkWriter(beam.DoFn):
    """Buffers documents per bundle and flushes them with the bulk API."""

    def __init__(self, connection: EsConnection, index: str, metric_prefix: str,
                 settings: BulkSettings, history_index: str | None) -> None:
        self.connection = connection
        self.index = index
        self.settings = settings
        self.history_index = history_index
        counter = lambda name: Metrics.counter("newswire", f"{metric_prefix}_{name}")  # noqa: E731
        self.created, self.updated, self.unchanged = (
            counter("created"), counter("updated"), counter("unchanged"))
        self.retried, self.rejected = counter("retried"), counter("rejected")
        self.revisions = counter("revisions")

    def setup(self) -> None:
        self.client = self.connection.client()
        # The client's own serializer, so bulk bodies are encoded exactly as its other calls.
        self.serializer = self.client.transport.serializers.get_serializer("application/json")

    def teardown(self) -> None:
        self.client.close()

    def start_bundle(self) -> None:
        self.buffer: list[Buffered] = []
        self.buffered_bytes = 0

    def process(self, document: Document, window: BoundedWindow = beam.DoFn.WindowParam,
                timestamp: Any = beam.DoFn.TimestampParam) -> Iterator[Any]:
        encoded = self._encode(document)
        self.buffer.append((document, WindowedValue(None, timestamp, [window]), encoded))
        self.buffered_bytes += len(encoded)
        if (len(self.buffer) >= self.settings.max_docs
                or self.buffered_bytes >= self.settings.max_bytes):
            yield from self._flush()

    def finish_bundle(self) -> Iterator[Any]:
        yield from self._flush()

    def _flush(self) -> Iterator[Any]:
        pending = self.buffer
        self.buffer, self.buffered_bytes = [], 0
        if pending and self.history_index:
            self._record_revisions([document for document, _, _ in pending])
        for attempt in range(self.settings.max_retries + 1):
            if not pending:
                return
            if attempt:
                self.retried.inc(len(pending))
                time.sleep(self.settings.backoff * 2 ** (attempt - 1))
            pending, rejected = self._send(pending, last_try=attempt == self.settings.max_retries)
            for (document, where, _), reason in rejected:
                self.rejected.inc()
                yield from self._dead_letter(document, where, reason)

    def _record_revisions(self, documents: list[Document]) -> None:
        """Keep what each changed article said before this batch replaces it."""
        found = self.client.mget(index=self.index, ids=[d.id for d in documents],
                                 source_includes=["title", "body", "fingerprint", "url",
                                                  "canonical_url"])["docs"]
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
            self.client.bulk(operations=operations)
            self.revisions.inc(len(operations) // 2)

    def _encode(self, document: Document) -> bytes:
        """The document's two bulk lines, serialised once: they are sized and sent as is."""
        action: dict[str, Any] = {"_index": self.index, "_id": document.id}
        if document.version is not None:
            action.update(version=document.version, version_type="external")
        dumps = self.serializer.dumps
        return b"".join((dumps({"index": action}), b"\n", dumps(document.source), b"\n"))

    def _send(self, batch: list[Buffered], last_try: bool
              ) -> tuple[list[Buffered], list[tuple[Buffered, str]]]:
        """One bulk request; returns (items to retry, rejected items with their reasons)."""
        operations = b"".join(encoded for _, _, encoded in batch)
        try:
            response = self.client.bulk(operations=operations)
        except (ConnectionError, ConnectionTimeout) as error:
            if last_try:
                raise  # the runner retries the bundle; ids are fixed, so that is safe
            LOG.warning("bulk request failed, retrying: %s", error)
            return batch, []
        except ApiError as error:
            if error.status_code in _RETRYABLE and not last_try:
                return batch, []
            raise
        retry, rejected = [], []
        for item, pair in zip(response["items"], batch, strict=True):
            outcome = item["index"]
            status = outcome.get("status", 0)
            if status == 201:
                self.created.inc()
            elif status == 200:
                self.updated.inc()
            elif status == 409:
                self.unchanged.inc()
            elif status in _RETRYABLE and not last_try:
                retry.append(pair)
            else:
                error = outcome.get("error", {})
                rejected.append((pair, f"elasticsearch {status} {error.get('type', '')}: "
                                       f"{error.get('reason', '')}".strip()))
        return retry, rejected

    def _dead_letter(self, document: Document, where: WindowedValue,
                     reason: str) -> Iterator[Any]:
        if not document.is_entry:
            LOG.error("document %s rejected by %s: %s", document.id, self.index, reason)
            return
        letter = DeadLetter(stage="index", reason=reason, unit="entry",
                            url=document.source.get("url", ""),
                            input=json.dumps(document.source, default=str))
        yield beam.pvalue.TaggedOutput(DEAD_LETTER, where.with_value(letter))
