"""A careful HTTP GET: address guard, redirect and size limits, timeouts and bounded retries.

`HttpClient` owns one urllib3 pool; DoFns open it in `setup` and close it in `teardown`.
Retrying lives in `Retry` so the policy can change without touching the client.
"""

from __future__ import annotations

import email.utils
import io
import ipaddress
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import LocationParseError
from urllib3.util import Url, parse_url

from newswire.schemas.urls import cleaned_address
from newswire.transforms.fetching.connections import (
    AddressRefused,
    Deadline,
    Guard,
    GuardedPoolManager,
    refuse_non_public,
)
from newswire.transforms.fetching.settings import HttpSettings

T = TypeVar("T")
_REDIRECTS = {301, 302, 303, 307, 308}
# Client errors that say "not now" (timeout, too early, too many requests); any other 4xx says
# the page will not be had by asking again.
_TRY_LATER = {408, 425, 429}
# Bytes of an unread body (a redirect's, an error page's) read off to keep its connection.
_DRAIN_LIMIT = 64 * 1024


class FetchError(Exception):
    """A request that did not produce a usable response; `reason` is short and stable.

    `retryable`: worth asking again within this fetch (a timeout, a 5xx, a 429). `lasting`:
    the same request would fail the same way later too (a 404 or 410, a URL never fetched),
    so the crawl state waits longer before a later run asks again. Neither: a failure that
    may pass, though not within this fetch (its time ran out). `headers` are the response's,
    when there was one (a 429's Retry-After matters).
    """

    def __init__(self, reason: str, retryable: bool = False,
                 headers: Mapping[str, str] | None = None, lasting: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.headers = dict(headers or {})
        self.lasting = lasting

    def __reduce__(self) -> tuple[type[FetchError], tuple[str, bool, dict[str, str], bool]]:
        return FetchError, (self.reason, self.retryable, self.headers, self.lasting)


@dataclass(frozen=True)
class Exchange:
    """The request as sent and its response as served, for an archive to keep (WARC)."""

    method: str
    target: str  # the request-target: path and query
    request_headers: tuple[tuple[str, str], ...]  # in the order sent, Host first
    protocol: str  # e.g. "HTTP/1.1"
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]  # as received: order and repeats kept
    body: bytes  # as served: still content-encoded, if it was


@dataclass(frozen=True)
class Response:
    """A usable response: `headers` lowercased, `body` with its Content-Encoding undone.

    `exchange` is what went over the wire for it (the last hop), where it came from there.
    """

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    exchange: Exchange | None = field(default=None, compare=False, repr=False)

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


def parse_target(url: str) -> Url:
    """The URL as the request will use it; refuses what is not plainly one http(s) address.

    The request is built from this one parse. A URL that `urlsplit` (how links are usually
    read) and urllib3 (what connects) would read as different hosts or ports is refused, as is
    one with a backslash, whitespace or control character, or credentials, the ingredients of
    `http://127.0.0.1:80\\@public.example/` style tricks.
    """
    if any(char == "\\" or ord(char) <= 32 or ord(char) == 127 for char in url):
        raise FetchError(f"unsafe URL {url!r}", lasting=True)
    try:
        target = parse_url(url)
        split = urlsplit(url)
        split_port = split.port
    except (LocationParseError, ValueError):
        raise FetchError(f"unparseable URL {url!r}", lasting=True) from None
    if target.scheme not in ("http", "https") or not target.host:
        raise FetchError(f"unsupported URL {url!r}", lasting=True)
    if target.auth is not None or split.username is not None:
        raise FetchError(f"URL with credentials refused {url!r}", lasting=True)
    if (split.scheme.lower(), _ascii_host(split.hostname or ""), split_port) != (
            target.scheme, target.host.strip("[]").lower(), target.port):
        raise FetchError(f"ambiguous URL {url!r}", lasting=True)
    return target


