"""Politeness toward each host: a cap on concurrent requests, a delay between them, robots.txt."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from newswire.transforms.http import FetchError, HttpClient


class HostLimiter:
    """At most `concurrency` requests in flight per host, starting at least `delay` s apart."""

    def __init__(self, concurrency: int, delay: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.concurrency = concurrency
        self.delay = delay
        self.clock = clock
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        host = urlsplit(url).netloc.lower()
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.Semaphore(self.concurrency))
        with semaphore:
            self._wait_turn(host)
            yield

    def _wait_turn(self, host: str) -> None:
        with self._lock:
            now = self.clock()
            start = max(now, self._next_start.get(host, now))
            self._next_start[host] = start + self.delay
        if start > now:
            time.sleep(start - now)


class RobotsCache:
    """robots.txt per host, fetched once an hour with the same client; unreachable means allowed.

    A 4xx robots.txt allows everything and a 5xx or network failure too, as most crawlers do,
    so a broken robots.txt does not silence a news site.
    """

    def __init__(self, client: HttpClient, user_agent: str, ttl: float = 3600.0) -> None:
        self.client = client
        self.user_agent = user_agent
        self.ttl = ttl
        self._lock = threading.Lock()
        self._origin_locks: dict[str, threading.Lock] = {}
        self._rules: dict[str, tuple[float, RobotFileParser | None]] = {}

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            origin_lock = self._origin_locks.setdefault(origin, threading.Lock())
        # One thread fetches an origin's robots.txt; the others wait for its answer rather than
        # all asking the site at once.
        with origin_lock:
            cached = self._rules.get(origin)
            if cached is None or time.monotonic() - cached[0] > self.ttl:
                cached = self._rules[origin] = (time.monotonic(), self._fetch(origin))
        rules = cached[1]
        return rules is None or rules.can_fetch(self.user_agent, url)

    def _fetch(self, origin: str) -> RobotFileParser | None:
        try:
            response = self.client.get(f"{origin}/robots.txt")
        except FetchError:
            return None
        rules = RobotFileParser()
        rules.parse(response.body.decode("utf-8", errors="replace").splitlines())
        return rules
