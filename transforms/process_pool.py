"""CPU-bound per-element work fanned out to worker processes, results in input order.

For a runner that runs the whole job in one process (the local runner in-process), where
threads would share one core: a `PooledDoFn` opens an `OrderedPool` in `setup`, puts each
element in, and emits what comes back. Elsewhere the runner's own processes give the
parallelism, and the DoFn calls its function inline.

Workers fork from Python's forkserver, which imports once the `preload` modules and the
newswire modules this process has loaded (or, started by the `newswire` command before its own
imports, the job's modules: see newswire.pipeline.command): each worker runs the program's
`__main__` again (as multiprocessing does), and then finds what it imports already there.

A worker that dies (a crash in a C extension, the OOM killer) breaks the pool; what was in
flight then runs again one item at a time, and the item that kills its worker again is given to
`broken` instead, so one item that kills its process cannot stop the run.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import select
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import forkserver
from multiprocessing.context import BaseContext
from typing import Any

import apache_beam as beam
from apache_beam.transforms.window import BoundedWindow
from apache_beam.utils.windowed_value import WindowedValue


@dataclass
class _Pending:
    item: Any
    tag: Any  # what the caller needs back with the result (an element's window)
    future: Future


class OrderedPool:
    """Calls `function(item)` in `processes` worker processes; at most `2 * processes` items
    are in flight, so `put` waits once that many are, and memory stays bounded."""

    def __init__(self, function: Callable[[Any], Any], processes: int,
                 broken: Callable[[Any], Any], preload: Sequence[str] = ()) -> None:
        self.function, self.processes, self.broken = function, processes, broken
        self.preload = list(preload)
        self.depth = 2 * processes
        self.pending: deque[_Pending] = deque()
        self.executor: ProcessPoolExecutor | None = None

    def open(self) -> None:
        """Start the workers now, so their start-up overlaps what comes before the first item."""
        self._new_executor()

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def put(self, item: Any, tag: Any = None) -> Iterator[tuple[Any, Any]]:
        """Submit `item`; yields (tag, result) of every earlier item that is ready, in order."""
        assert self.executor is not None, "open() the pool first"
        try:
            future = self.executor.submit(self.function, item)
        except BrokenProcessPool:  # broken since the last look
            self._restart()
            future = self.executor.submit(self.function, item)
        self.pending.append(_Pending(item, tag, future))
        while self.pending and (len(self.pending) > self.depth or self.pending[0].future.done()):
            yield self._take()

    def drain(self) -> Iterator[tuple[Any, Any]]:
        """Every result still to come, in order."""
        while self.pending:
            yield self._take()

    def _take(self) -> tuple[Any, Any]:
        head = self.pending[0]
        try:
            result = head.future.result()
        except BrokenProcessPool:
            self._restart()
            return self._take()
        self.pending.popleft()
        return head.tag, result

    def _restart(self) -> None:
        """A worker died: a new pool, where what the old one lost runs again one item at a
        time, so the item that kills its worker again is the one given to `broken`."""
        self._new_executor()
        for pending in self.pending:
            if not _finished(pending.future):
                pending.future = self._alone(pending.item)

    def _alone(self, item: Any) -> Future:
        """The outcome of `item` run by itself."""
        assert self.executor is not None
        future = self.executor.submit(self.function, item)
        wait([future])
        if isinstance(future.exception(), BrokenProcessPool):
            self._new_executor()
            future = Future()
            future.set_result(self.broken(item))
        return future

    def _new_executor(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = ProcessPoolExecutor(self.processes,
                                            mp_context=start_forkserver(self.preload),
                                            initializer=_start_worker, initargs=(os.getpid(),))
        # Every worker starts now. A pool left to grow on demand (CPython 3.11) can start one
        # while it is being torn down after another died; that one is never told to stop, and
        # the interpreter waits for it at exit.
        for _ in range(self.processes):
            self.executor.submit(int)


class PooledDoFn(beam.DoFn):
    """A DoFn whose work per element is `function(element)`, in `processes` worker processes
    when that is more than 0 (results leave in input order, each in its input's window and at
    its time), else inline; `outputs` turns a result into the DoFn's outputs.

    `function` must be picklable by reference (a module-level function or a partial of one);
    `broken(element)` stands in for the result of an element whose worker died on it.
    """

    def __init__(self, function: Callable[[Any], Any], processes: int,
                 broken: Callable[[Any], Any]) -> None:
        self.function, self.processes, self.broken = function, processes, broken
        self.pool: OrderedPool | None = None

    def outputs(self, result: Any, timestamp: Any) -> Iterator[Any]:
        """The outputs (values, or TaggedOutputs of values) for one element's result."""
        raise NotImplementedError

    def setup(self) -> None:
        if self.processes:
            module = getattr(self.function, "func", self.function).__module__
            self.pool = OrderedPool(self.function, self.processes, self.broken, [module])
            self.pool.open()

    def teardown(self) -> None:
        if self.pool:
            self.pool.close()

    def process(self, element: Any, window: BoundedWindow = beam.DoFn.WindowParam,
                timestamp: Any = beam.DoFn.TimestampParam) -> Iterator[Any]:
        if not self.pool:
            yield from self.outputs(self.function(element), timestamp)
            return
        for where, result in self.pool.put(element, WindowedValue(None, timestamp, [window])):
            yield from self._windowed(result, where)

    def finish_bundle(self) -> Iterator[Any]:
        if self.pool:
            for where, result in self.pool.drain():
                yield from self._windowed(result, where)

    def display_data(self) -> dict[str, Any]:
        return {"processes": self.processes}

    def _windowed(self, result: Any, where: WindowedValue) -> Iterator[Any]:
        """Outputs of an earlier element, which must carry its window and time themselves."""
        for output in self.outputs(result, where.timestamp):
            if isinstance(output, beam.pvalue.TaggedOutput):
                yield beam.pvalue.TaggedOutput(output.tag, where.with_value(output.value))
            else:
                yield where.with_value(output)


