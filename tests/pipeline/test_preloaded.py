"""The forkserver's last preload freezes the heap it built, so its forks share it and its exit
does not walk it; the command preloads it after the job's modules."""

from __future__ import annotations

import subprocess
import sys

from newswire.pipeline.command import _PRELOAD

_FROZEN = """
import gc
before = gc.get_freeze_count()
import newswire.pipeline.preloaded
print(before, gc.get_freeze_count())
"""


def test_importing_it_freezes_what_was_built_before() -> None:
    done = subprocess.run([sys.executable, "-c", _FROZEN], capture_output=True, text=True,
                          timeout=60, check=True)
    before, after = map(int, done.stdout.split())
    assert before == 0 and after > 1000


def test_the_forkserver_imports_it_last() -> None:
    assert _PRELOAD[-1] == "newswire.pipeline.preloaded"
    assert "newswire.pipeline.job.graph" in _PRELOAD[:-1]
