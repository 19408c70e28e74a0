"""Logging for the `newswire` command: quiet by default, every record printed once.

A run prints what it starts, its progress and its summary itself; log records of newswire and
of the libraries under it (Beam, trafilatura, the Elasticsearch client) are printed from ERROR
up, where two kinds of error count as warnings (`LibraryWarnings`): one the page readers
(trafilatura, htmldate) log about a page, which newswire reports itself, and a local worker's
stream closed by the runner that hung up on it. `-v` adds warnings, `-vv` information,
`--log-level LEVEL` names the level. Local worker processes get the same level
(`harness_level`), so they do not send what would not be shown.

The command calls `hold()` before anything imports Beam: Beam logs a warning while it is
imported (BigQuery's apitools are missing), through `logging.warning`, which installs a stderr
handler when the root logger has none. `hold()` gives the root logger a handler that keeps such
records until `configured` knows the level, and so keeps `logging.basicConfig` from running.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_LEVEL = logging.ERROR
# The multi-process runner logs what its workers send as "Worker: <the LogEntry as text>".
_RELAY_LOGGER = "apache_beam.runners.portability.local_job_service"
_RELAY_FORMAT = "Worker: %s"
# The libraries that read a page's HTML for newswire; their errors are about that page.
_PAGE_READERS = {"trafilatura", "htmldate", "justext", "courlan"}
# Where Beam's SDK harness logs its data streams; the names (prefixes) of its threads in a local
# worker pool: the workers, and those reading their streams from the runner (data, state).
_DATA_PLANE_LOGGER = "apache_beam.runners.worker.data_plane"
HARNESS_THREADS = ("run_worker_", "read_grpc_client_inputs", "read_state")


class _Held(logging.Handler):
    """Keeps the first records logged before `configured`, to print them once the level is set."""

    capacity = 100

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) < self.capacity:
            self.records.append(record)


class _Stderr(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record comes (as `logging.lastResort` does),
    never to a stream that a test's capture has since closed."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


class WorkerRecords(logging.Filter):
    """Turns the multi-process runner's copy of a worker's record back into that record: its
    level, its message (and traceback) and, for a name, the module that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == _RELAY_LOGGER and record.msg == _RELAY_FORMAT and record.args:
            from apache_beam.portability.api import beam_fn_api_pb2
            from google.protobuf import text_format

            entry = beam_fn_api_pb2.LogEntry()
            try:
                text_format.Parse(str(record.args[0]), entry)
            except text_format.ParseError:
                return True
            record.msg = entry.message + (f"\n{entry.trace.rstrip()}" if entry.trace else "")
            record.args = ()
            record.name = _module_of(entry.log_location)
        return True


class LibraryWarnings(logging.Filter):
    """Prints as the warnings they are to newswire (shown with `-v`): an error a page reader
    logs about the page it was given (trafilatura's "parsed tree length: 0, wrong data type or
    not valid HTML"), as newswire reports the page itself (its dead letter, `extract`'s one
    line); and the harness's "Failed to read inputs in the data plane" where the runner hung up
    the stream (Flink does, releasing a local worker: apache/beam#22643), in one line. Records
    below `level` are not printed."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and record.name.split(".")[0] in _PAGE_READERS:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        elif record.name == _DATA_PLANE_LOGGER and record.exc_info and (
                line := _hang_up(record.exc_info[1])):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args, record.exc_info, record.exc_text = line, (), None, None
        return record.levelno >= self.level


def _hang_up(error: BaseException | None) -> str | None:
    """One line for a gRPC stream the runner cancelled, where `error` is one; else None."""
    import grpc

    if isinstance(error, grpc.RpcError) and isinstance(error, grpc.Call) and (
            error.code() == grpc.StatusCode.CANCELLED):
        return f"the runner closed a local worker's stream ({error.details()})"
    return None


def _thread_exceptions(fallback: Callable[[threading.ExceptHookArgs], object]
                       ) -> Callable[[threading.ExceptHookArgs], object]:
    """A `threading.excepthook` that logs a harness thread ended by the runner's hang-up (a
    stream's reader, or the worker that closes the stream after it) as a warning, in one line,
    and hands any other thread's exception to `fallback`."""
    def hook(args: threading.ExceptHookArgs) -> object:
        if args.thread is not None and args.thread.name.startswith(HARNESS_THREADS) and (
                line := _hang_up(args.exc_value)):
            logging.getLogger(_DATA_PLANE_LOGGER).warning(line)
            return None
        return fallback(args)
    return hook


def _module_of(location: str) -> str:
    """`.../site-packages/trafilatura/xml.py:123` -> `trafilatura.xml`; else the file's stem."""
    path = location.rpartition(":")[0] or location
    if "site-packages/" in path:
        path = path.rpartition("site-packages/")[2]
    else:
        path = path.rpartition("/")[2]
    return path.removesuffix(".py").replace("/", ".") or "worker"


def add_arguments(parser: argparse.ArgumentParser, *, subcommand: bool = False) -> None:
    """`-v` and `--log-level`; on a subcommand they default to what the main command was given."""
    parser.add_argument("-v", "--verbose", action="count",
                        default=argparse.SUPPRESS if subcommand else 0,
                        help="log more: -v adds warnings (other libraries' too), -vv info")
    parser.add_argument("--log-level", "--log_level", type=str.upper, choices=LEVELS,
                        default=argparse.SUPPRESS if subcommand else None,
                        help="the lowest level of log record to print "
                        f"(default {logging.getLevelName(DEFAULT_LEVEL)})")


def level_from(args: argparse.Namespace) -> int:
    """The level `--log-level` names, else ERROR lowered one step per `-v`."""
    if args.log_level:
        return logging.getLevelName(args.log_level)
    return max(DEFAULT_LEVEL - 10 * args.verbose, logging.DEBUG)


@contextmanager
def configured(level: int) -> Iterator[None]:
    """Print records from `level` up on stderr, each once, while the block runs; then put the
    root logger back as it was."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    handler = _Stderr()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(WorkerRecords())
    handler.addFilter(LibraryWarnings(level))
    held = [record for h in saved_handlers if isinstance(h, _Held) for record in h.records]
    for h in saved_handlers:
        if isinstance(h, _Held):
            h.records.clear()
    root.handlers = [h for h in saved_handlers if not isinstance(h, _Held)] + [handler]
    root.setLevel(level)
    saved_hook = threading.excepthook
    threading.excepthook = _thread_exceptions(saved_hook)
    for record in held:
        if logging.getLogger(record.name).isEnabledFor(record.levelno):
            handler.handle(record)
    try:
        yield
    finally:
        root.handlers = saved_handlers
        root.setLevel(saved_level)
        threading.excepthook = saved_hook


def harness_level() -> str:
    """The level for Beam's SDK harness in local workers: what this process would print."""
    return logging.getLevelName(logging.getLogger().getEffectiveLevel())


def hold() -> None:
    """Keep what is logged from now until `configured`, unless the root logger has handlers
    already (those of a test run, or of an earlier call)."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(_Held())


def drop_held() -> None:
    """Forget the records held so far: in a process that runs several commands one after
    another (the tests), what one left behind is not printed by the next."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, _Held):
            handler.records.clear()
