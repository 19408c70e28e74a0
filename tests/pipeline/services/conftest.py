"""The wheel-only worker pool the tests of portable runners hand their work to."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from newswire.pipeline.services.worker_pool import WorkerPool, build_wheel, ensure_worker_env


@pytest.fixture(scope="module")
def worker_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerPool]:
    """Beam's worker pool run from a virtual environment holding only newswire's built wheel and
    its dependencies, in an empty directory."""
    started = time.monotonic()
    wheel = build_wheel(tmp_path_factory.mktemp("wheel"))
    python = ensure_worker_env(wheel, say=lambda line: print(f"[workers] {line}"))
    print(f"[workers] wheel and environment ready in {time.monotonic() - started:.0f} s")
    with WorkerPool(python, tmp_path_factory.mktemp("workers")) as pool:
        yield pool
