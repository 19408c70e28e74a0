"""The feeds a job polls, from feed-list files. (URLs of sources, asked at once and kept for
their first poll, are proven in tests/faults/test_sources_feeds.py and test_sources_robots.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from newswire.pipeline.job.feed_lists import FeedSources, resolve_feeds
from newswire.transforms.fetching.settings import HttpSettings


def resolve(*sources: str) -> FeedSources:
    return resolve_feeds(list(sources), HttpSettings(), say=lambda _: None)


def test_feed_list_files_give_their_feeds_in_order_once_each(tmp_path: Path) -> None:
    first = tmp_path / "first.txt"
    first.write_text("# harbour news\nhttps://a.example/rss\n\nhttps://b.example/rss  # b\n")
    second = tmp_path / "second.txt"
    second.write_text("https://b.example/rss\nhttps://c.example/rss\n")
    found = resolve(str(first), str(second))
    assert found.urls == ["https://a.example/rss", "https://b.example/rss",
                          "https://c.example/rss"]
    assert found.listed == {str(first): ["https://a.example/rss", "https://b.example/rss"],
                            str(second): ["https://b.example/rss", "https://c.example/rss"]}
    assert found.answered == {}  # nothing asked yet: files are read, their feeds polled later


def test_a_missing_feed_list_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"cannot read feed list .*nowhere\.txt: No such file"):
        resolve(str(tmp_path / "nowhere.txt"))


def test_a_feed_list_that_is_not_text_is_one_clear_error(tmp_path: Path) -> None:
    listed = tmp_path / "feeds.bin"
    listed.write_bytes(b"\xff\xfe\x00https://a.example/rss")
    with pytest.raises(ValueError, match=r"cannot read feed list .*feeds\.bin: not UTF-8 text"):
        resolve(str(listed))


def test_no_sources_give_no_feeds() -> None:
    assert resolve() == FeedSources([])
