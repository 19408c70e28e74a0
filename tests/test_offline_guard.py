"""The suite's own guard (tests/offline/sitecustomize.py): a process the tests start may look
up and connect to loopback and to a registry it looked up, and is refused, with a record,
anything else. Checked inside a network namespace of its own, so a broken guard still sends
nothing off the machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.loopback import namespace_command

PROBE = '''
import socket
import sitecustomize

def outcome(call):
    try:
        call()
        return "ok"
    except OSError as error:
        return type(error).__name__

def registry(host, *args, **kwargs):  # what the resolver would answer for registry.test
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("203.0.113.5", 443))]

listener = socket.create_server(("127.0.0.1", 0))
print(outcome(lambda: socket.create_connection(listener.getsockname(), timeout=5).close()))
print(outcome(lambda: socket.getaddrinfo("localhost", 80)))
print(outcome(lambda: socket.getaddrinfo("news.example", 443)))
print(outcome(lambda: socket.socket().connect(("192.0.2.1", 80))))
print(outcome(lambda: socket.socket().connect(("203.0.113.5", 443))))
sitecustomize._getaddrinfo = registry
socket.getaddrinfo("registry.test", 443)
print(outcome(lambda: socket.socket().connect(("203.0.113.5", 443))))
'''


def test_a_process_the_tests_start_reaches_loopback_only(tmp_path: Path) -> None:
    refused = tmp_path / "refused.log"
    script = f"ip link set lo up && exec {sys.executable} -c '{PROBE}'"
    result = subprocess.run(
        [*namespace_command(), "sh", "-c", script], capture_output=True, text=True, timeout=60,
        env={**os.environ, "NEWSWIRE_TEST_REFUSED": str(refused),
             "NEWSWIRE_TEST_REGISTRIES": "registry.test"})
    assert result.returncode == 0, result.stderr[-2000:]
    # a registry's address is let through once its name was looked up (and is unreachable
    # from the namespace: OSError, not the guard's ConnectionRefusedError)
    assert result.stdout.split() == ["ok", "ok", "gaierror", "ConnectionRefusedError",
                                     "ConnectionRefusedError", "OSError"]
    assert [line.split()[:2] for line in refused.read_text().splitlines()] == [
        ["socket.getaddrinfo", "news.example"], ["socket.connect", "192.0.2.1"],
        ["socket.connect", "203.0.113.5"]]
