"""A careful HTTP GET: address guard, redirect and size limits, timeouts and bounded retries.

`HttpClient` owns one urllib3 pool; DoFns open it in `setup` and close it in `teardown`.
Retrying lives in `Retry` so the policy can change without touching the client.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

import urllib3

T = TypeVar("T")
_REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class HttpSettings:
    """Every limit that applies to an outgoing request, in one place."""

    user_agent: str = "newswire/0.1"
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 2
    backoff: float = 0.5
    allow_private: bool = False
    verify_tls: bool = True
    concurrency: int = 16
    per_host_concurrency: int = 4
    per_host_delay: float = 0.0
    obey_robots: bool = True


class FetchError(Exception):
    """A request that did not produce a usable response; `reason` is short and stable.

    `headers` are the response's, when there was one (a 429's Retry-After matters).
    """

    def __init__(self, reason: str, retryable: bool = False,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset":
                return value.strip("\"' ")
        return ""


def check_address(url: str, allow_private: bool) -> None:
    """Refuse URLs that are not http(s) or whose host resolves to a non-public address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"unsupported URL {url!r}")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise FetchError(f"cannot resolve {parts.hostname}: {error.strerror}",
                         retryable=True) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchError(f"refused non-public address {address} for {parts.hostname}")


class Retry:
    """Calls a function again on retryable FetchErrors, with exponential backoff, a few times."""

    def __init__(self, attempts: int, backoff: float,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.attempts = attempts
        self.backoff = backoff
        self.sleep = sleep

    def __call__(self, call: Callable[[], T]) -> T:
        for attempt in range(self.attempts + 1):
            try:
                return call()
            except FetchError as error:
                if not error.retryable or attempt == self.attempts:
                    raise
                self.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")


class HttpClient:
    """GETs one URL at a time under `HttpSettings`; checks every redirect hop's address."""

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self._pool: urllib3.PoolManager | None = None
        self._retry = Retry(settings.retries, settings.backoff)

    def open(self) -> None:
        self._pool = urllib3.PoolManager(
            num_pools=50,
            maxsize=self.settings.per_host_concurrency,
            cert_reqs="CERT_REQUIRED" if self.settings.verify_tls else "CERT_NONE",
            timeout=urllib3.Timeout(connect=self.settings.connect_timeout,
                                    read=self.settings.read_timeout),
            retries=False,
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.clear()
            self._pool = None

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        """GET `url`, retrying transient failures; raises FetchError on anything else."""
        return self._retry(lambda: self._get_once(url, dict(headers or {})))

    def _get_once(self, url: str, headers: dict[str, str]) -> Response:
        assert self._pool is not None, "HttpClient.open() was not called"
        headers = {"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate",
                   **headers}
        for _hop in range(self.settings.max_redirects + 1):
            check_address(url, self.settings.allow_private)
            try:
                raw = self._pool.request("GET", url, headers=headers, redirect=False,
                                         preload_content=False)
            except urllib3.exceptions.TimeoutError:
                raise FetchError("timeout", retryable=True) from None
            except urllib3.exceptions.HTTPError as error:
                raise FetchError(f"connection failed: {type(error).__name__}",
                                 retryable=True) from None
            try:
                if raw.status in _REDIRECTS and raw.headers.get("location"):
                    url = urljoin(url, raw.headers["location"])
                    continue
                if raw.status >= 400:
                    headers = {k.lower(): v for k, v in raw.headers.items()}
                    retryable = raw.status >= 500 or raw.status == 429
                    raise FetchError(f"http {raw.status}", retryable, headers)
                body = self._read_capped(raw)
                response_headers = {k.lower(): v for k, v in raw.headers.items()}
                return Response(url=url, status=raw.status, headers=response_headers, body=body)
            finally:
                raw.release_conn()
        raise FetchError(f"more than {self.settings.max_redirects} redirects")

    def _read_capped(self, raw: urllib3.BaseHTTPResponse) -> bytes:
        limit = self.settings.max_bytes
        declared = raw.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"too large: {declared} bytes > {limit}")
        chunks, size = [], 0
        deadline = time.monotonic() + self.settings.total_timeout
        try:
            for chunk in raw.stream(64 * 1024, decode_content=True):
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"too large: over {limit} bytes")
                if time.monotonic() > deadline:
                    raise FetchError("timeout: download too slow", retryable=True)
                chunks.append(chunk)
        except urllib3.exceptions.TimeoutError:
            raise FetchError("timeout", retryable=True) from None
        except urllib3.exceptions.HTTPError as error:
            raise FetchError(f"read failed: {type(error).__name__}", retryable=True) from None
        return b"".join(chunks)
