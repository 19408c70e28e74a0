"""The sources a job reads, from what `--feeds` names: feed-list files read by the launcher, URLs
kept for the job's workers to read (proven in tests/faults/test_sources_feeds.py and
test_sources_robots.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswire.pipeline.job.feed_lists import FeedSources, read_sources
from newswire.transforms.sources.discover import ANY, FEED


def test_feed_list_files_give_their_feeds_in_order_once_each(tmp_path: Path) -> None:
    first = tmp_path / "first.txt"
    first.write_text("# harbour news\nhttps://a.example/rss\n\nhttps://b.example/rss  # b\n")
    second = tmp_path / "second.txt"
    second.write_text("https://b.example/rss\nhttps://c.example/rss\n")
    found = read_sources([str(first), str(second)])
    assert found.named == (("https://a.example/rss", FEED), ("https://b.example/rss", FEED),
                           ("https://c.example/rss", FEED))
    assert found.describe() == "3 feeds"


def test_urls_are_kept_for_the_workers_in_order(tmp_path: Path) -> None:
    listed = tmp_path / "feeds.txt"
    listed.write_text("https://a.example/rss\n")
    found = read_sources(["https://b.example/", str(listed), "https://b.example/"])
    assert found.named == (("https://b.example/", ANY), ("https://a.example/rss", FEED))
    assert found.describe() == "1 feed and the feeds found at 1 URL"


def test_a_missing_feed_list_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"cannot read feed list .*nowhere\.txt: No such file"):
        read_sources([str(tmp_path / "nowhere.txt")])


def test_a_feed_list_that_is_not_text_is_one_clear_error(tmp_path: Path) -> None:
    listed = tmp_path / "feeds.bin"
    listed.write_bytes(b"\xff\xfe\x00https://a.example/rss")
    with pytest.raises(ValueError, match=r"cannot read feed list .*feeds\.bin: not UTF-8 text"):
        read_sources([str(listed)])


def test_no_sources_give_no_feeds() -> None:
    assert read_sources([]) == FeedSources()
