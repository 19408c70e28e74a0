"""Quiet by default: the command prints what it starts, progress and the summary, each line once;
`-v` and `--log-level` bring other libraries' records back."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Iterator

import grpc
import pytest
from apache_beam.portability.api import beam_fn_api_pb2
from elasticsearch import Elasticsearch

from newswire.pipeline import cli, logs
from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import article_mapping_for, ensure_index
from tests.conftest import drop_job_aliases

pytestmark = pytest.mark.slow


def newswire(*argv: str) -> subprocess.CompletedProcess[str]:
    """`newswire ARGV` in a fresh interpreter, as a user runs it: stdout and stderr together."""
    code = f"import sys; from newswire.pipeline.cli import main; sys.exit(main({list(argv)!r}))"
    return subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300)


@pytest.fixture
def run_args(es_connection: EsConnection, seed_server: SeedServer) -> Iterator[list[str]]:
    """`run` over the corpus into fresh indices."""
    index = f"test-quiet-{uuid.uuid4().hex[:8]}"
    yield ["run", "--feeds", seed_server.url("feeds.opml"), "--allow-private-addresses",
           "--es-url", es_connection.url, "--index", index, "--dead-letter-index",
           f"{index}-dead", "--history-index", f"{index}-history"]
    drop_job_aliases(es_connection, index)


@pytest.mark.es
def test_a_run_prints_its_start_and_summary_each_line_once(run_args: list[str]) -> None:
    done = newswire(*run_args)
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout
    assert [line for line in lines
            if any(word in line for word in ("WARNING", "INFO", "Traceback", "Logging error",
                                             "Worker:"))] == []
    repeated = {line: n for line, n in Counter(lines).items() if n > 1 and line.strip()}
    assert repeated == {}
    assert any(line.startswith("polling ") for line in lines)
    assert any(line.startswith("entries = indexed + duplicates + dead letters") for line in lines)
    assert len(lines) <= 25, done.stdout


@pytest.mark.es
def test_verbose_brings_back_other_libraries_warnings_once(run_args: list[str]) -> None:
    workers = 2
    done = newswire(*run_args, "-v", f"--direct_num_workers={workers}")
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout
    beam = [line for line in lines if line.startswith("WARNING apache_beam.")]
    assert beam, done.stdout
    # a worker's record, relayed by the runner, is printed once (each worker logs it once) and
    # as the worker logged it
    from_worker = [line for line in lines if "No semi_persistent_directory found" in line]
    assert len(from_worker) == workers
    assert from_worker[0].startswith("WARNING apache_beam.runners.worker.sdk_worker_main: ")
    assert not any("Worker: severity" in line or "timestamp {" in line for line in lines)


@pytest.mark.es
def test_search_prints_its_hits_and_no_import_warnings(
        es_connection: EsConnection, es_client: Elasticsearch, index_name: str) -> None:
    ensure_index(es_client, index_name, article_mapping_for(es_client, lambda _: None))
    done = newswire("search", "anything", "--es-url", es_connection.url, "--index", index_name)
    assert done.returncode == 0, done.stdout
    assert done.stdout.split() == ["(0", "of", "0", "hits)"]


def test_log_level_flags_on_the_command_and_every_subcommand(
        capsys: pytest.CaptureFixture[str]) -> None:
    parser = cli._parser()
    assert logs.level_from(parser.parse_args(["search", "x"])) == logging.ERROR
    assert logs.level_from(parser.parse_args(["-v", "search", "x"])) == logging.WARNING
    assert logs.level_from(parser.parse_args(["es", "status", "-vv"])) == logging.INFO
    assert logs.level_from(parser.parse_args(["--log-level", "debug", "es", "stop"])) == 10
    assert logs.level_from(parser.parse_args(["serve-seeds", "--log-level", "INFO"])) == 20
    for name in cli.COMMANDS:
        with pytest.raises(SystemExit):
            parser.parse_args([name, "--help"])
        usage = capsys.readouterr().out
        assert "--log-level" in usage, name
        assert "-v" in usage, name


def relayed(entry: beam_fn_api_pb2.LogEntry) -> logging.LogRecord:
    """The record Beam's multi-process runner logs for a worker's log entry."""
    return logging.LogRecord(
        "apache_beam.runners.portability.local_job_service", logging.WARNING, __file__, 1,
        "Worker: %s", (str(entry).replace("\n", " "),), None)


def test_a_relayed_worker_record_becomes_the_workers_own() -> None:
    entry = beam_fn_api_pb2.LogEntry(
        severity=beam_fn_api_pb2.LogEntry.Severity.WARN, message="empty link: «x»\nsecond line",
        log_location="/venv/lib/python3.11/site-packages/trafilatura/xml.py:42",
        trace="Traceback (most recent call last):\n  boom\n")
    record = relayed(entry)
    assert logs.WorkerRecords().filter(record)
    assert record.name == "trafilatura.xml"
    assert record.getMessage() == ("empty link: «x»\nsecond line\n"
                                   "Traceback (most recent call last):\n  boom")


def test_records_logged_before_the_level_is_known_are_printed_once_if_enabled(
        capsys: pytest.CaptureFixture) -> None:
    root = logging.getLogger()
    held = logs._Held()
    saved = list(root.handlers)
    root.handlers = [held]
    try:
        logging.getLogger("some.library").warning("said while being imported")
        with logs.configured(logging.ERROR):
            pass
        assert "said while being imported" not in capsys.readouterr().err
        logging.getLogger("some.library").warning("said again")
        with logs.configured(logging.WARNING):
            pass
        with logs.configured(logging.WARNING):
            pass
        assert capsys.readouterr().err == "WARNING some.library: said again\n"
    finally:
        root.handlers = saved


def test_a_page_readers_error_about_the_page_is_a_warning(
        capsys: pytest.CaptureFixture) -> None:
    reader = logging.getLogger("trafilatura.utils")
    with logs.configured(logging.ERROR):
        reader.error("parsed tree length: 0, wrong data type or not valid HTML")
        logging.getLogger("elastic_transport").error("a library's own error")
    assert capsys.readouterr().err == "ERROR elastic_transport: a library's own error\n"
    with logs.configured(logging.WARNING):
        reader.error("parsed tree length: 0, wrong data type or not valid HTML")
    assert capsys.readouterr().err == (
        "WARNING trafilatura.utils: parsed tree length: 0, wrong data type or not valid HTML\n")


class HungUp(grpc.RpcError, grpc.Call):
    """A stream the runner cancelled, as gRPC raises it in the harness's reader threads."""

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.CANCELLED

    def details(self) -> str:
        return "Multiplexer hanging up"

    def initial_metadata(self) -> None: ...
    def trailing_metadata(self) -> None: ...
    def is_active(self) -> bool: return False
    def time_remaining(self) -> None: ...
    def cancel(self) -> bool: return False
    def add_callback(self, callback: object) -> bool: return False


