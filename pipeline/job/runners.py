"""Which runner a job runs on, and why: newswire picks and prepares it so nothing is downloaded
at start-up (see `choose_runner`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import ExitStack

from apache_beam.options.pipeline_options import (
    DirectOptions,
    PipelineOptions,
    PortableOptions,
    StandardOptions,
    WorkerOptions,
)
from apache_beam.portability.api import beam_provision_api_pb2
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.runners.portability.fn_api_runner.fn_runner import ExtendedProvisionInfo
from apache_beam.runners.portability.portable_runner import JobServiceHandle
from apache_beam.runners.runner import PipelineRunner

from newswire.pipeline import logs
from newswire.pipeline.options import newswire_option_names
from newswire.pipeline.services.flink import FlinkJobServer, ensure_flink_job_server
from newswire.pipeline.services.jobserver import LocalJobServer
from newswire.pipeline.services.prism import PrismJobServer, ensure_prism
from newswire.transforms import process_pool
from newswire.transforms.beam_internals import (
    HarnessCommandRunner,
    flags_given,
    set_runner_option,
)

_LOCAL_RUNNERS = {"direct", "directrunner"}
_PRISM_RUNNERS = {"prism", "prismrunner"}
_STREAMING_LOCAL_RUNNERS = {*_LOCAL_RUNNERS, *_PRISM_RUNNERS}


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
        if standard.streaming:
            # Beam's Flink runner finishes the bundle in flight inside each checkpoint and keeps
            # its output there, sent on only when that step next starts a bundle: a step that
            # gets no more input (a fetch, an extraction, once a feed's entries are through)
            # holds those pages and articles back for good, and so does a job restored from
            # that checkpoint. Finished before the barrier, the output goes on at once.
            set_runner_option(options, "finish_bundle_before_checkpointing", True)
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
    return (name in options.get_all_options(drop_default=True)
            or any(flag.lstrip("-").split("=")[0].replace("-", "_") == name
                   for flag in flags_given(options)))


def _local_runner(options: PipelineOptions) -> FnApiRunner:
    """Beam's FnApiRunner, handing its worker processes Beam's options (those set away from
    their defaults), which it does not do itself: without them workers ignore the harness log
    level and log at INFO. newswire's own options stay out; the DoFns carry what they need.
    The workers start through newswire.pipeline.job.harness, so that each of their log records
    is printed once (see there)."""
    ours = newswire_option_names()
    beams = {name: value for name, value in options.get_all_options(drop_default=True).items()
             if name not in ours}
    provision = beam_provision_api_pb2.ProvisionInfo(
        retrieval_token="unused-retrieval-token",
        pipeline_options=JobServiceHandle.encode_pipeline_options(beams))
    return HarnessCommandRunner("newswire.pipeline.job.harness",
                                provision_info=ExtendedProvisionInfo(provision))


def _submit_to(server: LocalJobServer, options: PipelineOptions) -> str:
    """Point the portable runner at a local job server; workers run in this process unless
    the options name other workers (`--environment_type EXTERNAL --environment_config ...`)."""
    portable = options.view_as(PortableOptions)
    portable.job_endpoint = server.endpoint
    portable.environment_type = portable.environment_type or "LOOPBACK"
    return "PortableRunner"
