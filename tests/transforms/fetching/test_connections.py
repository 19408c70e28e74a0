"""The address guard and the request deadline, on loopback sockets of our own."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import suppress

import pytest

from newswire.transforms.fetching.connections import (
    AddressRefused,
    Deadline,
    Guard,
    GuardedPoolManager,
    refuse_non_public,
)
from tests.loopback import QuietHandler, reply, serve


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_pass(address: str) -> None:
    refuse_non_public(address, "news.example")


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "0.0.0.0", "100.64.0.1",
    "::1", "fe80::1%eth0", "fc00::1", "::ffff:127.0.0.1"])
def test_non_public_addresses_are_refused_naming_the_host(address: str) -> None:
    with pytest.raises(AddressRefused, match=r"refused non-public address .* for news\.example"):
        refuse_non_public(address, "news.example")


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback socket that accepts connections and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []

    def accept() -> None:
        with suppress(OSError):  # closed by the end of a test that never connected
            accepted.append(server.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    yield server
    for sock in accepted:
        sock.close()
    server.close()


def test_the_guard_refuses_a_name_that_resolves_to_loopback(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    with pytest.raises(AddressRefused, match="for localhost"):
        Guard(allow_private=False).connect("localhost", port, 1.0, None, None)


def test_the_guard_connects_where_private_addresses_are_allowed(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    sock = Guard(allow_private=True).connect("127.0.0.1", port, 1.0, None, None)
    try:
        assert sock.getpeername() == ("127.0.0.1", port)
    finally:
        sock.close()


def test_a_refused_connection_is_an_os_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        Guard(allow_private=True).connect("127.0.0.1", port, 1.0, None, None)


def test_a_deadline_shuts_the_sockets_it_watches(listener: socket.socket) -> None:
    guard = Guard(allow_private=True)
    with guard.bounded(0.2) as deadline:
        assert guard.deadline is deadline and 0 < deadline.remaining() <= 0.2
        sock = guard.connect("127.0.0.1", listener.getsockname()[1], 5.0, None, None)
        started = time.monotonic()
        assert sock.recv(1) == b""  # the silent server's read ends at the deadline, not at 5 s
        assert time.monotonic() - started < 4
        assert deadline.expired and deadline.remaining() == 0.0
    assert guard.deadline is None
    sock.close()


def test_a_socket_watched_after_the_deadline_is_shut_at_once(listener: socket.socket) -> None:
    deadline = Deadline(0.0)
    time.sleep(0.05)
    sock = socket.create_connection(listener.getsockname(), timeout=5.0)
    deadline.watch(sock)
    assert sock.recv(1) == b""
    sock.close()


def test_deadlines_nest_per_thread() -> None:
    guard = Guard(allow_private=True)
    seen: list[Deadline | None] = []
    with guard.bounded(10) as outer:
        with guard.bounded(5) as inner:
            assert guard.deadline is inner
            thread = threading.Thread(target=lambda: seen.append(guard.deadline))
            thread.start()
            thread.join()
        assert guard.deadline is outer
    assert seen == [None]


class Hello(QuietHandler):
    def do_GET(self) -> None:
        reply(self, 200, b"hello", {"Content-Type": "text/plain"})


def test_the_pool_manager_connects_every_request_through_its_guard() -> None:
    with serve(Hello) as base:
        allowed = GuardedPoolManager(Guard(allow_private=True), retries=False)
        assert allowed.request("GET", f"{base}/").data == b"hello"
        refused = GuardedPoolManager(Guard(allow_private=False), retries=False)
        with pytest.raises(AddressRefused):
            refused.request("GET", f"{base}/")
