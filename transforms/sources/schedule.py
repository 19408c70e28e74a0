"""Polite, adaptive, conditional feed polling: the per-feed state and the pure rules over it.

Times are epoch seconds and intervals seconds, so they map straight onto Beam timers. Nothing
here reads the clock or the network: the caller passes `now` and what the server said.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import pairwise
from typing import NamedTuple

from apache_beam import coders

from newswire.schemas.urls import canonical_url
from newswire.transforms.fetching.http import retry_after
from newswire.transforms.records import FeedEntry
from newswire.transforms.sources.settings import PollSettings

_PERIODS = {"hourly": 3600.0, "daily": 86400.0, "weekly": 604800.0,
            "monthly": 2592000.0, "yearly": 31536000.0}


class Seen(NamedTuple):
    """When an entry key was first and last in the feed, and the updated time it had then."""

    first: float
    last: float
    updated: float | None


@dataclass(frozen=True)
class FeedState:
    """What one feed's poller remembers between polls; `interval` is its cadence sans backoff."""

    feed_url: str
    etag: str = ""
    last_modified: str = ""
    seen: Mapping[str, Seen] = field(default_factory=dict)
    consecutive_failures: int = 0
    last_poll: float | None = None
    next_poll: float | None = None
    interval: float | None = None


class FeedStateCoder(coders.Coder):
    """FeedState as a versioned tuple of plain values, never pickled.

    A pickled state names its classes' modules, so moving a module or a Dataflow `--update`
    with changed code would lose every feed's state; this encoding names none. The seen map is
    written in key order, so equal states encode to equal bytes (deterministic).
    """

    VERSION = 1
    _OPTIONAL = coders.NullableCoder(coders.FloatCoder())
    _FIELDS = coders.TupleCoder([
        coders.VarIntCoder(),  # VERSION
        coders.StrUtf8Coder(), coders.StrUtf8Coder(), coders.StrUtf8Coder(),
        coders.IterableCoder(coders.TupleCoder([
            coders.StrUtf8Coder(), coders.FloatCoder(), coders.FloatCoder(), _OPTIONAL])),
        coders.VarIntCoder(), _OPTIONAL, _OPTIONAL, _OPTIONAL,
    ])

    def encode(self, state: FeedState) -> bytes:
        seen = [(key, mark.first, mark.last, mark.updated)
                for key, mark in sorted(state.seen.items())]
        return self._FIELDS.encode((
            self.VERSION, state.feed_url, state.etag, state.last_modified, seen,
            state.consecutive_failures, state.last_poll, state.next_poll, state.interval))

    def decode(self, encoded: bytes) -> FeedState:
        version, url, etag, modified, seen, failures, last, next_poll, interval = (
            self._FIELDS.decode(encoded))
        if version != self.VERSION:
            raise ValueError(f"feed state version {version}, this code reads {self.VERSION}")
        return FeedState(url, etag, modified,
                         {key: Seen(first, latest, updated)
                          for key, first, latest, updated in seen},
                         failures, last, next_poll, interval)

    def is_deterministic(self) -> bool:
        return True

    def to_type_hint(self) -> type:
        return FeedState


def header_interval(feed: Mapping[str, str]) -> float | None:
    """The refresh interval a parsed feed header declares (`<ttl>`, `sy:updatePeriod`).

    Both are the publisher asking not to be polled more often, so the longer one wins.
    """
    declared = [seconds for seconds in (_ttl(feed), _syndication(feed)) if seconds]
    return max(declared, default=None)


def _ttl(feed: Mapping[str, str]) -> float | None:
    """RSS 2.0 `<ttl>`: minutes the channel may be cached."""
    minutes = _positive_number(feed.get("ttl"))
    return minutes * 60 if minutes else None


def _syndication(feed: Mapping[str, str]) -> float | None:
    """RSS 1.0 syndication module: updates per period; the spec's defaults are daily and 1."""
    period = feed.get("sy_updateperiod", "").strip().lower()
    frequency = feed.get("sy_updatefrequency")
    if not period and not frequency:
        return None
    seconds = _PERIODS.get(period or "daily")
    return seconds / (_positive_number(frequency) or 1) if seconds else None


def _positive_number(value: str | None) -> float | None:
    """A positive number from feed text; None for anything else."""
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if number > 0 else None


