"""Near-duplicate detection: the MinHash pieces, batch linking, the corpus's one republished
wire story, and TTL expiry in a streaming run on Prism.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing import test_stream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from newswire.pipeline.services.prism import PrismJobServer
from newswire.schemas.article import Article
from newswire.schemas.seed import parse
from newswire.transforms.duplicates.near import (
    DROPPED,
    DropCopies,
    LinkNearDuplicates,
    band_keys,
    band_shape,
    compact,
    shingles,
    signature,
    similarity,
)
from newswire.transforms.duplicates.settings import DEFAULT_THRESHOLD
from tests.conftest import on_prism

WIRE = "meridian-wire/business/central-bank-holds-rates-signals-patience-on-cuts"
REPUBLISHED = "northwind-herald/business/central-bank-keeps-rates-on-hold-as-inflation-cools"
STORY = "meridian-wire/business/cocoa-futures-ease-as-west-african-harvest-improves"
OTHER_STORY = "northwind-herald/world/port-strike-ends-after-nine-days"
Cluster = tuple[str, str, str]  # (url, cluster_id, duplicate_of)


def corpus_article(corpus: Path, name: str) -> Article:
    """A corpus article with the exact publication time from its sidecar."""
    published = json.loads((corpus / f"{name}.json").read_text())["published"]
    article = parse((corpus / f"{name}.txt").read_text())
    return article.replace(published_at=datetime.fromisoformat(published))


def article(url: str, minute: int, body: str) -> Article:
    return Article(url=url, canonical_url=url, title="T", outlet="O", body=body,
                   published_at=datetime(2026, 11, 19, tzinfo=timezone.utc)
                   + timedelta(minutes=minute))


def lightly_edited(text: str) -> str:
    """A few words changed and a sentence added, as a republishing outlet would."""
    words = text.split()
    for index in (10, 60, 120):
        words[index] = "changed"
    return " ".join(words) + " The outlet added this closing sentence of its own."


def sig(text: str) -> bytes:
    return compact(signature(shingles(text)))


def cluster(article: Article) -> Cluster:
    return article.url, article.cluster_id, article.duplicate_of


def run_batch(articles: list[Article], expected: list[Cluster], drop: bool = False,
              **options: object) -> int:
    """Runs LinkNearDuplicates (then DropCopies if `drop`) on the FnApiRunner, checks the output
    clusters (and that the dropped are the copies), returns the count."""
    pipeline = beam.Pipeline(runner=FnApiRunner())
    linked = pipeline | beam.Create(articles) | LinkNearDuplicates(**options)
    if drop:
        kept = linked | beam.ParDo(DropCopies()).with_outputs(DROPPED, main="articles")
        linked = kept.articles
        assert_that(kept[DROPPED] | beam.Map(lambda copy: bool(copy.duplicate_of)),
                    equal_to([True] * (len(articles) - len(expected))), label="Dropped")
    assert_that(linked | beam.Map(cluster), equal_to(expected))
    result = pipeline.run()
    result.wait_until_finish()
    counters = result.metrics().query(MetricsFilter().with_name("near_duplicates"))["counters"]
    return sum(c.committed for c in counters)


def test_shingles_ignore_case_and_punctuation() -> None:
    assert shingles("The Bank, it said: rates HOLD today.") == shingles(
        "the bank it said rates hold today")
    assert shingles("one two three four five six") == {"one two three four five",
                                                        "two three four five six"}
    assert shingles("too short") == {"too short"}
    assert shingles(" ... ") == set()


def test_identical_text_is_similarity_one(corpus: Path) -> None:
    text = corpus_article(corpus, STORY).text
    assert similarity(sig(text), sig(text)) == 1.0


def test_light_edits_stay_above_threshold(corpus: Path) -> None:
    text = corpus_article(corpus, STORY).text
    assert similarity(sig(text), sig(lightly_edited(text))) > max(DEFAULT_THRESHOLD, 0.7)


def test_different_stories_fall_below_threshold(corpus: Path) -> None:
    one, other = (corpus_article(corpus, name).text for name in (STORY, OTHER_STORY))
    assert similarity(sig(one), sig(other)) < DEFAULT_THRESHOLD / 3


def test_band_shape_and_keys() -> None:
    assert band_shape(0.5) == (32, 4)  # S-curve at (1/32)^(1/4) = 0.42
    assert band_shape(0.3) == (42, 3)  # (1/42)^(1/3) = 0.29
    one, other = (signature(shingles(text)) for text in ("a b c d e f g h", "a b c d e f g x"))
    keys, other_keys = band_keys(one, 32, 4), band_keys(other, 32, 4)
    assert len(set(keys)) == 32 and keys == band_keys(signature(shingles("a b c d e f g h")), 32, 4)
    assert set(keys) & set(other_keys)  # 3 of 4 shingles shared: some band agrees
    assert set(keys) != set(other_keys)


@pytest.mark.parametrize("processes", [0, 2])  # 2: sketched in worker processes
def test_copies_join_the_earliest_copy_whatever_the_arrival_order(corpus: Path,
                                                                  processes: int) -> None:
    text = corpus_article(corpus, STORY).text
    first = article("https://a.example/1", 0, text)
    copy = article("https://b.example/1", 5, lightly_edited(text))
    later = article("https://c.example/1", 9, text + " Updated with a final line.")
    unrelated = article("https://d.example/1", 1, corpus_article(corpus, OTHER_STORY).text)
    expected = [
        (first.url, first.id, ""),
        (copy.url, first.id, first.id),
        (later.url, first.id, first.id),
        (unrelated.url, unrelated.id, ""),
    ]
    assert run_batch([later, unrelated, copy, first], expected, processes=processes) == 2


def test_drop_removes_copies_but_counts_them(corpus: Path) -> None:
    text = corpus_article(corpus, STORY).text
    first = article("https://a.example/1", 0, text)
    copy = article("https://b.example/1", 5, lightly_edited(text))
    empty = article("https://e.example/1", 1, "")
    expected = [(first.url, first.id, ""), (empty.url, empty.id, "")]
    assert run_batch([copy, first, empty], expected, drop=True) == 1


@pytest.mark.timeout(600)
def test_corpus_has_exactly_one_republished_story(corpus: Path) -> None:
    names = [str(path.relative_to(corpus).with_suffix("")) for path in sorted(corpus.rglob("*.txt"))
             if path.name != "feeds.txt"]
    assert len(names) == 43
    articles = [corpus_article(corpus, name) for name in names]
    wire, republished = (corpus_article(corpus, name) for name in (WIRE, REPUBLISHED))
    assert wire.published_at < republished.published_at
    expected = [(a.url, wire.id, wire.id) if a.url == republished.url else (a.url, a.id, "")
                for a in articles]
    assert run_batch(articles, expected) == 1


class AppendCluster(beam.DoFn):
    """Appends each article's cluster fields to a file, read once the streaming run ends."""

    def __init__(self, path: str) -> None:
        self.path = path

    def process(self, article: Article) -> None:
        with open(self.path, "a") as out:
            out.write(json.dumps([article.url, article.cluster_id, article.duplicate_of]) + "\n")


