"""The ingestion job: resolve the feed list, prepare the indices, run IngestFeeds on a runner."""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import (
    DirectOptions,
    PipelineOptions,
    PortableOptions,
    StandardOptions,
    WorkerOptions,
)
from apache_beam.portability import python_urns
from apache_beam.portability.api import (
    beam_job_api_pb2,
    beam_provision_api_pb2,
    beam_runner_api_pb2,
)
from apache_beam.runners.portability import portable_runner
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.runners.portability.fn_api_runner.fn_runner import ExtendedProvisionInfo
from apache_beam.runners.portability.portable_runner import JobServiceHandle
from apache_beam.runners.runner import PipelineResult, PipelineRunner, PipelineState
from apache_beam.transforms.periodicsequence import PeriodicImpulse

from newswire.deploy.flink import FlinkJobServer, ensure_flink_job_server
from newswire.deploy.jobserver import LocalJobServer
from newswire.deploy.prism import PrismJobServer, ensure_prism
from newswire.pipeline import logs, remote
from newswire.pipeline.options import NewswireOptions, newswire_option_names
from newswire.pipeline.progress import ProgressReporter
from newswire.pipeline.summary import Summary, summarize
from newswire.transforms import process_pool
from newswire.transforms.discover import Discoverer, RediscoverSources
from newswire.transforms.es_client import check_index_name
from newswire.transforms.es_indices import (
    DEAD_LETTER_MAPPING,
    HISTORY_MAPPING,
    article_mapping_for,
    ensure_index,
)
from newswire.transforms.es_retry import ClusterUnavailable
from newswire.transforms.feeds import parse_feed_list
from newswire.transforms.http import FetchError, HttpSettings, Response
from newswire.transforms.ingest import IngestConfig, IngestFeeds
from newswire.transforms.sitemaps import DEFAULT_MAX_AGE

_UNAVAILABLE = re.compile(r"ClusterUnavailable: ([^\n]*)")
_STEP = re.compile(r" \[while running '[^\n]*'\]$")  # what Beam adds in process
# Seconds a stop waits for the entries in flight to end before it cancels the job.
STOP_WAIT = 30.0
_LOCAL_RUNNERS = {"direct", "directrunner"}
_PRISM_RUNNERS = {"prism", "prismrunner"}
_STREAMING_LOCAL_RUNNERS = {*_LOCAL_RUNNERS, *_PRISM_RUNNERS}


@dataclass(frozen=True)
class FeedSources:
    """The feeds to poll, and what asking some of them already answered (see `resolve_feeds`).

    `listed` says what each source gave, for streaming runs to read the sources again.
    """

    urls: list[str]
    answered: dict[str, Response | FetchError] = field(default_factory=dict)
    listed: dict[str, list[str]] = field(default_factory=dict)


def resolve_feeds(sources: list[str], settings: HttpSettings, max_age: float = DEFAULT_MAX_AGE,
                  say: Callable[[str], None] = print) -> FeedSources:
    """URLs to poll from feed-list files and from URLs of feed lists (text or OPML), feeds,
    sitemaps, robots.txt files and homepages (see `newswire.transforms.discover`).

    A URL is asked once: what it lists is read, and a feed's answer (or failure) is kept for
    its first poll, so an unreachable URL becomes that feed's dead letter with the real reason,
    and the other sources run.
    """
    listed: dict[str, list[str]] = {}
    answered: dict[str, Response | FetchError] = {}
    with Discoverer(settings, max_age, say) as discoverer:
        for source in sources:
            if source.startswith(("http://", "https://")):
                listed[source], answer = discoverer.resolve(source)
                if answer is not None:
                    answered[source] = answer
            else:
                listed[source] = parse_feed_list(_read_feed_list(source))
    urls = list(dict.fromkeys(url for urls in listed.values() for url in urls))
    return FeedSources(urls, {url: answer for url, answer in answered.items() if url in urls},
                       listed)


