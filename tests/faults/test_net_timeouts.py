"""`--fetch-timeout` bounds a whole request, retries included, whatever a loopback server does."""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from newswire.transforms.fetching.http import FetchError, HttpClient
from newswire.transforms.fetching.settings import HttpSettings
from tests.loopback import reply, serve

pytestmark = pytest.mark.timeout(60)
LIMIT = 2.0
SLACK = 1.5  # the bound: within a second or two of the limit


class Stalling(BaseHTTPRequestHandler):
    """Routes that stall in each place a response can: never answering, after the headers, in
    the headers, or trickling the body; each gives up after 20 s, so a broken bound shows."""

    def do_GET(self) -> None:
        try:
            if self.path == "/silent":
                time.sleep(20)
            elif self.path == "/hang-after-headers":
                self._headers(1000)
                time.sleep(20)
            elif self.path == "/slow-headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                self._trickle(b"X-Slow: " + b"a" * 40 + b"\r\n\r\n")
            elif self.path == "/trickle":
                self._headers(1000)
                self._trickle(b"x" * 1000)
            else:
                reply(self, 200, b"<html>ok</html>", {"Content-Type": "text/html"})
        except OSError:  # the client hung up, as it should
            pass

    def _headers(self, length: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.flush()

    def _trickle(self, data: bytes) -> None:
        for byte in data[:40]:  # one byte every half second: 20 s at most
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(0.5)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve(Stalling) as url:
        yield url


@pytest.mark.parametrize("path", ["/silent", "/hang-after-headers", "/slow-headers", "/trickle"])
def test_a_stalling_server_is_given_up_on_at_the_fetch_timeout(base: str, path: str) -> None:
    client = HttpClient(HttpSettings(allow_private=True, total_timeout=LIMIT, read_timeout=15,
                                     retries=2, backoff=0.2))
    client.open()
    started = time.monotonic()
    with pytest.raises(FetchError, match="timeout"):
        client.get(f"{base}{path}")
    elapsed = time.monotonic() - started
    assert elapsed < LIMIT + SLACK, f"{path} held the request {elapsed:.1f} s (limit {LIMIT} s)"
    client.close()


def test_the_bound_does_not_outlive_its_request(base: str) -> None:
    """A kept-alive connection that served a request in time serves the next one after the
    first request's deadline has passed."""
    client = HttpClient(HttpSettings(allow_private=True, total_timeout=0.5))
    client.open()
    assert client.get(f"{base}/ok").body == b"<html>ok</html>"
    time.sleep(0.7)
    assert client.get(f"{base}/ok").body == b"<html>ok</html>"
    client.close()