def available() -> bool:
    """Whether this platform has a forkserver (Windows has none: there the work stays inline)."""
    return "forkserver" in multiprocessing.get_all_start_methods()


def start_forkserver(preload: Sequence[str] = ()) -> BaseContext:
    """Start the forkserver (if it is not running) with the `preload` modules and the loaded
    newswire modules imported, and return its context; a job calls this early so that the
    imports overlap its own start."""
    context = multiprocessing.get_context("forkserver")
    ours = sorted(name for name in sys.modules if name.partition(".")[0] == "newswire")
    context.set_forkserver_preload([*ours, *preload])
    forkserver.ensure_running()
    return context


def _start_worker(pool_pid: int) -> None:
    """First thing in each worker: it logs nowhere, and it ends with the pool's process."""
    _quiet()
    die_with(pool_pid)


def die_with(pid: int) -> None:
    """In a worker: end this process as soon as process `pid` (the one whose pool it serves)
    has ended, however it ended. A worker is the forkserver's child, not the pool's, and waits
    on a queue whose writing end it holds itself, so a pool killed outright (`kill -9`, the OOM
    killer) would leave it waiting, and the forkserver, which lives while its children do,
    with it."""
    threading.Thread(target=_exit_after, args=(pid,), name="die-with", daemon=True).start()


def _exit_after(pid: int) -> None:
    try:
        handle = os.pidfd_open(pid)  # Linux 5.3+: readable once `pid` has ended
    except (AttributeError, OSError):  # elsewhere, or `pid` already gone: look once a second
        while _alive(pid):
            time.sleep(1.0)
    else:
        select.select([handle], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:  # gone, or another user's process now holds its number
        return False
    return True


def _quiet() -> None:
    """A worker logs nowhere: what it does goes back to its DoFn, as results or as what
    `broken` makes of an item, and the job reports it. Without a handler of its own, each
    library warning in a worker would reach the terminal through logging's last resort."""
    logging.getLogger().handlers = [logging.NullHandler()]


def _finished(future: Future) -> bool:
    """Whether `future` holds its function's own outcome, not the pool's breaking."""
    return (future.done() and not future.cancelled()
            and not isinstance(future.exception(), BrokenProcessPool))
