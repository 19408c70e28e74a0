"""Dead letters as index documents, one per input and stage, and as JSON-lines files."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import apache_beam as beam
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from newswire.transforms.index.dead_letters import (
    WriteDeadLetterFiles,
    dead_letter_document,
    dead_letter_id,
    repeated_letter,
)
from newswire.transforms.records import DeadLetter, FeedEntry

AT = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)


def letter(reason: str = "http 404", link: str = "https://news.example/a",
           entry_id: str = "urn:a", stage: str = "fetch") -> DeadLetter:
    entry = FeedEntry(link=link, feed_url="https://news.example/rss", entry_id=entry_id)
    return DeadLetter.for_entry(stage, reason, entry)


def test_the_id_is_the_inputs_own_not_its_address_or_reason() -> None:
    first = dead_letter_id(letter())
    assert dead_letter_id(letter(reason="timeout", link="https://mirror.example/a")) == first
    assert dead_letter_id(letter(entry_id="urn:b")) != first
    assert dead_letter_id(letter(stage="extract")) != first


def test_the_document_carries_the_letter_and_is_no_entry() -> None:
    found = letter()
    document = dead_letter_document(found)
    assert (document.id, document.source, document.is_entry) == (
        dead_letter_id(found), found.to_dict(), False)


def test_a_first_letter_is_one_attempt_seen_now() -> None:
    new = letter().to_dict()
    assert repeated_letter(None, new) == {**new, "attempts": 1, "first_seen": new["at"],
                                          "last_seen": new["at"]}


def test_a_letter_seen_again_counts_attempts_and_keeps_its_first_sighting() -> None:
    first = repeated_letter(None, {**letter().to_dict(), "at": AT.isoformat()})
    later = (AT + timedelta(hours=1)).isoformat()
    again = repeated_letter(first, {**letter("timeout").to_dict(), "at": later})
    assert (again["attempts"], again["first_seen"], again["last_seen"], again["reason"]) == (
        2, AT.isoformat(), later, "timeout")


def test_a_letter_stored_before_attempts_were_counted_counts_as_one() -> None:
    stored = {**letter().to_dict(), "at": AT.isoformat()}  # no attempts, no first_seen
    again = repeated_letter(stored, letter().to_dict())
    assert (again["attempts"], again["first_seen"]) == (2, AT.isoformat())


def test_letters_are_written_as_json_lines(tmp_path: Path) -> None:
    letters = [letter(), letter(entry_id="urn:b", reason="timeout")]
    with beam.Pipeline(runner=FnApiRunner()) as pipeline:
        _ = pipeline | beam.Create(letters) | WriteDeadLetterFiles(str(tmp_path), streaming=False)
    files = list(tmp_path.glob("dead-letters*.jsonl"))
    assert files
    written = [json.loads(line) for path in files for line in path.read_text().splitlines()]
    assert sorted(line["reason"] for line in written) == ["http 404", "timeout"]
    assert {line["key"] for line in written} == {"urn:a", "urn:b"}