def observed_interval(published: Iterable[datetime | None], recent: int = 20) -> float | None:
    """The median gap between the feed's `recent` newest distinct entry times, in seconds.

    The median shrugs off a burst or a long silence; fewer than two dated entries say nothing.
    """
    times = sorted({moment.timestamp() for moment in published if moment}, reverse=True)
    gaps = [newer - older for newer, older in pairwise(times[:recent])]
    return statistics.median(gaps) if gaps else None


def next_interval(state: FeedState, declared: float | None, observed: float | None,
                  response_headers: Mapping[str, str], failed: bool, settings: PollSettings,
                  now: float) -> float:
    """Seconds until the next poll, always within the settings' min and max interval.

    The cadence backs off exponentially while polls fail; the server's Retry-After and
    Cache-Control max-age are floors, as polling sooner would be refused or pointless.
    """
    delay = _cadence(state, declared, observed, settings)
    if failed:
        delay = _backoff(delay, state.consecutive_failures + 1, settings)
    floors = (retry_after(response_headers, now), max_age(response_headers))
    delay = max([delay, *(floor for floor in floors if floor is not None)])
    return min(max(delay, settings.min_interval), settings.max_interval)


def _cadence(state: FeedState, declared: float | None, observed: float | None,
             settings: PollSettings) -> float:
    """How often the feed changes: as observed, else as before, floored by what it declares."""
    cadence = observed or state.interval or settings.default_interval
    return max(cadence, declared or 0.0)


def _backoff(cadence: float, failures: int, settings: PollSettings) -> float:
    """The cadence doubled per consecutive failure, up to the cap (or the cadence, if longer)."""
    return max(cadence, min(cadence * 2.0 ** min(failures, 64), settings.backoff_cap))


def max_age(headers: Mapping[str, str]) -> float | None:
    """Cache-Control max-age: how long the response stays fresh; None if caching is refused."""
    directives = [part.strip().lower() for part in headers.get("cache-control", "").split(",")]
    if "no-cache" in directives or "no-store" in directives:
        return None
    for directive in directives:
        name, _, value = directive.partition("=")
        if name.strip() == "max-age" and value.strip().strip('"').isdigit():
            return float(value.strip().strip('"'))
    return None


def after_poll(state: FeedState, now: float, settings: PollSettings, *,
               response_headers: Mapping[str, str] | None = None,
               declared: float | None = None, observed: float | None = None,
               failed: bool = False) -> FeedState:
    """The state after a poll (200, 304 or failure): validators, failures, cadence, next poll.

    A 304 or a failure keeps the validators and seen keys; only a success resets the failures.
    """
    headers = response_headers or {}
    delay = next_interval(state, declared, observed, headers, failed, settings, now)
    if failed:
        return replace(state, consecutive_failures=state.consecutive_failures + 1,
                       last_poll=now, next_poll=now + delay)
    return replace(
        state,
        etag=headers.get("etag") or state.etag,
        last_modified=headers.get("last-modified") or state.last_modified,
        consecutive_failures=0,
        last_poll=now,
        next_poll=now + delay,
        interval=_cadence(state, declared, observed, settings),
    )


def seen_key(entry: FeedEntry) -> str:
    """What identifies an entry within its feed: its id, else its canonical link."""
    return entry.entry_id.strip() or (canonical_url(entry.link) if entry.link.strip() else "")


def new_entries(state: FeedState, entries: Iterable[FeedEntry], now: float,
                settings: PollSettings) -> tuple[list[FeedEntry], FeedState]:
    """The entries not seen before or whose updated time moved later, and the state after.

    Keys absent from the feed for longer than the seen window are forgotten, bounding the
    state; keys still in the feed are kept however old. Keyless entries cannot be tracked,
    so they always pass (and leave downstream as dead letters, having no link).
    """
    seen = dict(state.seen)
    fresh = []
    for entry in entries:
        key = seen_key(entry)
        if not key:
            fresh.append(entry)
            continue
        updated = entry.updated.timestamp() if entry.updated else None
        before = seen.get(key)
        if before is None:
            fresh.append(entry)
            seen[key] = Seen(now, now, updated)
        elif updated is not None and (before.updated is None or updated > before.updated):
            fresh.append(entry)
            seen[key] = Seen(before.first, now, updated)
        else:
            seen[key] = before._replace(last=now)
    horizon = now - settings.seen_window
    kept = {key: mark for key, mark in seen.items() if mark.last >= horizon}
    return fresh, replace(state, seen=kept)
