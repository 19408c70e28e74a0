"""Small loopback HTTP servers for tests: start one on a free port, answer in one call."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newswire.pipeline.services.seed_server import SeedServer


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1",
          port: int = 0) -> Iterator[str]:
    """Run `handler` on `host` (loopback unless a test's own network namespace says otherwise)
    in a thread, on a free port unless told one; yields the base URL."""
    server = ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes,
          headers: dict[str, str] | None = None) -> None:
    """Send a complete response with a Content-Length; a client that stopped waiting (a test of
    its timeout) gets none, without a traceback in the test's output."""
    try:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing, so a test's output holds only what it asserts."""

    def log_message(self, *_: object) -> None:
        pass


@dataclass(frozen=True)
class Request:
    """One GET a CountingServer answered: when, which path, and the validator it was sent."""

    at: float
    path: str
    if_none_match: str | None


class CountingServer(SeedServer):
    """A SeedServer (ETag, Last-Modified, 304) that counts the requests for each path
    (`asked`) and keeps each request in order (`requests`)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.asked: Counter[str] = Counter()
        self.requests: list[Request] = []
        answer = self._server.RequestHandlerClass
        counter = self

        class Counting(answer):  # type: ignore[misc, valid-type]
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                counter.requests.append(Request(time.time(), path,
                                                self.headers.get("If-None-Match")))
                counter.asked[path] += 1
                super().do_GET()

        self._server.RequestHandlerClass = Counting

    def pages_asked(self) -> Counter[str]:
        return Counter({path: n for path, n in self.asked.items() if path.endswith(".html")})


def namespace_command() -> list[str]:
    """The command that runs the rest in a new network namespace (`unshare -n`, `-rn` when not
    root), or skip with the reason there is none. Inside, bring `lo` up first."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs unshare and ip (util-linux, iproute2) for a network namespace")
    command = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
    probe = subprocess.run([*command, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a network namespace here: {probe.stderr.strip()}")
    return command
