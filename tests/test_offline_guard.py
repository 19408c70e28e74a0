"""The suite's own guard (tests/offline/sitecustomize.py): a process the tests start may look
up and connect to loopback, and is refused, with a record, anything else. Checked inside a
network namespace of its own, so a broken guard still sends nothing off the machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.loopback import namespace_command

PROBE = '''
import socket

def outcome(call):
    try:
        call()
        return "ok"
    except OSError as error:
        return type(error).__name__

listener = socket.create_server(("127.0.0.1", 0))
print(outcome(lambda: socket.create_connection(listener.getsockname(), timeout=5).close()))
print(outcome(lambda: socket.getaddrinfo("localhost", 80)))
print(outcome(lambda: socket.getaddrinfo("news.example", 443)))
print(outcome(lambda: socket.socket().connect(("192.0.2.1", 80))))
'''


def test_a_process_the_tests_start_reaches_loopback_only(tmp_path: Path) -> None:
    refused = tmp_path / "refused.log"
    script = f"ip link set lo up && exec {sys.executable} -c '{PROBE}'"
    result = subprocess.run(
        [*namespace_command(), "sh", "-c", script], capture_output=True, text=True, timeout=60,
        env={**os.environ, "NEWSWIRE_TEST_REFUSED": str(refused)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["ok", "ok", "gaierror", "ConnectionRefusedError"]
    assert [line.split()[:2] for line in refused.read_text().splitlines()] == [
        ["socket.getaddrinfo", "news.example"], ["socket.connect", "192.0.2.1"]]
