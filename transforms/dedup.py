"""Exact deduplication: one element per key survives; the others are counted, not lost."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from schemas.article import Article
from transforms.extract import canonical_url
from transforms.records import FeedEntry


class DropDuplicates(beam.PTransform):
    """Keeps, per key, the element that `prefer` ranks highest; counts the rest as duplicates.

        elements ──► (key, element) ──► GroupByKey ──► best per key
    """

    def __init__(self, key: Callable[[Any], str], prefer: Callable[[Any], Any]) -> None:
        super().__init__()
        self.key = key
        self.prefer = prefer

    def expand(self, elements: beam.PCollection) -> beam.PCollection:
        return (
            elements
            | "Key" >> beam.Map(lambda element, key=self.key: (key(element), element))
            | "Group" >> beam.GroupByKey()
            | "KeepBest" >> beam.Map(_keep_best, self.prefer)
        )


def _keep_best(keyed: tuple[str, Iterable[Any]], prefer: Callable[[Any], Any]) -> Any:
    _, group = keyed
    candidates = list(group)
    Metrics.counter("newswire", "duplicates_dropped").inc(len(candidates) - 1)
    return max(candidates, key=prefer)


def entry_key(entry: FeedEntry) -> str:
    """Entries are the same page when their links agree once tracking parameters are gone."""
    return canonical_url(entry.link)


def entry_rank(entry: FeedEntry) -> tuple[float, str]:
    """Prefer the entry the feed dated latest; break ties by feed URL, for a stable result."""
    moment = entry.updated or entry.published
    return (moment.timestamp() if moment else 0.0, entry.feed_url)


def article_rank(article: Article) -> tuple[int, str]:
    """Prefer the newest version of an article, then the fingerprint for a stable result."""
    return (article.version, article.fingerprint)
