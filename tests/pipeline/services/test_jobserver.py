"""A local job server as a child process: up when its port listens, down when left, said
plainly when it fails. A small Python HTTP server on loopback stands in for Prism or Flink."""

from __future__ import annotations

import re
import socket
import sys
from pathlib import Path

import pytest

from newswire.pipeline.services.jobserver import JobServerFailed, LocalJobServer, free_port


class Serving(LocalJobServer):
    name = "test server"

    def command(self, port: int) -> list[str]:
        return [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]


class Exiting(LocalJobServer):
    name = "test server"

    def command(self, port: int) -> list[str]:
        return [sys.executable, "-c", "print('cannot start'); raise SystemExit(1)"]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_free_port_is_free() -> None:
    port = free_port()
    assert not listening(port)
    with socket.create_server(("127.0.0.1", port)):
        pass  # nothing else holds it


def test_entering_waits_until_it_listens_and_leaving_stops_it(tmp_path: Path) -> None:
    server = Serving(tmp_path / "logs" / "server.log")
    with server:
        port = server.port
        assert server.endpoint == f"localhost:{port}"
        assert listening(port)
    assert not listening(port)
    with server:  # back on the port it had
        assert server.port == port and listening(port)


def test_a_server_that_exits_at_start_is_said_so_with_its_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    said = re.escape(f"the test server exited at start; see {log}")
    with pytest.raises(JobServerFailed, match=said), Exiting(log):
        pass
    assert "cannot start" in log.read_text()
