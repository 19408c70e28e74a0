"""Every use newswire makes of Apache Beam's private attributes, in one place, each with why.

Written against Beam 2.77; check each on a Beam upgrade (the tests that cover them are named
below). Each stays because Beam 2.77 has no public way to do the same thing:

- `StrictPrimitivesCoder`: FastPrimitivesCoder's own implementation in its deterministic mode.
  The public `as_deterministic_coder` gives a DeterministicFastPrimitivesCoder instead, which
  says it is a KV coder of itself and, in its first version, needs dill. FastCoder subclasses
  supply their implementation through `_create_impl`; FastPrimitivesCoder keeps its fallback
  coder in `_fallback_coder`. (tests/transforms/test_coders.py)
- `flags_given`: the command-line flags a PipelineOptions was made from, kept only in `_flags`;
  `get_all_options(drop_default=True)` cannot tell a flag given its default value from one not
  given. (tests/pipeline/job/test_runners.py)
- `set_runner_option`: an option only the job server knows (the portable runner asks it for
  them when it submits, and a value set in `_all_options` overrides what the flags gave);
  PipelineOptions sets no option it has no class for. (tests/pipeline/job/test_runners.py)
- `cancel_job`: a portable job's cancel request alone. The result's `cancel()` also stops the
  in-process worker pool at once, before the job server has stopped its workers; the job
  service and id are kept in `_job_service` and `_job_id`. (tests/faults/test_stop_*.py)
- `forget_metrics`: a portable result caches the first metrics it is asked for in `_metrics`,
  so a running job's counts would never change. (tests/faults/test_stop_streaming.py)
- `release_discarded_quietly`: at a stop, Beam's SDK harness shuts its bundle processors down
  without waiting for the bundles still running (the shared thread pool's `shutdown` does not
  wait); each of those, ending later, fails in `BundleProcessorCache.release` with a KeyError
  that `SdkHarness._execute` prints as a traceback (with print(), past any logging setting).
  The cache's `_lock`, `active_bundle_processors` and `failed_instruction_ids` tell such an
  instruction. (tests/faults/test_stop_streaming.py)
- `HarnessCommandRunner`: the FnApiRunner starts its worker processes with a command line of
  its own, fixed in `run_pipeline` as the payload of a subprocess environment; newswire's
  harness (newswire.pipeline.job.harness) is started instead by rewriting that payload in the
  pipeline proto. (tests/pipeline/test_logs.py)
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence

from apache_beam import coders
from apache_beam.coders import coder_impl
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability import python_urns
from apache_beam.portability.api import beam_job_api_pb2, beam_runner_api_pb2
from apache_beam.runners.portability import portable_runner
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.runners.runner import PipelineResult
from apache_beam.runners.worker import sdk_worker


class StrictPrimitivesCoder(coders.FastPrimitivesCoder):
    """FastPrimitivesCoder's bytes, and an error rather than a pickle for a value it cannot
    encode deterministically (`label` names what is encoded, in that error)."""

    label = "a value"

    def _create_impl(self) -> coder_impl.FastPrimitivesCoderImpl:
        return coder_impl.FastPrimitivesCoderImpl(
            self._fallback_coder.get_impl(), requires_deterministic_step_label=self.label)

    def is_deterministic(self) -> bool:
        return True


def flags_given(options: PipelineOptions) -> Sequence[str]:
    """The command-line flags `options` was made from (none when made from keywords)."""
    return getattr(options, "_flags", None) or []


def set_runner_option(options: PipelineOptions, name: str, value: object) -> None:
    """Set `--name` for the runner behind a job server, as if given on the command line."""
    options._all_options[name] = value


def cancel_job(result: portable_runner.PipelineResult) -> None:
    """Ask the job service to cancel the job, and nothing else (the caller cleans up after)."""
    result._job_service.Cancel(beam_job_api_pb2.CancelJobRequest(job_id=result._job_id))


def release_discarded_quietly() -> None:
    """Make this process's SDK harnesses let a bundle that was still running when they shut
    down end without a traceback: its processor was discarded at the shutdown, so there is
    nothing left to release. Done once per process; any other release is Beam's own."""
    release = sdk_worker.BundleProcessorCache.release
    if getattr(release, "quiet_after_shutdown", False):
        return

    @functools.wraps(release)
    def quiet(cache: sdk_worker.BundleProcessorCache, instruction_id: str) -> None:
        with cache._lock:
            discarded = (instruction_id not in cache.active_bundle_processors
                         and instruction_id in cache.failed_instruction_ids)
        if not discarded:
            release(cache, instruction_id)

    quiet.quiet_after_shutdown = True  # type: ignore[attr-defined]
    sdk_worker.BundleProcessorCache.release = quiet  # type: ignore[method-assign]


def forget_metrics(result: PipelineResult) -> None:
    """Make a portable result ask the job service for its metrics again, next time."""
    if isinstance(result, portable_runner.PipelineResult):
        result._metrics = None


class HarnessCommandRunner(FnApiRunner):
    """Beam's FnApiRunner, whose worker processes run `harness` (a module) instead of Beam's
    own SDK harness entry point."""

    BEAM_WORKER = f"{sys.executable} -m apache_beam.runners.worker.sdk_worker_main".encode()

    def __init__(self, harness: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.worker = f"{sys.executable} -m {harness}".encode()

    def run_via_runner_api(self, pipeline_proto: beam_runner_api_pb2.Pipeline,
                           options: PipelineOptions) -> PipelineResult:
        for environment in pipeline_proto.components.environments.values():
            if (environment.urn == python_urns.SUBPROCESS_SDK
                    and environment.payload == self.BEAM_WORKER):
                environment.payload = self.worker
        return super().run_via_runner_api(pipeline_proto, options)
