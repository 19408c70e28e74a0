"""The HTTP client's limits, against a real loopback server with misbehaving routes."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest

from newswire.transforms.fetching.http import FetchError, HttpClient, Retry, check_address
from newswire.transforms.fetching.settings import HttpSettings
from tests.loopback import QuietHandler, reply, serve


class Routes(BaseHTTPRequestHandler):
    hits: ClassVar[dict[str, int]] = {}

    def do_GET(self) -> None:
        Routes.hits[self.path] = Routes.hits.get(self.path, 0) + 1
        if self.path == "/loop":
            self._reply(302, b"", {"Location": "/loop"})
        elif self.path == "/hop":
            self._reply(301, b"", {"Location": "/ok"})
        elif self.path == "/spaced":
            self._reply(302, b"", {"Location": "/a b"})
        elif self.path == "/big":
            self._reply(200, b"x" * 5000, {"Content-Type": "text/html"})
        elif self.path == "/flaky":
            status = 503 if Routes.hits[self.path] < 3 else 200
            self._reply(status, b"<html>finally</html>", {"Content-Type": "text/html"})
        elif self.path == "/gone":
            self._reply(404, b"no", {})
        else:
            self._reply(200, b"<html>ok</html>", {"Content-Type": "text/html; charset=utf-8"})

    def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        reply(self, status, body, headers)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve(Routes) as url:
        yield url


def client(**overrides: object) -> HttpClient:
    settings = HttpSettings(allow_private=True, backoff=0.01, **overrides)  # type: ignore[arg-type]
    http = HttpClient(settings)
    http.open()
    return http


def test_follows_a_redirect_and_reports_the_final_url(base: str) -> None:
    response = client().get(f"{base}/hop")
    assert response.url == f"{base}/ok"
    assert response.body == b"<html>ok</html>"


def test_a_redirect_to_an_address_with_a_space_is_followed_as_a_browser_would(base: str) -> None:
    """Once refused as an unsafe URL, which lost the page."""
    assert client().get(f"{base}/spaced").url == f"{base}/a%20b"


def test_redirect_loops_stop_at_the_limit(base: str) -> None:
    with pytest.raises(FetchError, match="more than 3 redirects"):
        client(max_redirects=3).get(f"{base}/loop")


def test_size_cap(base: str) -> None:
    with pytest.raises(FetchError, match="too large"):
        client(max_bytes=1000).get(f"{base}/big")


def test_5xx_is_retried_then_succeeds(base: str) -> None:
    Routes.hits.pop("/flaky", None)
    assert client(retries=3).get(f"{base}/flaky").body == b"<html>finally</html>"
    assert Routes.hits["/flaky"] == 3


def test_404_is_not_retried(base: str) -> None:
    with pytest.raises(FetchError, match="http 404"):
        client(retries=3).get(f"{base}/gone")
    assert Routes.hits["/gone"] == 1


class KeepAlive(QuietHandler):
    """HTTP/1.1, one connection for many requests; the body of a redirect or an error page
    comes a moment after its headers, as a second packet may."""

    protocol_version = "HTTP/1.1"
    hits: ClassVar[Counter[str]] = Counter()

    def do_GET(self) -> None:
        KeepAlive.hits[self.path] += 1
        if self.path in ("/late-404", "/late-301"):
            body = b"<html>not here</html>"
            self.send_response(404 if self.path == "/late-404" else 301)
            self.send_header("Location", "/page")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            time.sleep(0.2)
            self.wfile.write(body)
        else:
            reply(self, 200, b"<html>ok</html>", {"Content-Type": "text/html"})


@pytest.mark.parametrize(("first", "asked"), [("/late-404", 1), ("/late-301", 2), ("/page", 2)])
def test_a_body_left_unread_does_not_spoil_the_next_request(first: str, asked: int) -> None:
    """The next request on a kept-alive connection reads its own answer, so the host is
    asked once for it (a body still arriving when the connection went back to the pool was
    read as the start of the next answer, which failed and was asked again)."""
    KeepAlive.hits.clear()
    with serve(KeepAlive) as base:
        http = client()
        with contextlib.suppress(FetchError):  # the 404
            http.get(base + first)
        assert http.get(f"{base}/page").body == b"<html>ok</html>"
    assert KeepAlive.hits["/page"] == asked  # the redirect's hop, and the request after


def test_loopback_is_refused_unless_allowed(base: str) -> None:
    strict = HttpClient(HttpSettings())
    strict.open()
    with pytest.raises(FetchError, match=r"refused non-public address 127\.0\.0\.1"):
        strict.get(f"{base}/ok")


@pytest.mark.parametrize("url", ["http://10.1.2.3/", "http://169.254.169.254/latest/",
                                 "http://[::1]/", "http://192.168.0.1/", "file:///etc/passwd"])
def test_private_and_odd_addresses_are_refused(url: str) -> None:
    with pytest.raises(FetchError):
        check_address(url, allow_private=False)


def test_retry_backs_off_exponentially_and_gives_up() -> None:
    sleeps: list[float] = []
    calls = []

    def failing() -> None:
        calls.append(1)
        raise FetchError("timeout", retryable=True)

    with pytest.raises(FetchError):
        Retry(attempts=3, backoff=0.5, sleep=sleeps.append)(failing)
    assert len(calls) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_retry_waits_as_long_as_retry_after_asks_and_no_sooner() -> None:
    """A 429 asking for 2 s was asked again after 0.5 s; one asking for more than the time
    left is given up on at once rather than asked again early."""
    sleeps: list[float] = []

    def refused() -> None:
        raise FetchError("http 429", retryable=True, headers={"retry-after": "2"})

    with pytest.raises(FetchError):
        Retry(attempts=2, backoff=0.5, sleep=sleeps.append)(refused)
    assert sleeps == [2.0, 2.0]
    sleeps.clear()
    with pytest.raises(FetchError):
        Retry(attempts=2, backoff=0.5, sleep=sleeps.append)(refused, time.monotonic() + 1.0)
    assert sleeps == []