def test_a_runner_hanging_up_a_local_workers_stream_is_a_warning_in_one_line(
        capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """Flink hangs up a local worker's data stream when it releases it: Beam's harness logs
    that with a traceback, and its reader thread dies with another."""
    others: list[threading.ExceptHookArgs] = []

    def hook(args: threading.ExceptHookArgs) -> None:
        others.append(args)

    def reader_fails(name: str, error: Exception) -> None:
        def fail() -> None:
            raise error
        thread = threading.Thread(target=fail, name=name)
        thread.start()
        thread.join()

    monkeypatch.setattr(threading, "excepthook", hook)
    data_plane = logging.getLogger("apache_beam.runners.worker.data_plane")
    with logs.configured(logging.ERROR):
        try:
            raise HungUp()
        except HungUp:
            data_plane.exception("Failed to read inputs in the data plane.")
        reader_fails("read_grpc_client_inputs", HungUp())
        reader_fails("read_grpc_client_inputs", ValueError("not a hang-up"))
    assert capsys.readouterr().err == ""
    assert [args.exc_type for args in others] == [ValueError]
    assert threading.excepthook is hook
    with logs.configured(logging.WARNING):
        reader_fails("read_state", HungUp())
        reader_fails("run_worker_6-1", HungUp())  # closing its stream, the worker raises it too
    line = ("WARNING apache_beam.runners.worker.data_plane: the runner closed a local worker's "
            "stream (Multiplexer hanging up)\n")
    assert capsys.readouterr().err == 2 * line
