"""The progress line: what it says, how often it is drawn, and counts from worker processes."""

from __future__ import annotations

import io
from contextlib import ExitStack
from pathlib import Path

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.job import runners
from newswire.pipeline.job.progress import ProgressLine, duration, read_counts, render
from newswire.transforms.tally import Tally


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_line_names_every_count_the_rate_and_the_time_left() -> None:
    counts = {"entries": 1200, "unique": 1000, "fetched": 420, "extracted": 400,
              "indexed": 0, "dead_letters": 100}
    line = render(counts, elapsed=20.0)
    assert line == ("fetched 420  extracted 400  indexed 0  dead letters 100  20.0 articles/s  "
                    "about 25s left")  # (1000 - 400 - 100) / 20 per second


def test_pages_a_recheck_found_not_modified_are_fetched_and_done() -> None:
    counts = {"unique": 1000, "fetched": 100, "not_modified": 500, "extracted": 100,
              "dead_letters": 0}
    line = render(counts, elapsed=10.0)
    assert line.startswith("fetched 600 (500 not modified)  extracted 100")
    assert line.endswith("about 40s left")  # (1000 - 100 - 500) / 10 per second


def test_no_time_left_until_the_distinct_entries_are_known() -> None:
    assert "left" not in render({"entries": 50, "extracted": 10}, elapsed=5.0)
    assert "left" not in render({"entries": 50, "unique": 40}, elapsed=5.0)  # no rate yet


def test_durations_read_as_seconds_minutes_or_hours() -> None:
    assert [duration(s) for s in (9.4, 185, 3720)] == ["9s", "3m05s", "1h02m"]


def test_on_a_terminal_the_line_is_redrawn_in_place_at_most_once_a_second() -> None:
    stream, clock = Terminal(), Clock()
    line = ProgressLine(stream, clock=clock)
    assert line.update("one")
    clock.now += 0.5
    assert not line.update("too soon")
    clock.now += 0.5
    assert line.update("two")
    line.close()
    assert stream.getvalue() == "\r\x1b[Kone\r\x1b[Ktwo\n"


def test_elsewhere_one_plain_line_every_ten_seconds_from_the_tenth() -> None:
    stream, clock = io.StringIO(), Clock()
    line = ProgressLine(stream, clock=clock)
    for _ in range(25):  # 25 attempts, one a second
        line.update(f"at {clock.now:.0f}")
        clock.now += 1
    line.close()
    assert stream.getvalue() == "at 110\nat 120\n"


def test_counts_arrive_from_every_worker_process(tmp_path: Path) -> None:
    options = PipelineOptions(["--direct_running_mode", "multi_processing"],  # one per core
                              feeds=["http://feeds.example/rss"], es_url="http://es.example")
    with ExitStack() as resources:
        runner = runners.choose_runner(options, resources, say=lambda _: None)
        with beam.Pipeline(runner=runner, options=options) as pipeline:
            _ = (pipeline
                 | beam.Create(range(1000))
                 | beam.Reshuffle()
                 | beam.ParDo(Tally(str(tmp_path), "fetched")))
    assert read_counts(tmp_path)["fetched"] == 1000
    writers = {path.name.split("-")[1] for path in tmp_path.glob("fetched-*.count")}
    assert len(writers) > 1  # more than one worker process wrote its own file
