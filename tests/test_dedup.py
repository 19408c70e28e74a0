"""Exact deduplication in batch: one survivor per key, the newest one, and a count of the rest."""

from __future__ import annotations

from datetime import datetime, timezone

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to

from schemas.article import Article
from transforms.dedup import DropDuplicates, article_rank, entry_key, entry_rank
from transforms.records import FeedEntry


def at(day: int) -> datetime:
    return datetime(2026, 11, day, tzinfo=timezone.utc)


def article(url: str, day: int, body: str = "Body.", updated: int | None = None) -> Article:
    return Article(url=url, canonical_url=url, title="T", outlet="O", published_at=at(day),
                   updated_at=at(updated) if updated else None, body=body)


def run_dedup(elements: list, key, prefer, expected: list) -> int:
    pipeline = beam.Pipeline(runner=FnApiRunner())
    kept = pipeline | beam.Create(elements) | DropDuplicates(key, prefer)
    assert_that(kept, equal_to(expected))
    result = pipeline.run()
    result.wait_until_finish()
    counters = result.metrics().query(MetricsFilter().with_name("duplicates_dropped"))["counters"]
    return sum(c.committed for c in counters)


def test_the_newest_version_of_an_article_survives() -> None:
    old = article("https://a.example/x", 20)
    new = article("https://a.example/x", 20, body="Changed.", updated=22)
    other = article("https://a.example/y", 21)
    assert run_dedup([old, new, other], lambda a: a.key, article_rank, [new, other]) == 1


def test_entries_with_tracking_parameters_are_the_same_page() -> None:
    plain = FeedEntry(link="https://a.example/x", feed_url="f1", published=at(20))
    tracked = FeedEntry(link="https://a.example/x?utm_source=rss&utm_medium=feed#top",
                        feed_url="f2", published=at(20))
    distinct = FeedEntry(link="https://a.example/x?id=2", feed_url="f1", published=at(20))
    assert entry_key(plain) == entry_key(tracked) != entry_key(distinct)
    assert run_dedup([plain, tracked, distinct], entry_key, entry_rank, [tracked, distinct]) == 1


def test_no_duplicates_counts_zero() -> None:
    items = [article("https://a.example/1", 20), article("https://a.example/2", 20)]
    assert run_dedup(items, lambda a: a.key, article_rank, items) == 0