def _read_feed_list(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise ValueError(f"cannot read feed list {path}: {reason}") from None


def choose_runner(options: PipelineOptions, resources: ExitStack,
                  say: Callable[[str], None] = print) -> PipelineRunner | str:
    """The runner, chosen explicitly so nothing is downloaded at start-up.

    Beam's DirectRunner would first try Prism, fetching it from the internet; for local batch
    runs newswire uses the FnApiRunner behind it directly, in this process (`runs_in_process`):
    there the steps that need the cores, extraction and MinHash sketching, run in a pool of
    processes beside it (`pool_processes`), and only their inputs and results cross a process.
    With `--direct_num_workers` or `--direct_running_mode multi_processing`, Beam's worker
    processes run the job instead (`--direct_num_workers 0`, the default there, starts one per
    core). Local
    streaming runs on Prism, which newswire provides itself: the DirectRunner's in-process
    fallbacks reject PeriodicImpulse or fire event-time timers at once; `--runner prism` uses
    that Prism in batch too. `--runner flink` runs on an embedded Flink cluster through Beam's
    Flink job server (`FlinkRunner` and other names go to Beam unchanged). On both, workers run
    in this process unless `--environment_type EXTERNAL` names a worker pool. Job servers are
    entered into `resources`, which stops them.
    """
    standard = options.view_as(StandardOptions)
    name = standard.runner
    local_streaming = standard.streaming and (name or "direct").lower() in _STREAMING_LOCAL_RUNNERS
    if local_streaming or (name or "").lower() in _PRISM_RUNNERS:
        binary = ensure_prism(say)
        server = resources.enter_context(PrismJobServer(binary))
        say(f"{'streaming' if standard.streaming else 'running'} on the Prism runner "
            f"({binary}, job server {server.endpoint})")
        return _submit_to(server, options)
    if name == "flink":
        server = resources.enter_context(FlinkJobServer(ensure_flink_job_server(say)))
        say(f"running on an embedded Flink cluster (job server {server.endpoint})")
        return _submit_to(server, options)
    if name is None or name.lower() in _LOCAL_RUNNERS:
        direct = options.view_as(DirectOptions)
        if runs_in_process(options):
            direct.direct_running_mode, direct.direct_num_workers = "in_memory", 1
        else:  # Beam's worker processes, asked for
            direct.direct_running_mode = "multi_processing"
            if not _given(options, "direct_num_workers"):
                direct.direct_num_workers = 0  # one worker process per core
        workers = options.view_as(WorkerOptions)
        workers.default_sdk_harness_log_level = (workers.default_sdk_harness_log_level
                                               or logs.harness_level())
        return _local_runner(options)
    return name


def runs_in_process(options: PipelineOptions) -> bool:
    """Whether the job runs in this one process: a local batch run on newswire's default
    runner, where neither `--direct_num_workers` nor `--direct_running_mode` asks for Beam's
    worker processes (see `choose_runner`)."""
    standard = options.view_as(StandardOptions)
    return (not standard.streaming and (standard.runner or "direct").lower() in _LOCAL_RUNNERS
            and not _given(options, "direct_num_workers")
            and not _given(options, "direct_running_mode"))


def pool_processes(options: PipelineOptions) -> int:
    """Processes the CPU-bound steps fan out to beside the runner: one per core when the job
    runs in this process, else none (each worker does its own)."""
    return (os.cpu_count() or 1) if runs_in_process(options) and process_pool.available() else 0


def _given(options: PipelineOptions, name: str) -> bool:
    """Whether `--name` was set, even to its default: Beam's default of 1 for
    direct_num_workers is not None, so neither `or` nor drop_default can tell 1 from unset."""
    flags = getattr(options, "_flags", None) or []  # Beam keeps the command line only here
    return (name in options.get_all_options(drop_default=True)
            or any(flag.lstrip("-").split("=")[0].replace("-", "_") == name for flag in flags))


class _LocalRunner(FnApiRunner):
    """Beam's FnApiRunner, whose worker processes start through newswire.pipeline.harness, so
    that each of their log records is printed once (see there)."""

    BEAM_WORKER = f"{sys.executable} -m apache_beam.runners.worker.sdk_worker_main".encode()
    WORKER = f"{sys.executable} -m newswire.pipeline.harness".encode()

    def run_via_runner_api(self, pipeline_proto: beam_runner_api_pb2.Pipeline,
                           options: PipelineOptions) -> PipelineResult:
        for environment in pipeline_proto.components.environments.values():
            if (environment.urn == python_urns.SUBPROCESS_SDK
                    and environment.payload == self.BEAM_WORKER):
                environment.payload = self.WORKER
        return super().run_via_runner_api(pipeline_proto, options)


def _local_runner(options: PipelineOptions) -> FnApiRunner:
    """Beam's FnApiRunner, handing its worker processes Beam's options (those set away from
    their defaults), which it does not do itself: without them workers ignore the harness log
    level and log at INFO. newswire's own options stay out; the DoFns carry what they need."""
    ours = newswire_option_names()
    beams = {name: value for name, value in options.get_all_options(drop_default=True).items()
             if name not in ours}
    provision = beam_provision_api_pb2.ProvisionInfo(
        retrieval_token="unused-retrieval-token",
        pipeline_options=JobServiceHandle.encode_pipeline_options(beams))
    return _LocalRunner(provision_info=ExtendedProvisionInfo(provision))


def _submit_to(server: LocalJobServer, options: PipelineOptions) -> str:
    """Point the portable runner at a local job server; workers run in this process unless
    the options name other workers (`--environment_type EXTERNAL --environment_config ...`)."""
    portable = options.view_as(PortableOptions)
    portable.job_endpoint = server.endpoint
    portable.environment_type = portable.environment_type or "LOOPBACK"
    return "PortableRunner"


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
        dead_letter_index=nw.dead_letter_index, history_index=nw.history_index,
        es_retry=nw.es_retry(), dedup_ttl=int(nw.dedup_ttl_hours * 3600),
        near_dup_threshold=nw.near_dup_threshold, drop_near_duplicates=nw.drop_near_duplicates,
        poll=nw.poll_settings(), archive=nw.archive,
        archive_file_bytes=int(nw.archive_file_mb * 2**20),
        archive_file_age=nw.archive_file_minutes * 60, warc=bool(nw.warc), **context)


