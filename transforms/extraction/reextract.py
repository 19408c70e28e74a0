"""Re-extraction: documents whose content changed while their version did not go in as newer.

Article versions are their own timestamps, so extracting an archived page again (after
extraction improved, or from an edited record) gives the same version; the index would keep
the old document as `unchanged`. This step asks the index for the stored fingerprints and
versions and gives a changed document the stored version plus one, so it replaces the old one
and the sink keeps the old one in the revision history. Unchanged documents pass untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import BoundedWindow
from apache_beam.utils.windowed_value import WindowedValue

from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.pieces import lookup
from newswire.transforms.index.retry import Repeater
from newswire.transforms.index.settings import RetryPolicy
from newswire.transforms.index.sink import Document


class AdvanceChangedVersions(beam.DoFn):
    """Documents out as they came, except that changed ones outrank their stored version."""

    def __init__(self, connection: EsConnection, index: str, batch_size: int = 500,
                 retry: RetryPolicy | None = None) -> None:
        self.connection = connection
        self.index = index
        self.batch_size = batch_size
        self.retry = retry or RetryPolicy()
        self.advanced = Metrics.counter("newswire", "articles_reextracted")

    def setup(self) -> None:
        self.client = self.connection.client()
        self.repeater = Repeater(self.retry, self.connection.address)

    def teardown(self) -> None:
        self.client.close()

    def start_bundle(self) -> None:
        self.buffer: list[tuple[Document, WindowedValue]] = []

    def process(self, document: Document, window: BoundedWindow = beam.DoFn.WindowParam,
                timestamp: Any = beam.DoFn.TimestampParam) -> Iterator[WindowedValue]:
        self.buffer.append((document, WindowedValue(None, timestamp, [window])))
        if len(self.buffer) >= self.batch_size:
            yield from self._flush()

    def finish_bundle(self) -> Iterator[WindowedValue]:
        yield from self._flush()

    def _flush(self) -> Iterator[WindowedValue]:
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        stored = self.repeater.call(lambda: lookup(
            self.client, self.index, [doc.id for doc, _ in batch],
            source_includes=["fingerprint"]))
        for (document, where), current in zip(batch, stored, strict=True):
            yield where.with_value(self._advance(document, current))

    def _advance(self, document: Document, current: dict[str, Any]) -> Document:
        if (not current.get("found") or document.version is None
                or current["_source"].get("fingerprint") == document.source.get("fingerprint")
                or current["_version"] < document.version):
            return document
        self.advanced.inc()
        return replace(document, version=current["_version"] + 1)
