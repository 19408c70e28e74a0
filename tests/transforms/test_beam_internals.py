"""The private Beam attributes newswire uses, each still where Beam keeps it."""

from __future__ import annotations

import inspect
from types import SimpleNamespace
from typing import Any

import pytest
from apache_beam import coders
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability import python_urns
from apache_beam.portability.api import beam_runner_api_pb2
from apache_beam.runners.portability import portable_runner
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.runners.worker.sdk_worker import BundleProcessorCache

from newswire.transforms.beam_internals import (
    HarnessCommandRunner,
    StrictPrimitivesCoder,
    cancel_job,
    flags_given,
    forget_metrics,
    release_discarded_quietly,
)


def test_the_strict_coder_writes_the_fast_coders_bytes() -> None:
    value = ("news.example", 3, b"\x00", 1.5, None, True)
    assert StrictPrimitivesCoder().encode(value) == coders.FastPrimitivesCoder().encode(value)
    assert StrictPrimitivesCoder().decode(StrictPrimitivesCoder().encode(value)) == value
    assert StrictPrimitivesCoder().is_deterministic()


def test_the_strict_coder_refuses_what_it_cannot_encode_deterministically() -> None:
    class Keyed(StrictPrimitivesCoder):
        label = "a host key"

    with pytest.raises(TypeError, match="a host key"):
        Keyed().encode(object())


def test_the_flags_given_are_those_the_options_were_made_from() -> None:
    flags = ["--runner=DirectRunner", "--streaming"]
    assert list(flags_given(PipelineOptions(flags))) == flags
    assert list(flags_given(PipelineOptions(streaming=True))) == []


def test_cancel_asks_the_job_service_for_its_job_only() -> None:
    asked: list[Any] = []
    result = SimpleNamespace(_job_service=SimpleNamespace(Cancel=asked.append), _job_id="job-7")
    cancel_job(result)  # type: ignore[arg-type]
    assert [request.job_id for request in asked] == ["job-7"]


def test_a_portable_result_forgets_its_cached_metrics() -> None:
    result = portable_runner.PipelineResult.__new__(portable_runner.PipelineResult)
    result._metrics = "cached"
    forget_metrics(result)
    assert result._metrics is None


def test_the_harness_runner_starts_its_own_module_in_subprocess_environments(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[beam_runner_api_pb2.Pipeline] = []
    monkeypatch.setattr(FnApiRunner, "run_via_runner_api",
                        lambda self, proto, options: seen.append(proto))
    proto = beam_runner_api_pb2.Pipeline()
    proto.components.environments["beam"].urn = python_urns.SUBPROCESS_SDK
    proto.components.environments["beam"].payload = HarnessCommandRunner.BEAM_WORKER
    proto.components.environments["other"].urn = python_urns.SUBPROCESS_SDK
    proto.components.environments["other"].payload = b"some other command"
    runner = HarnessCommandRunner("newswire.pipeline.job.harness")
    runner.run_via_runner_api(proto, PipelineOptions())
    environments = seen[0].components.environments
    assert environments["beam"].payload.endswith(b" -m newswire.pipeline.job.harness")
    assert environments["other"].payload == b"some other command"


def test_a_bundle_ending_after_its_harness_shut_down_is_released_quietly(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BundleProcessorCache, "release", inspect.unwrap(
        BundleProcessorCache.release))  # Beam's own, put back after the test
    cache = BundleProcessorCache(frozenset(), None, SimpleNamespace(cleanup=lambda _: None), {})
    cache.active_bundle_processors["inst7"] = ("stage-1", SimpleNamespace(shutdown=lambda: None))
    cache.shutdown()  # as the harness does at a stop, with inst7 still running
    with pytest.raises(KeyError, match="inst7"):  # what the harness printed as a traceback
        cache.release("inst7")
    release_discarded_quietly()
    cache.release("inst7")
    with pytest.raises(KeyError, match="inst8"):  # an instruction never discarded: Beam's error
        cache.release("inst8")
