"""Dead letters as index documents: one per failed input and stage, however often it fails.

The id derives from the stage and the input's own identity (`DeadLetter.key`: a feed entry's
id, an article's id, a feed's URL), not from the address it was fetched from, so a rerun of the
same input finds the same letter. A letter seen again keeps its `first_seen`, counts `attempts`
and takes this failure's reason and `last_seen`: a read-then-write (`repeated_letter` as the
sink's merge), since clusters may lack scripting.

`WriteDeadLetterFiles` also keeps every letter in files, where an Elasticsearch outage cannot
hold them back.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.transforms.window import FixedWindows

from newswire.transforms.index.sink import Document
from newswire.transforms.records import DeadLetter


def dead_letter_id(letter: DeadLetter) -> str:
    key = f"{letter.stage}\n{letter.unit}\n{letter.key or letter.url}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def dead_letter_document(letter: DeadLetter) -> Document:
    return Document(id=dead_letter_id(letter), source=letter.to_dict(), is_entry=False)


def repeated_letter(stored: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """The letter to index, given the one stored under its id (None the first time)."""
    previous = stored or {}
    return {**new,
            "attempts": int(previous.get("attempts", 1 if stored else 0)) + 1,
            "first_seen": previous.get("first_seen") or previous.get("at") or new["at"],
            "last_seen": new["at"]}


class WriteDeadLetterFiles(beam.PTransform):
    """Dead letters as JSON lines in files under `prefix`, through Beam FileSystems (a local
    path, gs://, ...). Streaming writes a file set per minute of the letters' event time."""

    def __init__(self, prefix: str, streaming: bool) -> None:
        super().__init__()
        self.prefix, self.streaming = prefix, streaming

    def expand(self, letters: beam.PCollection) -> beam.pvalue.PDone:
        lines = letters | "ToJson" >> beam.Map(
            lambda letter: json.dumps(letter.to_dict(), ensure_ascii=False, default=str))
        if self.streaming:
            lines = lines | "PerMinute" >> beam.WindowInto(FixedWindows(60))
        return lines | "Write" >> fileio.WriteToFiles(
            self.prefix, file_naming=fileio.default_file_naming("dead-letters", ".jsonl"))
