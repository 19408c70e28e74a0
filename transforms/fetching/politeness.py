"""Politeness toward each host: a cap on concurrent requests, a delay between them, robots.txt.

robots.txt is read as RFC 9309 says, by Protego (Scrapy's parser): `*` and `$` in paths, the
longest matching rule deciding between `Allow` and `Disallow`, and the group of the most
specific user agent that the User-Agent header names (else `*`). The standard library's
RobotFileParser does none of the first three.

Both keep something per host, and a long streaming run meets hosts without end, so both forget
a host once it has been idle a while (as Scrapy's downloader releases idle slots).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

from newswire.transforms.fetching.http import FetchError, HttpClient


@dataclass
class _Slot:
    """One host's share of the limiter: its semaphore, users, and when it may start next."""

    semaphore: threading.Semaphore
    users: int = 0  # requests holding or waiting for the slot
    next_start: float = 0.0
    last_used: float = 0.0


class HostLimiter:
    """At most `concurrency` requests in flight per host, starting at least `delay` s apart.

    A host nobody has used for `idle` seconds (and whose delay has passed) is forgotten.
    The seconds requests spent waiting for their host add up in `waited`; `take_waited_ms`
    hands them to a Beam counter on the bundle's thread (metrics from pool threads are lost).
    """

    def __init__(self, concurrency: int, delay: float, idle: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.concurrency = concurrency
        self.delay = delay
        self.idle = idle
        self.clock = clock
        self._lock = threading.Lock()
        self._slots: dict[str, _Slot] = {}
        self._swept = clock()
        self._waited = 0.0

    def __len__(self) -> int:
        """The hosts remembered now."""
        return len(self._slots)

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        host = urlsplit(url).netloc.lower()
        with self._lock:
            slot = self._slots.setdefault(host, _Slot(threading.Semaphore(self.concurrency)))
            slot.users += 1
        asked = self.clock()
        try:
            with slot.semaphore:
                self._wait_turn(slot)
                with self._lock:
                    self._waited += self.clock() - asked
                yield
        finally:
            with self._lock:
                slot.users -= 1
                slot.last_used = self.clock()
                self._forget_idle(slot.last_used)

    def take_waited_ms(self) -> int:
        """Milliseconds spent waiting for host slots since the last call."""
        with self._lock:
            whole = int(self._waited * 1000)
            self._waited -= whole / 1000
            return whole

    def _wait_turn(self, slot: _Slot) -> None:
        with self._lock:
            now = self.clock()
            start = max(now, slot.next_start)
            slot.next_start = start + self.delay
        if start > now:
            time.sleep(start - now)

    def _forget_idle(self, now: float) -> None:
        """Drop idle hosts, looking at most once per `idle` seconds (the lock is held)."""
        if now - self._swept < self.idle:
            return
        self._swept = now
        self._slots = {host: slot for host, slot in self._slots.items()
                       if slot.users or now - slot.last_used < self.idle
                       or now < slot.next_start}


@dataclass
class _Robots:
    """One origin's robots.txt: fetched by one thread at a time, kept for the TTL."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    fetched: float | None = None
    rules: Protego | None = None


class RobotsCache:
    """robots.txt per origin, fetched once per `ttl` with the same client; unreachable means
    allowed. Origins whose rules have expired are forgotten, so the cache holds only the
    origins asked about within the last `ttl` seconds.

    A 4xx robots.txt allows everything and a 5xx or network failure too, as most crawlers do,
    so a broken robots.txt does not silence a news site.
    """

    def __init__(self, client: HttpClient, user_agent: str, ttl: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.user_agent = user_agent
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._origins: dict[str, _Robots] = {}
        self._swept = clock()

    def __len__(self) -> int:
        """The origins remembered now."""
        return len(self._origins)

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            self._forget_expired(self.clock())
            robots = self._origins.setdefault(origin, _Robots())
        # One thread fetches an origin's robots.txt; the others wait for its answer rather than
        # all asking the site at once.
        with robots.lock:
            if robots.fetched is None or self.clock() - robots.fetched > self.ttl:
                robots.rules = self._fetch(origin)
                robots.fetched = self.clock()
            rules = robots.rules
        return rules is None or rules.can_fetch(url, self.user_agent)

    def _forget_expired(self, now: float) -> None:
        """Drop origins whose rules are past their TTL, at most once per TTL (lock held)."""
        if now - self._swept < self.ttl:
            return
        self._swept = now
        self._origins = {origin: robots for origin, robots in self._origins.items()
                         if robots.lock.locked() or robots.fetched is None
                         or now - robots.fetched <= self.ttl}

    def _fetch(self, origin: str) -> Protego | None:
        try:
            response = self.client.get(f"{origin}/robots.txt")
        except FetchError:
            return None
        return Protego.parse(response.body.decode("utf-8", errors="replace"))
