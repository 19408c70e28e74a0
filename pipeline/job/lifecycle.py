"""A job's life: start it (read the local feed lists, prepare the indices, build the graph,
pick the runner), wait for it, stop it, and read its summary."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import (
    PipelineOptions,
    StandardOptions,
)
from apache_beam.runners.portability import portable_runner
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.runners.runner import PipelineResult, PipelineState
from apache_beam.transforms.periodicsequence import PeriodicImpulse

from newswire.pipeline import logs
from newswire.pipeline.job import remote
from newswire.pipeline.job.errors import outage_in_one_line
from newswire.pipeline.job.feed_lists import FeedSources, read_sources
from newswire.pipeline.job.graph import IngestFeeds
from newswire.pipeline.job.pipeline_options import NewswireOptions
from newswire.pipeline.job.progress import ProgressReporter
from newswire.pipeline.job.runners import choose_runner, pool_processes
from newswire.pipeline.job.summary import Summary, summarize
from newswire.transforms import process_pool
from newswire.transforms.beam_internals import (
    cancel_job,
    forget_metrics,
    release_discarded_quietly,
)
from newswire.transforms.fetching.warc import warc_files
from newswire.transforms.index.client import check_index_name
from newswire.transforms.index.layout import (
    DEAD_LETTER_MAPPING,
    HISTORY_MAPPING,
    article_mapping_for,
    ensure_alias,
)
from newswire.transforms.index.pieces import has_lifecycle
from newswire.transforms.sources.discover import RediscoverSources, one_reader
from newswire.transforms.sources.state import STATE_MAPPING

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
    streaming = options.view_as(StandardOptions).streaming
    config = nw.ingest_config(streaming=streaming, pool_processes=pool_processes(options))
    for name in (config.index, config.dead_letter_index, config.history_index,
                 config.state_index):
        check_index_name(name)
    if config.archive:
        check_writable(config.archive)
    if config.pool_processes:
        process_pool.start_forkserver()  # the pools' processes: their imports overlap the start
    if nw.warc and (streaming or nw.feeds):
        raise ValueError("--warc reads pages from files, in batch: drop --feeds and --streaming")
    warcs = warc_files(nw.warc) if nw.warc else []
    sources = FeedSources() if nw.warc else read_sources(nw.feeds)
    if not sources.named and not nw.warc:
        raise ValueError("no feeds to poll: give --feeds FILE_OR_URL ...")
    lifecycle_managed = False  # whether the cluster rolls the aliases over (ILM), not the sinks
    if not remote.is_dry_run(options):  # a dry run only builds the job: it needs no cluster
        with config.es.session() as client:
            lifecycle_managed = has_lifecycle(client)
            for alias, mapping in ((config.index, article_mapping_for(client, say)),
                                   (config.dead_letter_index, DEAD_LETTER_MAPPING),
                                   (config.history_index, HISTORY_MAPPING),
                                   (config.state_index, STATE_MAPPING)):
                ensure_alias(client, alias, mapping, config.sizing, lifecycle_managed, say)
    source = (f"reading pages from {len(warcs)} WARC files matching {nw.warc}" if nw.warc else
              f"polling {sources.describe()}"
              + (f" (pages archived as WARC in {config.archive})" if config.archive else ""))
    say(f"{source} into {config.es.url}/{config.index}"
        + (f", every {config.poll.min_interval:g}s or as each feed asks" if streaming else ""))
    runner = choose_runner(options, resources, say)
    local = isinstance(runner, FnApiRunner) or runner == "PortableRunner"
    progress = (resources.enter_context(ProgressReporter()).directory
                if local and not streaming else None)
    pipeline = beam.Pipeline(runner=runner, options=options)
    if nw.warc:
        feeds = pipeline | "WarcFiles" >> beam.Create(warcs)
    elif streaming:
        feeds = (pipeline
                 | "Tick" >> PeriodicImpulse(fire_interval=config.poll.min_interval,
                                             apply_windowing=False)
                 | "OneReader" >> one_reader()
                 | "FeedURLs" >> beam.ParDo(RediscoverSources(
                     sources.named, config.http, config.poll.max_age,
                     config.poll.rediscover_every)))
    else:
        feeds = pipeline | "FeedURLs" >> beam.Create(sources.named)
    _ = feeds | "Ingest" >> IngestFeeds(replace(
        config, roll_over=not lifecycle_managed,
        progress_dir=str(progress) if progress else None))
    with outage_in_one_line():
        return pipeline.run()


def check_writable(directory: str) -> None:
    """Raise ValueError, in one line, unless a file can be made in `directory` (made first if
    missing; a local path or any Beam filesystem): an archive that cannot be written is found
    before the job starts, not by its workers."""
    probe = FileSystems.join(directory, f".newswire-probe-{uuid.uuid4().hex}")
    try:
        if not FileSystems.exists(directory):
            FileSystems.mkdirs(directory)
        FileSystems.create(probe).close()
        FileSystems.delete([probe])
    except Exception as error:  # whatever the filesystem says, the archive cannot be written
        raise ValueError(f"--archive {directory} cannot be written: {error}") from None



def wait(result: PipelineResult) -> None:
    """Wait for the job to finish; an outage past the wait is one line (outage_in_one_line)."""
    with outage_in_one_line():
        result.wait_until_finish()


def cancel(result: PipelineResult, timeout: float = 60.0) -> None:
    """Cancel a running job and wait (up to `timeout` seconds) until it and its local workers
    have stopped.

    A portable result's own `cancel()` stops the in-process (LOOPBACK) worker pool right after
    sending the request, before the job server has asked that pool to stop its workers; those
    then keep their streams to the job server open until it exits, and die with gRPC tracebacks
    ("Exception in thread read_state"). So the request goes to the job service first; once the
    job has ended, the job server stops the workers, which finish their bundles in flight and
    close their streams, and only then does the result stop the pool. A bundle still running
    when its harness shut down ends quietly (`release_discarded_quietly`).
    """
    if isinstance(result, portable_runner.PipelineResult):
        release_discarded_quietly()
        deadline = time.monotonic() + timeout
        cancel_job(result)  # Beam offers no public way to cancel without its clean-up
        while not PipelineState.is_terminal(result.state) and time.monotonic() < deadline:
            time.sleep(0.1)
        for thread in threading.enumerate():
            if thread.name.startswith(logs.HARNESS_THREADS):
                thread.join(max(0.0, deadline - time.monotonic()))
    result.cancel()


def current_summary(result: PipelineResult) -> Summary:
    """The summary of a running job as it stands now."""
    forget_metrics(result)  # else a portable result keeps the first answer it had
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