# Failures the caller reports in one line, whose tracebacks Beam would log first: the worker's,
# relayed by the local job service, and the in-process runner's own.
_REPORTED = ("ClusterUnavailable", "KeyboardInterrupt")
_RELAYS = ("apache_beam.runners.portability.local_job_service", "apache_beam.runners.common")


def _not_reported(record: logging.LogRecord) -> bool:
    return not any(name in record.getMessage() for name in _REPORTED)


@contextmanager
def outage_in_one_line() -> Iterator[None]:
    """A job stopped because Elasticsearch stayed away longer than `--es-outage-wait` raises
    ClusterUnavailable with that one line (the in-process runner raises it in `run`, naming the
    step; Beam's worker processes fail `run` with its text; other runners fail
    `wait_until_finish`). A Ctrl-C stays a KeyboardInterrupt. Beam's logged tracebacks for
    either are left out, since the caller reports them."""
    relays = [logging.getLogger(name) for name in _RELAYS]
    for relay in relays:
        relay.addFilter(_not_reported)
    try:
        yield
    except ClusterUnavailable as error:  # in process: Beam raised it again, naming the step
        raise ClusterUnavailable(_STEP.sub("", str(error))) from None
    except Exception as error:
        if str(error).startswith("KeyboardInterrupt"):  # in process: Beam's RuntimeError for it
            raise KeyboardInterrupt from None
        if match := _UNAVAILABLE.search(str(error)):
            raise ClusterUnavailable(match[1]) from None
        raise
    finally:
        for relay in relays:
            relay.removeFilter(_not_reported)


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
