"""The local runner's worker entry point: Beam's harness, with records leaving only through it."""

from __future__ import annotations

import logging
import sys

import pytest
from apache_beam.runners.worker import sdk_worker_main

from newswire.pipeline.job import harness


def test_the_harness_runs_with_a_null_handler_on_the_root_logger_first(
        monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    seen: list[tuple[list[str], list[logging.Handler]]] = []
    monkeypatch.setattr(sdk_worker_main, "main",
                        lambda argv: seen.append((argv, list(root.handlers))))
    monkeypatch.setattr(sys, "argv", ["harness", "--worker_id=1"])
    harness.main()
    [(argv, handlers)] = seen
    assert argv == ["harness", "--worker_id=1"]
    assert [type(handler) for handler in handlers] == [logging.NullHandler]
