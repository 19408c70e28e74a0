"""The local batch runner: Beam's FnApiRunner in this process, extraction beside it in one
process per core; or, asked for, with worker processes that get Beam's options."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions

from newswire.pipeline.job import runners
from newswire.transforms import process_pool


class ReportWorker(beam.DoFn):
    """Reports, from inside a worker process, its root log level."""

    def process(self, element: int) -> Iterator[int]:
        Metrics.distribution("worker", "log_level").update(logging.getLogger().level)
        yield element


def test_worker_processes_get_the_log_level_from_the_options() -> None:
    options = PipelineOptions(["--direct_running_mode", "multi_processing"],
                              feeds=["http://feeds.example/rss"], es_url="http://es.example")
    with ExitStack() as resources:
        runner = runners.choose_runner(options, resources, say=lambda _: None)
        pipeline = beam.Pipeline(runner=runner, options=options)
        _ = pipeline | beam.Create(range(4)) | beam.ParDo(ReportWorker())
        result = pipeline.run()
        result.wait_until_finish()
    levels = result.metrics().query(MetricsFilter().with_name("log_level"))["distributions"]
    level = levels[0].committed
    assert (level.min, level.max) == (logging.WARNING, logging.WARNING)


@pytest.mark.parametrize(("flags", "mode", "workers", "extracting"), [
    ([], "in_memory", 1, os.cpu_count()),
    (["--direct_num_workers=1"], "multi_processing", 1, 0),
    (["--direct_num_workers", "3"], "multi_processing", 3, 0),
    (["--direct_running_mode", "multi_processing"], "multi_processing", 0, 0),  # 0: per core
    (["--streaming"], "in_memory", 1, 0),  # on Prism
])
def test_in_process_with_extraction_per_core_unless_workers_are_asked_for(
        flags: list[str], mode: str, workers: int, extracting: int) -> None:
    options = PipelineOptions(flags, feeds=["http://feeds.example/rss"])
    with ExitStack() as resources:
        if "--streaming" not in flags:  # streaming would start Prism
            runners.choose_runner(options, resources, say=lambda _: None)
    direct = options.view_as(DirectOptions)
    assert (direct.direct_running_mode, direct.direct_num_workers) == (mode, workers)
    assert runners.pool_processes(options) == extracting


def test_extraction_stays_inline_without_a_forkserver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process_pool, "available", lambda: False)  # as on Windows
    assert runners.pool_processes(PipelineOptions(feeds=["http://feeds.example/rss"])) == 0


class FakeJobServer:
    """Stands in for the Flink job server: these tests look at the options only."""

    endpoint = "localhost:8099"

    def __init__(self, _classpath: object) -> None:
        pass

    def __enter__(self) -> FakeJobServer:
        return self

    def __exit__(self, *_: object) -> None:
        pass


@pytest.mark.parametrize(("flags", "finished"), [(["--streaming"], True), ([], False)])
def test_streaming_on_flink_finishes_bundles_before_each_checkpoint(
        monkeypatch: pytest.MonkeyPatch, flags: list[str], finished: bool) -> None:
    monkeypatch.setattr(runners, "FlinkJobServer", FakeJobServer)
    monkeypatch.setattr(runners, "ensure_flink_job_server", lambda say: None)
    options = PipelineOptions(["--runner", "flink", *flags], feeds=["http://feeds.example/rss"])
    with ExitStack() as resources:
        assert runners.choose_runner(options, resources, say=lambda _: None) == "PortableRunner"

    def job_server_options(parser: Any) -> None:  # as the portable runner adds them
        parser.add_argument("--finish_bundle_before_checkpointing", action="store_true")

    submitted = options.get_all_options(add_extra_args_fn=job_server_options)
    assert submitted["finish_bundle_before_checkpointing"] is finished