@pytest.mark.timeout(600)
def test_streaming_on_prism_forgets_copies_after_the_ttl(corpus: Path, tmp_path: Path,
                                                        prism_server: PrismJobServer) -> None:
    ttl = 60
    text = corpus_article(corpus, STORY).text
    first = article("https://a.example/1", 0, text)
    copy = article("https://b.example/1", 1, lightly_edited(text))
    too_late = article("https://c.example/1", 5, text)
    events = (
        test_stream.TestStream()
        .add_elements([TimestampedValue(first, 0)])
        .advance_watermark_to(10)
        .add_elements([TimestampedValue(copy, 30)])  # within the TTL of `first`
        .advance_watermark_to(100)  # `first` (expires at 60) and `copy` (at 90) are forgotten
        .add_elements([TimestampedValue(too_late, 2 * ttl + 30)])
        .advance_watermark_to_infinity()
    )
    output = tmp_path / "clusters.jsonl"
    options = on_prism(prism_server, "--streaming")
    with beam.Pipeline(options=options) as pipeline:
        _ = (pipeline | events | LinkNearDuplicates(ttl_seconds=ttl)
             | beam.ParDo(AppendCluster(str(output))))

    got = {tuple(json.loads(line)) for line in output.read_text().splitlines()}
    assert got == {
        (first.url, first.id, ""),
        (copy.url, first.id, first.id),
        (too_late.url, too_late.id, ""),
    }
