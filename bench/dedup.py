"""Benchmark: exact-dedup keying against LinkNearDuplicates' per-band logic, on synthetic records.

The stream holds original stories, near-duplicate copies (light edits, another outlet, up to 12
hours later) and exact repeats (the same URL with tracking parameters), in event-time order. Each
side runs in a forked process, so its peak RSS is its own. The near-duplicate side drives the
real DoFns (SketchArticle, MatchWithinBand) with in-memory state and emulated watermark timers,
once with the TTL and once without, to show that the TTL bounds the state.
Run as `.venv/bin/python bench/dedup.py [--records N]`.
"""

from __future__ import annotations

import argparse
import heapq
import logging
import multiprocessing
import random
import resource
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from apache_beam import coders
from apache_beam.utils.timestamp import Timestamp

from newswire.schemas.article import Article
from newswire.transforms.duplicates.exact import entry_key
from newswire.transforms.duplicates.near import MatchWithinBand, Sketch, SketchArticle, band_shape
from newswire.transforms.duplicates.settings import DEFAULT_THRESHOLD
from newswire.transforms.records import FeedEntry

SPAN = timedelta(days=10)  # event time the stream covers
TTL_SECONDS = 3 * 86400
NO_TTL_SECONDS = 100 * 365 * 86400  # longer than the stream: nothing ever expires
WORDS = 60
VOCABULARY = [f"w{n}" for n in range(20_000)]
START = datetime(2026, 11, 1, tzinfo=timezone.utc)


def synthetic_stream(count: int, seed: int = 7) -> tuple[list[Article], set[str]]:
    """`count` articles in publication order (60% originals, 25% near copies, 15% exact repeats)
    and the ids of the copies and repeats, which near-duplicate detection should link.
    """
    rng = random.Random(seed)
    step = SPAN / count
    articles: list[Article] = []
    planted: set[str] = set()
    for n in range(count):
        published = START + n * step
        roll = rng.random()
        recent = articles[max(0, n - int(timedelta(hours=12) / step)):]
        if roll < 0.6 or not recent:
            body = " ".join(rng.choices(VOCABULARY, k=WORDS))
            url = f"https://outlet{n % 50}.example/story/{n}"
            articles.append(Article(url=url, canonical_url=url, title="", outlet="",
                                    published_at=published, body=body))
        elif roll < 0.85:
            words = rng.choice(recent).body.split()
            for index in rng.sample(range(WORDS), 2):
                words[index] = rng.choice(VOCABULARY)
            body = " ".join(words + rng.choices(VOCABULARY, k=5))
            url = f"https://copy{n % 50}.example/wire/{n}"
            articles.append(Article(url=url, canonical_url=url, title="", outlet="",
                                    published_at=published, body=body))
            planted.add(articles[-1].id)
        else:
            original = rng.choice(recent)
            url = f"{original.url}?utm_source=feed&utm_medium=rss"
            articles.append(original.replace(url=url, canonical_url="", published_at=published))
            planted.add(articles[-1].id)
    return articles, planted


def exact_keying(articles: list[Article]) -> dict[str, float]:
    """The exact-dedup side: entry_key per feed entry, grouped as GroupByKey would."""
    groups: dict[str, list[FeedEntry]] = defaultdict(list)
    for article in articles:
        entry = FeedEntry(link=article.url, feed_url="bench", published=article.published_at)
        groups[entry_key(entry)].append(entry)
    return {"duplicates": len(articles) - len(groups), "keys held": len(groups)}


class Bag:
    """BagRuntimeState's read/add/clear over a list."""

    def __init__(self) -> None:
        self.items: list[Sketch] = []

    def read(self) -> list[Sketch]:
        return self.items

    def add(self, value: Sketch) -> None:
        self.items.append(value)

    def clear(self) -> None:
        self.items = []


class Timers:
    """Watermark timers of every band key: one per key, the latest set wins, as in Beam."""

    def __init__(self) -> None:
        self.due: dict[str, int] = {}
        self.heap: list[tuple[int, str]] = []

    def timer(self, key: str) -> Timer:
        return Timer(self, key)

    def fire_until(self, watermark: int) -> Iterator[tuple[str, int]]:
        """Pops the timers due at or before `watermark`, skipping ones since reset."""
        while self.heap and self.heap[0][0] <= watermark:
            micros, key = heapq.heappop(self.heap)
            if self.due.get(key) == micros:
                del self.due[key]
                yield key, micros


