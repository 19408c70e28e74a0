"""The end-of-run summary: counts read from Beam metrics, the check that they add up, the lines."""

from __future__ import annotations

from dataclasses import replace

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from newswire.pipeline.job.summary import Summary, summarize

# 10 entries: 6 indexed (4 new, 1 updated, 1 unchanged), 2 duplicates, 2 dead letters
RUN = Summary(feeds_polled=2, feeds_not_modified=1, feeds_failed=0, entries_seen=10,
              pages_fetched=8, articles_extracted=7, duplicates_dropped=2, near_duplicates=1,
              near_duplicates_dropped=0, created=4, updated=1, unchanged=1, revisions=1,
              dead_letters=2, dead_letters_by_stage={"fetch": 1, "extract": 1})


def test_every_entry_accounted_for_is_a_balanced_run() -> None:
    assert (RUN.indexed, RUN.in_flight, RUN.balanced, RUN.exit_status) == (6, 0, True, 0)


def test_an_entry_unaccounted_for_is_exit_status_2_unless_in_flight_at_a_stop() -> None:
    lost = replace(RUN, entries_seen=11)
    assert (lost.in_flight, lost.balanced, lost.exit_status) == (1, False, 2)
    stopped = replace(lost, in_flight_at_stop=1)
    assert (stopped.balanced, stopped.exit_status) == (True, 0)


def test_every_feed_failing_is_exit_status_3() -> None:
    nothing = replace(RUN, feeds_polled=0, feeds_failed=2, entries_seen=0, created=0, updated=0,
                      unchanged=0, duplicates_dropped=0, dead_letters=0)
    assert nothing.exit_status == 3
    assert replace(RUN, feeds_failed=1).exit_status == 0  # one failing feed is not every feed


def test_the_lines_name_every_count() -> None:
    assert RUN.render().splitlines() == [
        "feeds polled        2  (1 not modified)",
        "entries seen        10",
        "pages fetched       8",
        "articles extracted  7",
        "duplicates dropped  2",
        "near-duplicates     1  (indexed, linked to the first copy)",
        "indexed             6  (new 4, updated 1, unchanged 1); 1 earlier versions kept",
        "dead-lettered       2  (extract 1, fetch 1)",
        "entries = indexed + duplicates + dead letters: yes",
    ]


def test_entries_left_out_are_said_beside_the_entries_seen() -> None:
    waiting = replace(RUN, waiting_retry=2).render().splitlines()
    assert waiting[1] == "entries seen        10  (2 whose page failed before wait for " \
        "--retry-failed)"
    both = replace(RUN, waiting_retry=2, sitemap_entries_too_old=3).render().splitlines()
    assert both[1] == "entries seen        10  (3 sitemap entries older than --max-age " \
        "skipped; 2 whose page failed before wait for --retry-failed)"
    retried = replace(RUN, retried=1).render().splitlines()
    assert retried[1] == "entries seen        10  (1 tried again after their page failed)"


def test_a_warc_replay_says_pages_read_and_an_unbalanced_run_says_so() -> None:
    lines = replace(RUN, warc_pages_read=8, warc_records_skipped=3, entries_seen=12).render()
    assert "pages read (WARC)   8  (3 other records skipped)" in lines.splitlines()
    assert lines.endswith("NO - some entries are unaccounted for")


def count(names: list[str]) -> list[str]:
    for name in names:
        Metrics.counter("newswire", name).inc()
    return names


def test_the_summary_is_read_from_the_runs_counters() -> None:
    pipeline = beam.Pipeline(runner=FnApiRunner())
    _ = (pipeline
         | beam.Create([["feeds_polled", "entries_seen", "entries_seen", "articles_created",
                         "dead_letters_entry", "dead_letters_entry_fetch", "other_counter"]])
         | beam.Map(count))
    result = pipeline.run()
    result.wait_until_finish()
    summary = summarize(result)
    assert (summary.feeds_polled, summary.entries_seen, summary.created, summary.dead_letters,
            summary.dead_letters_by_stage) == (1, 2, 1, 1, {"fetch": 1})
    assert summary.balanced
