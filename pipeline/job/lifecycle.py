"""A job's life: start it (resolve the feeds, prepare the indices, build the graph, pick the
runner), wait for it, stop it, and read its summary."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import (
    PipelineOptions,
    StandardOptions,
)
from apache_beam.portability.api import (
    beam_job_api_pb2,
)
from apache_beam.runners.portability import portable_runner
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.runners.runner import PipelineResult, PipelineState
from apache_beam.transforms.periodicsequence import PeriodicImpulse

from newswire.pipeline.job import remote
from newswire.pipeline.job.errors import outage_in_one_line
from newswire.pipeline.job.feed_lists import FeedSources, resolve_feeds
from newswire.pipeline.job.graph import IngestConfig, IngestFeeds
from newswire.pipeline.job.progress import ProgressReporter
from newswire.pipeline.job.runners import choose_runner, pool_processes
from newswire.pipeline.job.summary import Summary, summarize
from newswire.pipeline.options import NewswireOptions
from newswire.transforms import process_pool
from newswire.transforms.index.client import check_index_name
from newswire.transforms.index.layout import (
    DEAD_LETTER_MAPPING,
    HISTORY_MAPPING,
    article_mapping_for,
    ensure_index,
)
from newswire.transforms.sources.discover import RediscoverSources

# Seconds a stop waits for the entries in flight to end before it cancels the job.
STOP_WAIT = 30.0


def start(options: PipelineOptions, resources: ExitStack,
          say: Callable[[str], None] = print) -> PipelineResult:
    """Start ingesting every feed in `--feeds` into Elasticsearch; returns the running job.

    Services the job needs (a local Prism) are entered into `resources`; close it after the
    job has finished or been cancelled.

    In streaming mode (`--streaming`) the feeds are polled every `--poll_interval` seconds
    until the job is cancelled; each feed adapts its own schedule within that floor.
    """
    nw = options.view_as(NewswireOptions)
    connection = nw.es_connection()
    for name in (nw.index, nw.dead_letter_index, nw.history_index):
        check_index_name(name)
    settings = nw.http_settings()
    streaming = options.view_as(StandardOptions).streaming
    if pool_processes(options):
        process_pool.start_forkserver()  # the pools' processes: their imports overlap the start
    if nw.warc and (streaming or nw.feeds):
        raise ValueError("--warc reads pages from files, in batch: drop --feeds and --streaming")
    sources = (FeedSources([]) if nw.warc
               else resolve_feeds(nw.feeds, settings, nw.max_age_seconds(), say))
    feed_urls = sources.urls
    if not feed_urls and not nw.warc:
        raise ValueError("no feeds to poll: give --feeds FILE_OR_URL ...")
    if not remote.is_dry_run(options):  # a dry run only builds the job: it needs no cluster
        with connection.session() as client:
            ensure_index(client, nw.index, article_mapping_for(client, say))
            ensure_index(client, nw.dead_letter_index, DEAD_LETTER_MAPPING)
            ensure_index(client, nw.history_index, HISTORY_MAPPING)
    source = (f"reading pages from WARC files {nw.warc}" if nw.warc else
              f"polling {len(feed_urls)} feeds"
              + (f" (pages archived as WARC in {nw.archive})" if nw.archive else ""))
    say(f"{source} into {nw.es_url}/{nw.index}"
        + (f", every {nw.poll_interval:g}s or as each feed asks" if streaming else ""))
    runner = choose_runner(options, resources, say)
    local = isinstance(runner, FnApiRunner) or runner == "PortableRunner"
    progress = (resources.enter_context(ProgressReporter()).directory
                if local and not streaming else None)
    pipeline = beam.Pipeline(runner=runner, options=options)
    if nw.warc:
        feeds = pipeline | "WarcPatterns" >> beam.Create([nw.warc])
    elif streaming:
        feeds = (pipeline
                 | "Tick" >> PeriodicImpulse(fire_interval=nw.poll_interval,
                                             apply_windowing=False)
                 | "FeedURLs" >> beam.ParDo(RediscoverSources(
                     sources.listed, settings, nw.max_age_seconds(),
                     nw.rediscover_minutes * 60)))
    else:
        feeds = pipeline | "FeedURLs" >> beam.Create(feed_urls)
    _ = feeds | "Ingest" >> IngestFeeds(ingest_config(
        nw, streaming=streaming, answered=sources.answered,
        progress_dir=str(progress) if progress else None,
        pool_processes=pool_processes(options)))
    with outage_in_one_line():
        return pipeline.run()


def ingest_config(nw: NewswireOptions, **context: Any) -> IngestConfig:
    """The transforms' configuration from the options, and what the job knows (`context`)."""
    return IngestConfig(
        http=nw.http_settings(), es=nw.es_connection(), index=nw.index,
        dead_letter_index=nw.dead_letter_index, dead_letter_files=nw.dead_letter_files,
        history_index=nw.history_index, es_retry=nw.es_retry(),
        dedup_ttl=int(nw.dedup_ttl_hours * 3600),
        near_dup_threshold=nw.near_dup_threshold, drop_near_duplicates=nw.drop_near_duplicates,
        poll=nw.poll_settings(), archive=nw.archive,
        archive_file_bytes=int(nw.archive_file_mb * 2**20),
        archive_file_age=nw.archive_file_minutes * 60, warc=bool(nw.warc), **context)


