"""The `newswire` command's entry point, which imports nothing heavy before it has to.

A local batch `newswire run` extracts in worker processes forked from Python's forkserver
(`newswire.transforms.process_pool`). Started here, before the CLI is imported, the forkserver
imports the job's modules on the other core while this process imports them for itself, instead
of after.
"""

from __future__ import annotations

import multiprocessing
import sys
from multiprocessing import forkserver
from typing import NoReturn

# What the worker processes need: the job's modules (all the transforms), and datasketch, which
# only they use; then `preloaded`, which freezes what they built.
_PRELOAD = ["newswire.pipeline.job.graph", "datasketch", "newswire.pipeline.preloaded"]
# Flags after which the run does not extract in this machine's processes.
_ELSEWHERE = {"streaming", "runner", "direct_num_workers", "direct_running_mode"}


def runs_locally_in_batch(argv: list[str]) -> bool:
    """Whether `argv` is a `run` that will most likely run in process (a guess from the flags:
    a wrong one costs an idle forkserver, or its start a little later)."""
    flags = {arg.split("=")[0].lstrip("-").replace("-", "_") for arg in argv[1:]}
    return argv[:1] == ["run"] and not flags & _ELSEWHERE


def console() -> NoReturn:
    has_forkserver = "forkserver" in multiprocessing.get_all_start_methods()  # not on Windows
    if has_forkserver and runs_locally_in_batch(sys.argv[1:]):
        multiprocessing.get_context("forkserver").set_forkserver_preload(_PRELOAD)
        forkserver.ensure_running()
    from newswire.pipeline import cli

    cli.console()
