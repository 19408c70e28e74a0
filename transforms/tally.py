"""Tally: a step that passes elements on and keeps its count in a file, for progress lines.

A local run's workers are separate processes whose metrics the runner reports only at the end,
so each Tally writes its count to a file of its own under a shared directory, rewritten at most
every half second and at the end of each bundle; `newswire.pipeline.job.progress` sums the files.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apache_beam as beam

# What is counted, in pipeline order: entries polled, entries left after dropping repeats,
# pages fetched, articles extracted, articles handed to the index, dead letters.
COUNTS = ("entries", "unique", "fetched", "extracted", "indexed", "dead_letters")


class Tally(beam.DoFn):
    """Passes every element on and counts it into `<directory>/<name>-<pid>-<id>.count`."""

    def __init__(self, directory: str, name: str, every: float = 0.5) -> None:
        self.directory, self.name, self.every = directory, name, every

    def setup(self) -> None:
        self.path = Path(self.directory) / f"{self.name}-{os.getpid()}-{uuid.uuid4().hex}.count"
        self.count, self.written = 0, 0.0

    def process(self, element: Any) -> Iterator[Any]:
        self.count += 1
        if time.monotonic() - self.written >= self.every:
            self._write()
        yield element

    def finish_bundle(self) -> None:
        self._write()

    def _write(self) -> None:
        self.written = time.monotonic()
        scratch = self.path.with_suffix(".tmp")
        try:
            scratch.write_text(str(self.count))
            os.replace(scratch, self.path)
        except OSError:  # the run is over and the directory gone: nothing left to report
            pass
