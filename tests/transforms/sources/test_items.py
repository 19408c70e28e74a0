"""The per-entry boundary of every source reader: an item read, or its own dead letter."""

from __future__ import annotations

from newswire.transforms.records import DeadLetter, FeedEntry
from newswire.transforms.sources.items import MAX_SHOWN, POLL, read_item

FEED = "https://news.example/rss"


def read(item: dict[str, str]) -> FeedEntry:
    return FeedEntry(link=item["link"], feed_url=FEED)


def test_a_readable_item_is_its_entry() -> None:
    assert read_item({"link": "https://news.example/a"}, read, FEED, str) == FeedEntry(
        link="https://news.example/a", feed_url=FEED)


def test_an_unreadable_item_is_a_dead_letter_showing_the_item() -> None:
    letter = read_item({"title": "no link"}, read, FEED, repr)
    assert isinstance(letter, DeadLetter)
    assert (letter.stage, letter.unit, letter.url) == (POLL, "entry", FEED)
    assert letter.reason == "unreadable entry: KeyError: 'link'"
    assert letter.input == "{'title': 'no link'}"
    assert letter.key == f"{FEED}#{letter.input}"


def test_a_long_item_is_shown_cut() -> None:
    letter = read_item({"title": "x" * (2 * MAX_SHOWN)}, read, FEED, repr)
    assert isinstance(letter, DeadLetter) and len(letter.input) == MAX_SHOWN


def test_an_item_that_cannot_be_shown_is_named_by_its_type() -> None:
    def refuse(item: object) -> str:
        raise RecursionError("too deep")

    letter = read_item({"title": "deep"}, read, FEED, refuse)
    assert isinstance(letter, DeadLetter) and letter.input == "dict"