def wait(result: PipelineResult) -> None:
    """Wait for the job to finish; an outage past the wait is one line (outage_in_one_line)."""
    with outage_in_one_line():
        result.wait_until_finish()


def cancel(result: PipelineResult, timeout: float = 30.0) -> None:
    """Cancel a running job and wait (up to `timeout` seconds) until it and its local workers
    have stopped.

    A portable result's own `cancel()` stops the in-process (LOOPBACK) worker pool right after
    sending the request, before the job server has asked that pool to stop its workers; those
    then keep their streams to the job server open until it exits, and die with gRPC tracebacks
    ("Exception in thread read_state"). So the request goes to the job service first; once the
    job has ended, the job server stops the workers, which finish their bundles in flight, and
    only then does the result stop the pool.
    """
    if isinstance(result, portable_runner.PipelineResult):
        deadline = time.monotonic() + timeout
        # Beam offers no public way to cancel without its clean-up; the job service is its own.
        result._job_service.Cancel(beam_job_api_pb2.CancelJobRequest(job_id=result._job_id))
        while not PipelineState.is_terminal(result.state) and time.monotonic() < deadline:
            time.sleep(0.1)
        for thread in threading.enumerate():
            if thread.name.startswith("run_worker_"):  # the pool's SDK harness threads
                thread.join(max(0.0, deadline - time.monotonic()))
    result.cancel()


def current_summary(result: PipelineResult) -> Summary:
    """The summary of a running job as it stands now."""
    if isinstance(result, portable_runner.PipelineResult):
        result._metrics = None  # else it keeps the first answer it had; no public way to ask
    return summarize(result)


def stop(result: PipelineResult, patience: float = STOP_WAIT,
         say: Callable[[str], None] = print) -> Summary:
    """Stop a running job once the entries it has seen have ended (indexed, duplicates or dead
    letters), waiting at most `patience` seconds (`--stop-wait`) for them; a Ctrl-C meanwhile
    stops it at once.

    Returns the summary read just before cancelling (metrics go with the job), which counts
    the entries still in flight then as such (`Summary.in_flight_at_stop`).
    """
    summary = current_summary(result)
    if summary.in_flight > 0:
        say(f"stopping: {summary.in_flight} {'entry' if summary.in_flight == 1 else 'entries'}"
            f" in flight, waiting up to {patience:g} s for them to end (Ctrl-C again to stop at "
            "once) ...")
        deadline = time.monotonic() + patience
        try:
            while summary.in_flight > 0 and time.monotonic() < deadline:
                time.sleep(0.25)
                summary = current_summary(result)
        except KeyboardInterrupt:
            say("stopping at once")
    else:
        say("stopping: no entries in flight, cancelling the job ...")
    cancel(result)
    return replace(summary, in_flight_at_stop=max(summary.in_flight, 0))


def run(options: PipelineOptions, say: Callable[[str], None] = print) -> Summary:
    """Run the job to completion (batch) and return its summary."""
    with ExitStack() as resources:
        result = start(options, resources, say)
        wait(result)
        return summarize(result)