def _ascii_host(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return host


def check_address(url: str, allow_private: bool) -> Url:
    """The URL's one parse, refusing URLs that are not plain http(s) or name a non-public address.

    A cheap early answer with a clear reason; the authority is the check at connect time
    (`connections.Guard`), which sees the address really connected to.
    """
    target = parse_target(url)
    host = target.host.strip("[]") if target.host else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return target  # a name: resolved, checked and connected in one step at connect time
    if not allow_private:
        try:
            refuse_non_public(str(address), host)
        except AddressRefused as refused:
            raise FetchError(str(refused), lasting=True) from None
    return target


def conditional_headers(etag: str, last_modified: str) -> dict[str, str]:
    """The validators a resource was last served with, as the headers that ask for it only
    if it changed since: an unchanged feed or page then costs its server a 304."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds the server asks us to wait: Retry-After as seconds or an HTTP date.

    A date is measured against the response's own Date header when present, avoiding clock skew.
    """
    value = headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    until = _http_date(value)
    if until is None:
        return None
    sent = _http_date(headers.get("date", ""))
    return max(until - (now if sent is None else sent), 0.0)


def _http_date(value: str) -> float | None:
    """An HTTP date as epoch seconds; None if it is not one."""
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


class Retry:
    """Calls a function again on retryable FetchErrors, with exponential backoff, a few times,
    and never sooner than the server's Retry-After asks.

    With a `deadline` (a `time.monotonic()` instant) it gives up rather than sleep past it: a
    server asking for longer than is left is not asked again sooner than it said.
    """

    def __init__(self, attempts: int, backoff: float,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.attempts = attempts
        self.backoff = backoff
        self.sleep = sleep

    def __call__(self, call: Callable[[], T], deadline: float | None = None) -> T:
        for attempt in range(self.attempts + 1):
            try:
                return call()
            except FetchError as error:
                pause = max(self.backoff * 2**attempt, retry_after(error.headers, time.time()) or 0)
                late = deadline is not None and time.monotonic() + pause >= deadline
                if not error.retryable or attempt == self.attempts or late:
                    raise
                self.sleep(pause)
        raise AssertionError("unreachable")


class HttpClient:
    """GETs one URL at a time under `HttpSettings`.

    Every hop and retry connects through a `Guard` that checks the address connected to, and
    `total_timeout` bounds the whole call: hops, retries and their backoff included.
    """

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self._guard = Guard(settings.allow_private)
        self._pool: GuardedPoolManager | None = None
        self._retry = Retry(settings.retries, settings.backoff)

    def open(self) -> None:
        self._pool = GuardedPoolManager(
            self._guard,
            num_pools=50,
            maxsize=self.settings.per_host_concurrency,
            cert_reqs="CERT_REQUIRED" if self.settings.verify_tls else "CERT_NONE",
            retries=False,
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.clear()
            self._pool = None

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        """GET `url`, retrying transient failures; raises FetchError on anything else."""
        limit = self.settings.total_timeout
        with self._guard.bounded(limit) as deadline:
            try:
                return self._retry(lambda: self._get_once(url, dict(headers or {}), deadline),
                                   deadline.at)
            except FetchError as error:
                if deadline.expired:
                    raise FetchError(f"timeout: no complete response within {limit:g} s",
                                     headers=error.headers) from None
                raise

    def _get_once(self, url: str, extra: dict[str, str], deadline: Deadline) -> Response:
        assert self._pool is not None, "HttpClient.open() was not called"
        extra = {"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate",
                 **extra}
        for _hop in range(self.settings.max_redirects + 1):
            target = check_address(url, self.settings.allow_private)
            # Host as http.client would send it, sent by us so the archive records what was sent
            sent = {"Host": _host_header(target), **extra}
            raw = self._send(target, sent, deadline)
            try:
                if raw.status in _REDIRECTS and raw.headers.get("location"):
                    url = urljoin(url, cleaned_address(raw.headers["location"]))
                    continue
                if raw.status >= 400:
                    headers = {k.lower(): v for k, v in raw.headers.items()}
                    retryable = raw.status >= 500 or raw.status == 429
                    raise FetchError(f"http {raw.status}", retryable, headers,
                                     lasting=raw.status not in _TRY_LATER and raw.status < 500)
                served, body = self._read_capped(raw)
                if deadline.expired:  # the body ended because its socket was shut
                    raise FetchError("timeout")
                received = tuple(raw.headers.items())
                exchange = Exchange("GET", target.request_uri, tuple(sent.items()),
                                    raw.version_string, raw.status, raw.reason or "", received,
                                    served)
                return Response(url=url, status=raw.status,
                                headers={name.lower(): value for name, value in received},
                                body=body, exchange=exchange)
            finally:
                _release(raw)
        raise FetchError(f"more than {self.settings.max_redirects} redirects", lasting=True)

    def _send(self, target: Url, headers: dict[str, str],
              deadline: Deadline) -> urllib3.BaseHTTPResponse:
        """Send the request built from `target`, the URL's one parse; the answer's headers."""
        assert self._pool is not None
        left = max(deadline.remaining(), 0.001)
        timeout = urllib3.Timeout(connect=min(self.settings.connect_timeout, left),
                                  read=min(self.settings.read_timeout, left))
        pool = self._pool.connection_from_host(target.host, target.port, target.scheme)
        try:
            return pool.urlopen("GET", target.request_uri, headers=headers, redirect=False,
                                retries=False, preload_content=False, timeout=timeout,
                                assert_same_host=False)
        except AddressRefused as refused:
            raise FetchError(str(refused), lasting=True) from None
        except urllib3.exceptions.NameResolutionError as error:
            raise FetchError(f"cannot resolve {target.host}", retryable=True) from error
        except urllib3.exceptions.NewConnectionError as error:
            cause = error.__cause__
            reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else cause
            raise FetchError(f"connection failed: {reason or 'refused'}".lower(),
                             retryable=True) from None
        except urllib3.exceptions.TimeoutError:
            raise FetchError("timeout", retryable=True) from None
        except urllib3.exceptions.HTTPError as error:
            raise FetchError(f"connection failed: {type(error).__name__}",
                             retryable=True) from None

    def _read_capped(self, raw: urllib3.BaseHTTPResponse) -> tuple[bytes, bytes]:
        """The body as served and as decoded (its Content-Encoding undone), each capped."""
        limit = self.settings.max_bytes
        declared = raw.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"too large: {declared} bytes > {limit}", lasting=True)
        served = _capped(raw.stream(64 * 1024, decode_content=False), limit)
        if not (encoding := raw.headers.get("content-encoding")):
            return served, served
        # urllib3's own decoders, over what was read: decoded as before, and capped again
        decoding = urllib3.HTTPResponse(io.BytesIO(served), {"content-encoding": encoding},
                                        preload_content=False)
        return served, _capped(decoding.stream(64 * 1024, decode_content=True), limit)


def _release(raw: urllib3.BaseHTTPResponse) -> None:
    """The response's connection back to the pool, for the host's next request, only with the
    response read to its end: a body left unread (a redirect's, an error page's, one over the
    size cap), or still on its way, would be read as the start of the next answer, which then
    fails and is asked again. A short rest is read off; a longer one costs the connection."""
    left = raw.length_remaining
    if not raw.isclosed():
        if left is not None and left <= _DRAIN_LIMIT:
            raw.drain_conn()
        else:
            raw.close()
    raw.release_conn()


def _capped(chunks: Iterator[bytes], limit: int) -> bytes:
    parts, size = [], 0
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise FetchError(f"too large: over {limit} bytes", lasting=True)
            parts.append(chunk)
    except urllib3.exceptions.TimeoutError:
        raise FetchError("timeout", retryable=True) from None
    except urllib3.exceptions.HTTPError as error:
        raise FetchError(f"read failed: {type(error).__name__}", retryable=True) from None
    return b"".join(parts)


def _host_header(target: Url) -> str:
    """The Host header for a request to `target`: its port only where it is not the default."""
    default = 443 if target.scheme == "https" else 80
    port = target.port
    return f"{target.host}:{port}" if port and port != default else str(target.host)
