"""The records between stages: a feed entry survives its JSON form (as a dead letter and a WARC
record keep it), and a dead letter names what was lost and by what key."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from newswire.transforms.records import DeadLetter, FeedEntry

ENTRY = FeedEntry(link="https://news.example/a", feed_url="https://news.example/feed.xml",
                  title="Port strike", entry_id="urn:a",
                  published=datetime(2026, 3, 1, 8, 30, tzinfo=timezone.utc),
                  authors=("Ann Lee", "Bo Ray"), tags=("ports",), source="sitemap")


def test_a_feed_entry_round_trips_through_json() -> None:
    assert FeedEntry.from_json(ENTRY.to_json()) == ENTRY


def test_keys_a_newer_writer_added_are_ignored() -> None:
    newer = {**json.loads(ENTRY.to_json()), "rank": 3}
    assert FeedEntry.from_json(json.dumps(newer)) == ENTRY


def test_a_dead_letter_keys_an_entry_by_its_id_else_its_link_else_feed_and_title() -> None:
    assert DeadLetter.for_entry("fetch", "404", ENTRY).key == "urn:a"
    no_id = FeedEntry(link="https://news.example/b", feed_url="https://news.example/feed.xml")
    assert DeadLetter.for_entry("fetch", "404", no_id).key == "https://news.example/b"
    bare = FeedEntry(link="", feed_url="https://news.example/feed.xml", title="T")
    assert DeadLetter.for_entry("poll", "empty", bare).key == "https://news.example/feed.xml#T"


def test_a_dead_letter_of_an_entry_without_a_link_is_found_by_its_feeds_url() -> None:
    bare = FeedEntry(link="", feed_url="https://news.example/feed.xml", title="T")
    assert DeadLetter.for_entry("poll", "no link", bare).url == "https://news.example/feed.xml"


def test_a_dead_letter_document_carries_its_input_and_time() -> None:
    letter = DeadLetter.for_entry("extract", "no body", ENTRY)
    doc = letter.to_dict()
    assert (doc["stage"], doc["unit"], doc["url"]) == ("extract", "entry", ENTRY.link)
    assert FeedEntry.from_json(doc["input"]) == ENTRY
    assert datetime.fromisoformat(doc["at"]) == letter.at
