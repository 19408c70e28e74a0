"""Exact deduplication with keyed state: the same item passes once, a changed one as an update.

    items ─► (key, item) ─► Remember (per key: last fingerprint and version, forgotten
                            a time-to-live after the key was last seen) ─► new and updated items

On an unbounded input (streaming) the memory is keyed state, per key, so each worker sees only
its keys and no set lives in one process; expiry is an event-time timer, so memory stays bounded
by the keys seen within the TTL. On a bounded input (batch) the same decisions are taken over
each key's group from a GroupByKey: in batch the watermark reaches the end only after the last
item, so no key expires during the run either way, and a group costs one shuffle instead of a
state read, a write and a timer per item (which on the local multi-process runner are one
round trip each between worker and runner). A repeat (same fingerprint) or an older version is
counted as a duplicate; a newer version passes on, in both modes and on every runner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import apache_beam as beam
from apache_beam.coders import StrUtf8Coder, TupleCoder, VarIntCoder
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import StandardOptions
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.utils.timestamp import Duration, Timestamp

from newswire.schemas.article import Article
from newswire.schemas.urls import canonical_url
from newswire.transforms.coders import StateKey
from newswire.transforms.duplicates.settings import DEFAULT_TTL
from newswire.transforms.records import FeedEntry

T = TypeVar("T")


@dataclass(frozen=True)
class Identity(Generic[T]):
    """How to recognise the same item, tell a change from a repeat, and order versions.

    `advance` makes a changed item's version exceed the remembered one when its own
    timestamps did not move (a silent edit), so the index accepts it as newer. `kind` types
    the items between the steps, so they get their type's coder (transforms/coders.py).
    """

    key: Callable[[T], str]
    fingerprint: Callable[[T], str]
    version: Callable[[T], int]
    advance: Callable[[T, int], T] = lambda item, _previous: item
    kind: Any = Any


def entry_key(entry: FeedEntry) -> str:
    """Entries are the same page when their links agree once tracking parameters are gone;
    a retry of a failed page is a try of its own, the same for every source listing it."""
    link = canonical_url(entry.link)
    return f"{link} retry {entry.retry}" if entry.retry else link


def _entry_version(entry: FeedEntry) -> int:
    moment = entry.updated or entry.published
    return int(moment.timestamp() * 1000) if moment else 0


def advance_article(article: Article, previous: int) -> Article:
    """A silently edited article is updated when we first saw the edit (at least 1 ms later)."""
    if article.version > previous:
        return article
    floor = Article.moment_of(previous + 1)
    moment = max(article.fetched_at or floor, floor)
    # A version never passes the fetch (Article.version), so the fetch moves up with it.
    return article.replace(updated_at=moment, fetched_at=moment if article.fetched_at else None,
                           provenance={**article.provenance, "updated_at": "first-seen"})


ENTRIES: Identity[FeedEntry] = Identity(
    key=entry_key, fingerprint=lambda e: str(_entry_version(e)), version=_entry_version,
    kind=FeedEntry)
ARTICLES: Identity[Article] = Identity(
    key=lambda a: a.key, fingerprint=lambda a: a.fingerprint, version=lambda a: a.version,
    advance=advance_article)


class Deduplicate(beam.PTransform):
    """Drops repeats of the same key within `ttl_seconds` of its last sighting.

    `grouped` chooses the batch form (GroupByKey) or the streaming form (keyed state); by
    default a bounded input in a batch pipeline is grouped.
    """

    def __init__(self, identity: Identity, ttl_seconds: int = DEFAULT_TTL,
                 grouped: bool | None = None) -> None:
        super().__init__()
        self.identity = identity
        self.ttl_seconds = ttl_seconds
        self.grouped = grouped

    def expand(self, items: beam.PCollection) -> beam.PCollection:
        kind = self.identity.kind
        keyed = (items
                 | "Key" >> beam.Map(lambda item, key=self.identity.key: (key(item), item))
                 .with_output_types(tuple[StateKey, kind]))
        if self.grouped if self.grouped is not None else is_batch(items):
            return (keyed
                    | "Group" >> beam.GroupByKey()
                    | "Decide" >> beam.ParDo(DecideGroup(self.identity)).with_output_types(kind))
        return keyed | "Remember" >> beam.ParDo(
            Remember(self.identity, self.ttl_seconds)).with_output_types(kind)


def is_batch(pcoll: beam.PCollection) -> bool:
    """A bounded PCollection in a pipeline that is not run as streaming."""
    streaming = pcoll.pipeline.options.view_as(StandardOptions).streaming
    return bool(pcoll.is_bounded and not streaming)


class Verdicts:
    """The per-key decision both forms share: pass on new and newer items, count the rest."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity
        self.duplicates = Metrics.counter("newswire", "duplicates_dropped")
        self.updates = Metrics.counter("newswire", "updates_seen")

    def decide(self, item: Any, previous: tuple[str, int] | None) -> tuple[Any, tuple[str, int]]:
        """(the item to pass on or None, what to remember)."""
        fingerprint, version = self.identity.fingerprint(item), self.identity.version(item)
        if previous is not None:
            previous_fingerprint, previous_version = previous
            if fingerprint == previous_fingerprint or version < previous_version:
                self.duplicates.inc()
                return None, previous
            self.updates.inc()
            item = self.identity.advance(item, previous_version)
            version = self.identity.version(item)
        return item, (fingerprint, version)


class DecideGroup(beam.DoFn):
    """Batch: one key's items, oldest version first, as keyed state would see them arrive."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity
        self.verdicts = Verdicts(identity)

    def process(self, group: tuple[str, Iterable[Any]]) -> Iterator[Any]:
        version, fingerprint = self.identity.version, self.identity.fingerprint
        remembered = None
        for item in sorted(group[1], key=lambda item: (version(item), fingerprint(item))):
            passed, remembered = self.verdicts.decide(item, remembered)
            if passed is not None:
                yield passed


class Remember(beam.DoFn):
    """Per key: the last fingerprint and version passed on, until the TTL runs out."""

    SEEN = ReadModifyWriteStateSpec("seen", TupleCoder((StrUtf8Coder(), VarIntCoder())))
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(self, identity: Identity, ttl_seconds: int) -> None:
        self.verdicts = Verdicts(identity)
        self.ttl = Duration(seconds=ttl_seconds)
        self.expired = Metrics.counter("newswire", "dedup_keys_expired")

    def process(self, keyed: tuple[str, Any], timestamp: Timestamp = beam.DoFn.TimestampParam,
                seen: Any = beam.DoFn.StateParam(SEEN),
                expiry: Any = beam.DoFn.TimerParam(EXPIRY)) -> Iterator[Any]:
        previous = seen.read()
        expiry.set(timestamp + self.ttl)
        passed, remembered = self.verdicts.decide(keyed[1], previous)
        if passed is not None:
            seen.write(remembered)
            yield passed

    @on_timer(EXPIRY)
    def forget(self, seen: Any = beam.DoFn.StateParam(SEEN)) -> None:
        self.expired.inc()
        seen.clear()
