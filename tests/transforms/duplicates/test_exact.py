"""Exact deduplication with state: repeats dropped, updates passed, keys forgotten after the TTL."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import StandardOptions
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing import test_stream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from newswire.pipeline.services.prism import PrismJobServer
from newswire.schemas.article import Article
from newswire.transforms.duplicates.exact import ARTICLES, ENTRIES, Deduplicate, entry_key
from newswire.transforms.records import FeedEntry
from tests.conftest import on_prism

DAY = 24 * 3600


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=timezone.utc)


def article(url: str, day: int, body: str = "Body.", updated: int | None = None) -> Article:
    return Article(url=url, canonical_url=url, title="T", outlet="O", published_at=at(day),
                   updated_at=at(updated) if updated else None, body=body,
                   fetched_at=at(day, 12))


def counters(result: beam.runners.runner.PipelineResult) -> dict[str, int]:
    found = result.metrics().query(MetricsFilter().with_namespace("newswire"))["counters"]
    return {c.key.metric.name: c.committed for c in found}


def run_batch(items: list, identity, expected: list) -> dict[str, int]:
    pipeline = beam.Pipeline(runner=FnApiRunner())
    assert_that(pipeline | beam.Create(items) | Deduplicate(identity), equal_to(expected))
    result = pipeline.run()
    result.wait_until_finish()
    return counters(result)


def test_repeats_are_dropped_and_counted() -> None:
    a, b = article("https://a.example/x", 20), article("https://a.example/y", 21)
    seen = run_batch([a, b, a, a], ARTICLES, [a, b])
    assert seen["duplicates_dropped"] == 2


def test_entries_with_tracking_parameters_are_the_same_page() -> None:
    plain = FeedEntry(link="https://a.example/x", feed_url="f1", published=at(20))
    tracked = FeedEntry(link="https://a.example/x?utm_source=rss&utm_medium=feed#top",
                        feed_url="f2", published=at(20))
    distinct = FeedEntry(link="https://a.example/x?id=2", feed_url="f1", published=at(20))
    assert entry_key(plain) == entry_key(tracked) != entry_key(distinct)
    # a retry of a failed page is a try of its own, the same whichever source lists it
    assert entry_key(replace(plain, retry=1)) == entry_key(replace(tracked, retry=1))
    assert entry_key(replace(plain, retry=1)) not in {entry_key(plain),
                                                       entry_key(replace(plain, retry=2))}
    seen = run_batch([plain, distinct], ENTRIES, [plain, distinct])
    assert seen.get("duplicates_dropped", 0) == 0


def test_an_edit_without_a_new_timestamp_is_still_an_update() -> None:
    first = article("https://a.example/x", 20)
    edited = first.replace(body="Corrected body.", fetched_at=at(22))
    advanced = ARTICLES.advance(edited, first.version)
    assert advanced.version > first.version
    assert advanced.updated_at == at(22)
    assert advanced.provenance["updated_at"] == "first-seen"
    assert ARTICLES.advance(article("https://a.example/x", 20, updated=23), first.version) \
        .updated_at == at(23)


def prism_pipeline(server: PrismJobServer) -> beam.Pipeline:
    options = on_prism(server, "--streaming")
    options.view_as(StandardOptions).streaming = True
    return beam.Pipeline(options=options)


def stamp(item: Article, day: int, hour: int = 0) -> TimestampedValue:
    return TimestampedValue(item, at(day, hour).timestamp())


@pytest.mark.timeout(900)
def test_timing_on_prism_late_repeats_expiry_and_update_order(
        prism_server: PrismJobServer) -> None:
    """One TestStream, four cases: a repeat within the TTL, a newer version, an older version
    arriving late, and a repeat after the TTL (remembered keys expired, so it passes again)."""
    x1 = article("https://a.example/x", 20)
    x2 = article("https://a.example/x", 20, body="Updated.", updated=21)
    y = article("https://a.example/y", 20)
    stream = (
        test_stream.TestStream()
        .advance_watermark_to(at(20).timestamp())
        .add_elements([stamp(x1, 20), stamp(y, 20)])
        .add_elements([stamp(x1, 20, 6)])                        # repeat within the TTL
        .advance_watermark_to(at(21).timestamp())
        .add_elements([stamp(x2, 21)])                           # a newer version: passes
        .add_elements([stamp(x1, 21, 1)])                        # the older one, late: dropped
        .advance_watermark_to(at(26).timestamp())                # y's key expires (TTL 3 days)
        .add_elements([stamp(y, 26)])                            # so y passes again
        .advance_watermark_to_infinity()
    )
    pipeline = prism_pipeline(prism_server)
    passed = (pipeline | stream | Deduplicate(ARTICLES, ttl_seconds=3 * DAY)
              | beam.Map(lambda a: (a.key, a.body)))
    assert_that(passed, equal_to([
        ("https://a.example/x", "Body."), ("https://a.example/y", "Body."),
        ("https://a.example/x", "Updated."), ("https://a.example/y", "Body."),
    ]))
    result = pipeline.run()
    result.wait_until_finish()
