"""Where a request's socket connects: the address guard and the deadline, for every hop and retry.

The guard checks the address a connection is actually made to, not an earlier lookup of the
same name, so a URL that parses two ways or a name that resolves differently the second time
(DNS rebinding) cannot reach a non-public address. The deadline bounds a whole request: when it
passes, the sockets the request opened or reused are shut down, which ends any read at once, so a
server that trickles bytes or hangs after its headers cannot hold a request past its limit.

`GuardedPoolManager` is a urllib3 `PoolManager` whose pools make `Guarded*Connection`s; it
shares one `Guard` (the policy and each thread's current deadline) with all of them.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family


class AddressRefused(Exception):
    """A connection to a non-public address, refused before a byte of the request was sent.

    It is no urllib3 or socket error on purpose: urllib3 lets it through unwrapped and unretried.
    """


def refuse_non_public(address: str, host: str) -> None:
    """Raise AddressRefused unless `address` (as connected to, or resolved) is globally routable."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    if not ip.is_global or (mapped is not None and not mapped.is_global):
        raise AddressRefused(f"refused non-public address {ip} for {host}")


class Deadline:
    """The instant one request (all its hops and retries) must be over; then its sockets close."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return max(self.at - time.monotonic(), 0.0)

    def watch(self, sock: socket.socket | None) -> None:
        """Shut `sock` down when the deadline passes (at once, if it already has)."""
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    with suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


class Guard:
    """The address policy and, per thread, the deadline of the request under way."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._local = threading.local()

    @property
    def deadline(self) -> Deadline | None:
        return getattr(self._local, "deadline", None)

    @contextmanager
    def bounded(self, seconds: float) -> Iterator[Deadline]:
        """Every connection this thread uses inside the block closes when `seconds` pass."""
        deadline, outer = Deadline(seconds), self.deadline
        self._local.deadline = deadline
        try:
            yield deadline
        finally:
            self._local.deadline = outer
            deadline.cancel()

    def connect(self, host: str, port: int, timeout: float | None,
                options: Any, source_address: tuple[str, int] | None) -> socket.socket:
        """A socket connected to `host`, refusing any non-public address it resolves to.

        One lookup serves both the check and the connection; the peer address is checked again
        once connected, as that is what the request will really talk to.
        """
        infos = socket.getaddrinfo(host.strip("[]"), port, allowed_gai_family(),
                                   socket.SOCK_STREAM)
        if not self.allow_private:
            for info in infos:
                refuse_non_public(str(info[4][0]), host)
        error: OSError = OSError(f"no address for {host}")
        for family, kind, proto, _name, address in infos:
            sock = socket.socket(family, kind, proto)
            try:
                for option in options or ():
                    sock.setsockopt(*option)
                sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(address)
                if not self.allow_private:
                    refuse_non_public(str(sock.getpeername()[0]), host)
            except (OSError, AddressRefused) as failure:
                sock.close()
                if isinstance(failure, AddressRefused):
                    raise
                error = failure
                continue
            if (deadline := self.deadline) is not None:
                deadline.watch(sock)
            return sock
        raise error


class _GuardedConnection:
    """Mixin for urllib3 connections: connect through the Guard, stay under its deadline."""

    guard: Guard

    def _new_conn(self) -> socket.socket:
        conn: Any = self
        try:
            return self.guard.connect(conn._dns_host, conn.port, conn.timeout,
                                      conn.socket_options, conn.source_address)
        except socket.gaierror as error:
            raise NameResolutionError(conn.host, conn, error) from error
        except TimeoutError as error:
            raise ConnectTimeoutError(conn, f"connection to {conn.host} timed out") from error
        except OSError as error:
            raise NewConnectionError(conn, f"cannot connect: {error}") from error

    def request(self, *args: Any, **kwargs: Any) -> None:
        # A kept-alive connection was connected under an earlier deadline: watch it for this one.
        if (deadline := self.guard.deadline) is not None:
            deadline.watch(getattr(self, "sock", None))
        super().request(*args, **kwargs)  # type: ignore[misc]


class GuardedHTTPConnection(_GuardedConnection, HTTPConnection):
    pass


class GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    pass


class _GuardedPool:
    guard: Guard

    def _new_conn(self) -> Any:
        conn = super()._new_conn()  # type: ignore[misc]
        conn.guard = self.guard
        return conn


class GuardedHTTPPool(_GuardedPool, HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSPool(_GuardedPool, HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedPoolManager(urllib3.PoolManager):
    """A PoolManager whose every connection goes through `guard`."""

    def __init__(self, guard: Guard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.guard = guard
        self.pool_classes_by_scheme = {"http": GuardedHTTPPool, "https": GuardedHTTPSPool}

    def _new_pool(self, scheme: str, host: str, port: int,
                  request_context: dict[str, Any] | None = None) -> HTTPConnectionPool:
        pool = super()._new_pool(scheme, host, port, request_context)
        pool.guard = self.guard  # type: ignore[attr-defined]
        return pool
