"""The local Prism binary: how it is resolved, and that it runs a streaming stateful pipeline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.transforms.periodicsequence import PeriodicImpulse, RebaseMode
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (
    BagRuntimeState,
    BagStateSpec,
    RuntimeTimer,
    TimerSpec,
    on_timer,
)
from apache_beam.utils.timestamp import Timestamp

from newswire.pipeline.services import prism
from tests.conftest import on_prism

FLUSH_DELAY = 10  # seconds of event time after the latest element at which the timer fires
BUFFER = BagStateSpec("buffer", beam.coders.StrUtf8Coder())
FLUSH = TimerSpec("flush", TimeDomain.WATERMARK)
BUFFER_PARAM = beam.DoFn.StateParam(BUFFER)
FLUSH_PARAM = beam.DoFn.TimerParam(FLUSH)


@pytest.fixture
def fake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty newswire cache with no Prism override, so resolution starts from scratch."""
    monkeypatch.setenv("NEWSWIRE_HOME", str(tmp_path))
    monkeypatch.delenv(prism.ENV_OVERRIDE, raising=False)
    return tmp_path


def _fake_binary(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def _no_build(*_args: object) -> Path:
    raise AssertionError("resolution should not have built or downloaded Prism")


def test_resolution_order(fake_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prism, "build_prism", _no_build)
    monkeypatch.setattr(prism, "_download_with_beam", _no_build)
    cached = _fake_binary(prism.cached_binary())
    assert cached == fake_home / "prism" / f"v{prism.BEAM_VERSION}" / "prism"
    assert prism.ensure_prism() == cached

    explicit = _fake_binary(fake_home / "elsewhere" / "prism")
    monkeypatch.setenv(prism.ENV_OVERRIDE, str(explicit))
    assert prism.ensure_prism() == explicit

    explicit.chmod(0o644)
    with pytest.raises(prism.PrismUnavailable, match="not an executable"):
        prism.ensure_prism()


def test_builds_when_not_cached(fake_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[tuple[Path, Path]] = []
    monkeypatch.setattr(prism, "find_go", lambda: Path("/opt/go/bin/go"))
    monkeypatch.setattr(prism, "build_prism", lambda go, target, say: built.append((go, target)))
    prism.ensure_prism()
    assert built == [(Path("/opt/go/bin/go"), prism.cached_binary())]


def test_unavailable_without_go_or_network(
    fake_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(target: Path, say: prism.Say) -> Path:
        raise RuntimeError("Unable to fetch remote prism binary")

    monkeypatch.setattr(prism, "find_go", lambda: None)
    monkeypatch.setattr(prism, "_download_with_beam", offline)
    with pytest.raises(prism.PrismUnavailable, match=r"Install Go.*NEWSWIRE_PRISM"):
        prism.ensure_prism()


def test_go_module_version() -> None:
    assert prism.go_module_version("2.77.0") == "v2.77.0"
    assert prism.go_module_version("2.78.0rc2") == "v2.78.0-RC2"


class BufferUntilTimer(beam.DoFn):
    """Buffers a key's values and flushes them from an event-time timer set past the latest one."""

    def process(
        self,
        element: tuple[str, str],
        timestamp: Timestamp = beam.DoFn.TimestampParam,
        buffer: BagRuntimeState = BUFFER_PARAM,
        flush: RuntimeTimer = FLUSH_PARAM,
    ) -> None:
        buffer.add(f"{element[1]}@{timestamp.micros}")
        flush.set(timestamp + FLUSH_DELAY)

    @on_timer(FLUSH)
    def flushed(
        self,
        fired_at: Timestamp = beam.DoFn.TimestampParam,
        buffer: BagRuntimeState = BUFFER_PARAM,
    ) -> Iterator[dict]:
        yield {"fired_at": fired_at.micros, "buffered": sorted(buffer.read())}
        buffer.clear()


class AppendJsonLine(beam.DoFn):
    """Appends each element to a file, which the test reads once the pipeline ends."""

    def __init__(self, path: str) -> None:
        self.path = path

    def process(self, element: dict) -> None:
        with open(self.path, "a") as out:
            out.write(json.dumps(element) + "\n")


@pytest.mark.timeout(900)
def test_prism_runs_periodic_impulse_with_state_and_timers(
        tmp_path: Path, prism_server: prism.PrismJobServer) -> None:
    output = tmp_path / "flushed.jsonl"
    options = on_prism(prism_server, "--streaming")
    with beam.Pipeline(options=options) as pipeline:
        _ = (
            pipeline
            | PeriodicImpulse(
                start_timestamp=0,
                stop_timestamp=3,
                fire_interval=1,
                data=["a", "b", "c"],
                rebase=RebaseMode.REBASE_ALL,
            )
            | beam.WithKeys("all")
            | beam.ParDo(BufferUntilTimer())
            | beam.ParDo(AppendJsonLine(str(output)))
        )

    [flushed] = [json.loads(line) for line in output.read_text().splitlines()]
    values = [entry.split("@") for entry in flushed["buffered"]]
    assert [value for value, _ in values] == ["a", "b", "c"]
    stamps = [int(micros) for _, micros in values]
    assert [later - earlier for earlier, later in pairwise(stamps)] == [1_000_000] * 2
    assert flushed["fired_at"] == stamps[-1] + FLUSH_DELAY * 1_000_000
