"""Defect: Elasticsearch errors reached the user as tracebacks, a password in --es-url was
printed and carried in the pipeline options, and a run in which every source failed exited 0.
Each is now one line on stderr and a non-zero exit status."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from newswire.pipeline import cli
from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.index.client import EsConnection
from tests.conftest import drop_job_aliases
from tests.loopback import reply, serve

pytestmark = pytest.mark.es


def one_line_error(capsys: pytest.CaptureFixture, *args: str) -> str:
    """Runs the command; asserts it failed with exactly one line on stderr, which it returns."""
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    assert code == 1, (out, err)
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("newswire: ")
    return lines[0]


@pytest.mark.parametrize("name", ["Articles", "news*", "a b"])
def test_a_bad_index_name_is_one_line(name: str, es_connection: EsConnection,
                                      capsys: pytest.CaptureFixture) -> None:
    for command in (["search", "x"], ["run", "--feeds", "feeds.txt"]):
        line = one_line_error(capsys, *command, "--es-url", es_connection.url, "--index", name)
        assert f"index name {name!r}" in line


def test_search_on_a_missing_index_is_one_line(es_connection: EsConnection,
                                               capsys: pytest.CaptureFixture) -> None:
    line = one_line_error(capsys, "search", "x", "--es-url", es_connection.url,
                          "--index", f"missing-{uuid.uuid4().hex[:8]}")
    assert "no such index" in line


def test_a_negative_limit_is_one_line(es_connection: EsConnection,
                                      capsys: pytest.CaptureFixture) -> None:
    line = one_line_error(capsys, "search", "x", "--limit", "-5", "--es-url", es_connection.url)
    assert "--limit" in line


class Broken(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"error":{"type":"internal","reason":"something broke"},"status":500}'
        reply(self, 500, body, {"Content-Type": "application/json",
                                "X-Elastic-Product": "Elasticsearch"})

    do_POST = do_PUT = do_GET

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def broken_node() -> Iterator[str]:
    with serve(Broken) as url:
        yield url


def test_a_node_answering_500_is_one_line(broken_node: str,
                                          capsys: pytest.CaptureFixture) -> None:
    line = one_line_error(capsys, "search", "x", "--es-url", broken_node)
    assert line == f"newswire: Elasticsearch at {broken_node} answered 500: something broke"


def test_an_unreachable_node_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "feeds.txt").write_text("https://news.example/feed.xml\n")
    for command in (["search", "x"], ["run", "--feeds", str(tmp_path / "feeds.txt")]):
        line = one_line_error(capsys, *command, "--es-url", f"http://127.0.0.1:{port}")
        assert line == f"newswire: could not reach Elasticsearch at http://127.0.0.1:{port}: " \
                       "Connection refused"


def test_a_password_in_the_url_is_refused_and_never_printed(
        es_connection: EsConnection, capsys: pytest.CaptureFixture) -> None:
    secret_url = es_connection.url.replace("http://", "http://elastic:s3cr3t-pw@")
    for command in (["search", "x"], ["run", "--feeds", "feeds.txt"]):
        line = one_line_error(capsys, *command, "--es-url", secret_url)
        assert "s3cr3t-pw" not in line
        assert "NEWSWIRE_ES_PASSWORD" in line


def test_a_run_in_which_every_feed_failed_exits_non_zero(
        tmp_path: Path, es_connection: EsConnection, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "feed.xml").write_text("this is not a feed")
    index = f"test-nofeed-{uuid.uuid4().hex[:8]}"
    aliases = {"--index": index, "--dead-letter-index": f"{index}-dead",
               "--history-index": f"{index}-history"}
    try:
        with SeedServer(tmp_path) as server:
            code = cli.main(["run", "--feeds", server.url("feed.xml"), "--es-url",
                             es_connection.url, "--allow-private-addresses",
                             *[part for pair in aliases.items() for part in pair]])
    finally:
        drop_job_aliases(es_connection, index)
    out = capsys.readouterr().out
    assert "feeds polled        0  (1 failed, see dead letters)" in out
    assert code == 3