@dataclass
class Timer:
    """RuntimeTimer's set() for one band key."""

    timers: Timers
    key: str

    def set(self, timestamp: Timestamp) -> None:
        self.timers.due[self.key] = timestamp.micros
        heapq.heappush(self.timers.heap, (timestamp.micros, self.key))


def near_duplicate_bands(articles: list[Article], ttl_seconds: float) -> dict[str, object]:
    """The near-duplicate side: SketchArticle then MatchWithinBand per band key, timers fired as
    the watermark (the publication time) passes them; state sampled every 10,000 records.
    """
    bands, rows = band_shape(DEFAULT_THRESHOLD)
    sketcher = SketchArticle(bands, rows, ttl_seconds)
    matcher = MatchWithinBand(DEFAULT_THRESHOLD)
    state: dict[str, Bag] = defaultdict(Bag)
    timers = Timers()
    linked: set[str] = set()
    peak_entries = 0
    for n, article in enumerate(articles):
        now = Timestamp.from_utc_datetime(article.published_at)
        for key, fired in timers.fire_until(now.micros):
            matcher.forget(Timestamp(micros=fired), state[key], timers.timer(key))
            if not state[key].items:
                del state[key]
        for key, sketch in sketcher.process(article, now):
            verdicts = matcher.process((key, sketch), now, state[key], timers.timer(key))
            linked.update(later for later, _ in verdicts)
        if n % 10_000 == 0:
            peak_entries = max(peak_entries, sum(len(bag.items) for bag in state.values()))
    entries = sum(len(bag.items) for bag in state.values())
    coder = coders.registry.get_coder(Sketch)
    state_bytes = sum(len(coder.encode(sketch)) for bag in state.values() for sketch in bag.items)
    return {"band keys held": len(state), "entries held": entries,
            "peak entries": max(peak_entries, entries), "state MB": state_bytes / 1e6,
            "linked ids": linked}


Side = Callable[[list[Article]], dict[str, object]]


def measure(side: Side, articles: list[Article]) -> dict[str, object]:
    """Runs one side in a forked child: its seconds, records/s, peak RSS and its own figures."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return pool.apply(_timed, (side, articles))


def _timed(side: Side, articles: list[Article]) -> dict[str, object]:
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    figures = side(articles)
    seconds = time.perf_counter() - start
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "records/s": len(articles) / seconds,
            "peak RSS MB": peak_rss / 1024, "RSS growth MB": (peak_rss - start_rss) / 1024,
            **figures}


def with_ttl(articles: list[Article]) -> dict[str, object]:
    return near_duplicate_bands(articles, TTL_SECONDS)


def without_ttl(articles: list[Article]) -> dict[str, object]:
    return near_duplicate_bands(articles, NO_TTL_SECONDS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000, help="records (default 200000)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    articles, planted = synthetic_stream(args.records)
    bands, rows = band_shape(DEFAULT_THRESHOLD)
    print(f"{len(articles)} records over {SPAN.days} days, {len(planted)} copies and repeats; "
          f"LSH {bands} bands x {rows} rows, threshold {DEFAULT_THRESHOLD}")
    results = {
        "exact keying": measure(exact_keying, articles),
        f"near-dup, TTL {TTL_SECONDS // 86400} d": measure(with_ttl, articles),
        "near-dup, no TTL": measure(without_ttl, articles),
    }
    exact, ttl, unbounded = results.values()
    for name, figures in results.items():
        linked = figures.pop("linked ids", None)
        if linked is not None:
            figures["recall"] = len(linked & planted) / len(planted)
            figures["false links"] = len(linked - planted)
        print(f"{name:<18} " + ", ".join(f"{label} {value:,.1f}" if isinstance(value, float)
                                          else f"{label} {value:,}"
                                          for label, value in figures.items()))
    print(f"throughput near-dup/exact: {ttl['records/s'] / exact['records/s']:.3f}")
    print(f"state with TTL / without: {ttl['entries held'] / unbounded['entries held']:.2f} "
          f"(expected about {TTL_SECONDS / SPAN.total_seconds():.2f}); "
          f"RSS growth with TTL / without: {ttl['RSS growth MB'] / unbounded['RSS growth MB']:.2f}")


if __name__ == "__main__":
    main()
