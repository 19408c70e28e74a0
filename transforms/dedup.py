"""Exact deduplication with keyed state: the same item passes once, a changed one as an update.

    items ─► (key, item) ─► Remember (per key: last fingerprint and version, forgotten
                            a time-to-live after the key was last seen) ─► new and updated items

The same code runs in batch and streaming, on every runner: state is per key, so each worker
sees only its keys and no set lives in one process. A repeat (same fingerprint) or an older
version is counted as a duplicate; a newer version passes on. Expiry is an event-time timer, so
memory stays bounded by the keys seen within the TTL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import apache_beam as beam
from apache_beam.coders import StrUtf8Coder, TupleCoder, VarIntCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.utils.timestamp import Duration, Timestamp

from newswire.schemas.article import Article
from newswire.transforms.keys import StateKey
from newswire.transforms.records import FeedEntry
from newswire.transforms.urls import canonical_url

T = TypeVar("T")
DEFAULT_TTL = 3 * 24 * 3600


@dataclass(frozen=True)
class Identity(Generic[T]):
    """How to recognise the same item, tell a change from a repeat, and order versions.

    `advance` makes a changed item's version exceed the remembered one when its own
    timestamps did not move (a silent edit), so the index accepts it as newer.
    """

    key: Callable[[T], str]
    fingerprint: Callable[[T], str]
    version: Callable[[T], int]
    advance: Callable[[T, int], T] = lambda item, _previous: item


def entry_key(entry: FeedEntry) -> str:
    """Entries are the same page when their links agree once tracking parameters are gone."""
    return canonical_url(entry.link)


def _entry_version(entry: FeedEntry) -> int:
    moment = entry.updated or entry.published
    return int(moment.timestamp() * 1000) if moment else 0


def _advance_article(article: Article, previous: int) -> Article:
    """A silently edited article is updated when we first saw the edit (at least 1 ms later)."""
    if article.version > previous:
        return article
    floor = Article.moment_of(previous + 1)
    moment = max(article.fetched_at or floor, floor)
    # A version never passes the fetch (Article.version), so the fetch moves up with it.
    return article.replace(updated_at=moment, fetched_at=moment if article.fetched_at else None,
                           provenance={**article.provenance, "updated_at": "first-seen"})


ENTRIES: Identity[FeedEntry] = Identity(
    key=entry_key, fingerprint=lambda e: str(_entry_version(e)), version=_entry_version)
ARTICLES: Identity[Article] = Identity(
    key=lambda a: a.key, fingerprint=lambda a: a.fingerprint, version=lambda a: a.version,
    advance=_advance_article)


class Deduplicate(beam.PTransform):
    """Drops repeats of the same key within `ttl_seconds` of its last sighting."""

    def __init__(self, identity: Identity, ttl_seconds: int = DEFAULT_TTL) -> None:
        super().__init__()
        self.identity = identity
        self.ttl_seconds = ttl_seconds

    def expand(self, items: beam.PCollection) -> beam.PCollection:
        return (
            items
            | "Key" >> beam.Map(lambda item, key=self.identity.key: (key(item), item))
            .with_output_types(tuple[StateKey, Any])
            | "Remember" >> beam.ParDo(Remember(self.identity, self.ttl_seconds))
        )


class Remember(beam.DoFn):
    """Per key: the last fingerprint and version passed on, until the TTL runs out."""

    SEEN = ReadModifyWriteStateSpec("seen", TupleCoder((StrUtf8Coder(), VarIntCoder())))
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(self, identity: Identity, ttl_seconds: int) -> None:
        self.identity = identity
        self.ttl = Duration(seconds=ttl_seconds)
        self.duplicates = Metrics.counter("newswire", "duplicates_dropped")
        self.updates = Metrics.counter("newswire", "updates_seen")
        self.expired = Metrics.counter("newswire", "dedup_keys_expired")

    def process(self, keyed: tuple[str, Any], timestamp: Timestamp = beam.DoFn.TimestampParam,
                seen: Any = beam.DoFn.StateParam(SEEN),
                expiry: Any = beam.DoFn.TimerParam(EXPIRY)) -> Iterator[Any]:
        _, item = keyed
        fingerprint, version = self.identity.fingerprint(item), self.identity.version(item)
        previous = seen.read()
        expiry.set(timestamp + self.ttl)
        if previous is not None:
            previous_fingerprint, previous_version = previous
            if fingerprint == previous_fingerprint or version < previous_version:
                self.duplicates.inc()
                return
            self.updates.inc()
            item = self.identity.advance(item, previous_version)
            version = self.identity.version(item)
        seen.write((fingerprint, version))
        yield item

    @on_timer(EXPIRY)
    def forget(self, seen: Any = beam.DoFn.StateParam(SEEN)) -> None:
        self.expired.inc()
        seen.clear()
