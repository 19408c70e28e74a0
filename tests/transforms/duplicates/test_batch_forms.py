"""The batch forms of Deduplicate and LinkNearDuplicates (GroupByKey, side input) decide exactly
as their streaming forms (keyed state, timers), and byte-identical copies are duplicates."""

from __future__ import annotations

from pathlib import Path

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to

from newswire.transforms.duplicates.exact import ARTICLES, Deduplicate, is_batch
from newswire.transforms.duplicates.near import LinkNearDuplicates
from newswire.transforms.extraction.extract import extract_article
from tests.transforms.duplicates.test_exact import article as dated_article
from tests.transforms.duplicates.test_near import (
    OTHER_STORY,
    STORY,
    article,
    cluster,
    corpus_article,
    lightly_edited,
)


def run(items: list, transform: beam.PTransform, expected: list) -> dict[str, int]:
    """Runs `transform` on the FnApiRunner, checks its output, returns its counters."""
    pipeline = beam.Pipeline(runner=FnApiRunner())
    assert_that(pipeline | beam.Create(items) | transform, equal_to(expected))
    result = pipeline.run()
    result.wait_until_finish()
    found = result.metrics().query(MetricsFilter().with_namespace("newswire"))["counters"]
    return {c.key.metric.name: c.committed for c in found if c.committed}


def test_a_bounded_input_is_batch_unless_the_pipeline_streams() -> None:
    batch = beam.Pipeline(runner=FnApiRunner())
    assert is_batch(batch | beam.Create([1]))
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    assert not is_batch(beam.Pipeline(options=options) | beam.Create([1]))


def test_dedup_groups_and_state_agree_on_repeats_updates_and_older_versions() -> None:
    first = dated_article("https://a.example/x", 20)
    repeat = first.replace()
    newer = dated_article("https://a.example/x", 20, body="Corrected.", updated=22)
    other = dated_article("https://a.example/y", 21)
    # the stateful form sees these in arrival order; oldest first is the order the group uses
    items, expected = [first, repeat, newer, other], [first, newer, other]
    stateful = run(items, Deduplicate(ARTICLES, grouped=False), expected)
    grouped = run(list(reversed(items)), Deduplicate(ARTICLES, grouped=True), expected)
    assert grouped == {"duplicates_dropped": 1, "updates_seen": 1}
    assert stateful == {**grouped, "dedup_keys_expired": 2}  # the state's TTL timers


def test_near_duplicate_links_agree_in_both_forms(corpus: Path) -> None:
    text = corpus_article(corpus, STORY).text
    first = article("https://a.example/1", 0, text)
    copy = article("https://b.example/1", 5, lightly_edited(text))
    unrelated = article("https://d.example/1", 1, corpus_article(corpus, OTHER_STORY).text)
    expected = [(first.url, first.id, ""), (copy.url, first.id, first.id),
                (unrelated.url, unrelated.id, "")]
    for grouped in (True, False):
        counters = run([copy, unrelated, first],
                       LinkNearDuplicates(grouped=grouped) | beam.Map(cluster), expected)
        assert counters == {"near_duplicates": 1}


def test_grouped_bands_forget_copies_seen_further_apart_than_the_ttl(corpus: Path) -> None:
    text = corpus_article(corpus, STORY).text
    items = [beam.window.TimestampedValue(article(f"https://{host}.example/1", minute, text), at)
             for host, minute, at in (("a", 0, 0), ("b", 1, 50), ("c", 2, 120))]
    a, b, c = (item.value for item in items)
    expected = [(a.url, a.id, ""), (b.url, a.id, a.id), (c.url, b.id, b.id)]
    # b is within 100 s of a and of c; c comes 120 s after a, past the TTL, so it links to b
    assert run(items, LinkNearDuplicates(ttl_seconds=100, grouped=True) | beam.Map(cluster),
               expected) == {"near_duplicates": 2}


def test_byte_identical_pages_under_two_urls_have_one_fingerprint() -> None:
    html = ("<html><head><title>Rates held</title>"
            '<link rel="canonical" href="https://www.ledger.co.uk/rates"></head><body><article>'
            "<h1>Rates held</h1><p>The central bank kept its rate unchanged on Tuesday, "
            'citing <a href="/topics/inflation">cooling inflation</a> and steady jobs.</p>'
            "<p>Markets had expected the decision after weeks of signals.</p>"
            "</article></body></html>")
    one = extract_article(html, "https://www.ledger.co.uk/rates")
    other = extract_article(html, "https://amp.ledger.co.uk/copy/rates")  # the same site
    assert one.body != other.body  # the relative link resolves against each URL
    assert one.key == other.key and one.fingerprint == other.fingerprint
    assert run([one, other], Deduplicate(ARTICLES), [one]) == {"duplicates_dropped": 1}
    # on another site, a copy keeps its own identity (and is linked as a near-duplicate)
    mirror = extract_article(html, "https://mirror.example/copy/rates")
    assert mirror.key == "https://mirror.example/copy/rates"
    assert mirror.fingerprint == one.fingerprint
