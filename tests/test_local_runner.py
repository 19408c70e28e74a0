"""The local batch runner: Beam's FnApiRunner with worker processes that get Beam's options."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack

import apache_beam as beam
import pytest
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions

from newswire.pipeline import job


class ReportWorker(beam.DoFn):
    """Reports, from inside a worker process, its root log level."""

    def process(self, element: int) -> Iterator[int]:
        Metrics.distribution("worker", "log_level").update(logging.getLogger().level)
        yield element


def test_worker_processes_get_the_log_level_from_the_options() -> None:
    options = PipelineOptions(feeds=["http://feeds.example/rss"], es_url="http://es.example")
    with ExitStack() as resources:
        runner = job.choose_runner(options, resources, say=lambda _: None)
        pipeline = beam.Pipeline(runner=runner, options=options)
        _ = pipeline | beam.Create(range(4)) | beam.ParDo(ReportWorker())
        result = pipeline.run()
        result.wait_until_finish()
    levels = result.metrics().query(MetricsFilter().with_name("log_level"))["distributions"]
    level = levels[0].committed
    assert (level.min, level.max) == (logging.WARNING, logging.WARNING)


@pytest.mark.parametrize(("flags", "workers"), [([], 0), (["--direct_num_workers=1"], 1),
                                                (["--direct_num_workers", "3"], 3)])
def test_one_worker_per_core_unless_the_count_is_given(flags: list[str], workers: int) -> None:
    options = PipelineOptions(flags, feeds=["http://feeds.example/rss"])
    with ExitStack() as resources:
        job.choose_runner(options, resources, say=lambda _: None)
    assert options.view_as(DirectOptions).direct_num_workers == workers  # 0: one per core
