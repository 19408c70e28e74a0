"""Politeness toward each host: a cap on concurrent requests, a delay between them, robots.txt.

robots.txt is read as RFC 9309 says, by Protego (Scrapy's parser): `*` and `$` in paths, the
longest matching rule deciding between `Allow` and `Disallow`, and the group of the most
specific user agent that the User-Agent header names (else `*`). The standard library's
RobotFileParser does none of the first three.

The limits hold for the whole job, on any number of worker processes, as in crawlers that scale
(StormCrawler partitions URLs by host, Scrapy keeps a slot per host): `FetchPages` keys each
page by one of `--per-host-concurrency` slots of its host (`SlotKeys`), so the runner's keyed
state step hands each slot to one worker at a time, and there `SlotQueues` fetches a slot's
pages one after another, `--per-host-delay` x slots apart, so the host sees at most one start
per delay on average. `HostLimiter` caps a host inside one process, for callers that fetch
outside that step (site discovery).

Each keeps something per host or slot, and a long streaming run meets hosts without end, so
each forgets one once it has been idle a while (as Scrapy's downloader releases idle slots).
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from protego import Protego

from newswire.schemas.urls import DEFAULT_PORTS
from newswire.transforms.fetching.http import FetchError, HttpClient
from newswire.transforms.fetching.settings import HttpSettings

ROBOTS_BYTES = 500 * 1024
"""How much of a robots.txt is read, as RFC 9309 (2.5) allows and Google does."""
DISALLOWED = "disallowed by robots.txt"
"""Why a URL its host's robots.txt disallows is not fetched."""


@dataclass
class _Slot:
    """One host's share of the limiter: its semaphore, users, and when it may start next."""

    semaphore: threading.Semaphore
    users: int = 0  # requests holding or waiting for the slot
    next_start: float = 0.0
    last_used: float = 0.0


def host_of(url: str) -> str:
    """The host (and port) that politeness counts by: one host however its URLs spell it, with
    credentials (`user@host`) or the scheme's own port (`host:443`). A URL that cannot be
    parsed ("http://[") counts by the text where its host would be: it is keyed like any other,
    and fails, alone, where it is fetched."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.partition("//")[2].partition("/")[0].lower()
    host = parts.netloc.rpartition("@")[2].lower()
    port = DEFAULT_PORTS.get(parts.scheme.lower())
    return host.removesuffix(f":{port}") if port else host


class SlotKeys:
    """Gives each URL one of `slots` slot keys of its host, "host#k", in turn, so a run of one
    host's pages spreads evenly over its slots without remembering any host."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._turn = itertools.count()

    def __call__(self, url: str) -> str:
        return f"{host_of(url)}#{next(self._turn) % self.slots}"


class HostLimiter:
    """At most `concurrency` requests in flight per key (a host, or a host's slot), starting at
    least `delay` s apart.

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
    def slot(self, key: str) -> Iterator[None]:
        with self._lock:
            slot = self._slot(key)
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

    def hold(self, key: str, seconds: float) -> None:
        """No request on `key` starts within `seconds` from now (one elsewhere just ended)."""
        with self._lock:
            slot = self._slot(key)
            slot.next_start = max(slot.next_start, self.clock() + seconds)
            slot.last_used = self.clock()

    def take_waited_ms(self) -> int:
        """Milliseconds spent waiting for host slots since the last call."""
        with self._lock:
            whole = int(self._waited * 1000)
            self._waited -= whole / 1000
            return whole

    def _slot(self, key: str) -> _Slot:
        """The key's slot, made on first use (the lock is held)."""
        return self._slots.setdefault(key, _Slot(threading.Semaphore(self.concurrency)))

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


class SlotQueues:
    """Work queued per slot key, each slot running one item at a time on a shared executor: a
    slot with work takes one thread of it, a slot with none takes nothing, so one host's run of
    pages never holds up the threads other hosts need.

    A slot whose own queue is empty takes the next item of another slot of its host that is
    queued here: every slot queued here belongs to this bundle until it ends, so a host still
    has no more items running than slots, and none waits while one of its slots idles.
    `spacing` (a HostLimiter of concurrency 1, keyed by slot) keeps each slot's starts apart,
    and after each item a slot waits the seconds `pause` gives for it and the item's outcome
    (its host's Crawl-delay, a refusal's Retry-After).
    Each outcome comes back through `take` as a finished Future with the item's tag; `put` and
    `take` belong to one thread (the bundle's).
    """

    def __init__(self, executor: Executor, work: Callable[[Any], Any], spacing: HostLimiter,
                 pause: Callable[[str, Future], float] = lambda _key, _outcome: 0.0) -> None:
        self.executor, self.work, self.spacing, self.pause = executor, work, spacing, pause
        self.pending = 0  # put and not yet taken
        self._lock = threading.Lock()
        self._waiting: dict[str, deque[tuple[Any, Any, float]]] = {}  # slots with a runner
        self._hosts: dict[str, set[str]] = {}  # those slots by host
        self._done: queue.SimpleQueue[tuple[Any, Future]] = queue.SimpleQueue()
        self._waited = 0.0
        self._closed = False

    def put(self, key: str, item: Any, tag: Any) -> None:
        with self._lock:
            idle = key not in self._waiting
            if idle:
                self._waiting[key] = deque()
                self._hosts.setdefault(host_of_slot(key), set()).add(key)
            self._waiting[key].append((item, tag, time.monotonic()))
        self.pending += 1
        if idle:
            self.executor.submit(self._run, key)

    def take(self, block: bool = True) -> tuple[Any, Future] | None:
        """The next outcome (waiting for one if `block`), or None if none is ready."""
        try:
            done = self._done.get(block=block)
        except queue.Empty:
            return None
        self.pending -= 1
        return done

    def take_waited_ms(self) -> int:
        """Milliseconds items spent queued for their slot since the last call."""
        with self._lock:
            whole = int(self._waited * 1000)
            self._waited -= whole / 1000
            return whole

    def close(self) -> None:
        """Slots stop after the item they are on; what is still queued is dropped."""
        self._closed = True

    def _run(self, key: str) -> None:
        """On a pool thread: items of the slot (or of its host's other slots here), one after
        another, until none is left."""
        while True:
            with self._lock:
                queued_for = self._next_queue(key)
                if queued_for is None or self._closed:
                    self._stop(key)
                    return
                item, tag, queued = queued_for.popleft()
            outcome: Future = Future()
            try:
                with self.spacing.slot(key):
                    with self._lock:
                        self._waited += time.monotonic() - queued
                    outcome.set_result(self.work(item))
            except Exception as error:  # the caller meets it where it takes the outcome
                outcome.set_exception(error)
            if (pause := self.pause(key, outcome)) > 0:
                self.spacing.hold(key, pause)
            self._done.put((tag, outcome))

    def _next_queue(self, key: str) -> deque | None:
        """The slot's own queue if it has items, else its host's longest one here (lock held)."""
        if self._waiting[key]:
            return self._waiting[key]
        longest = max((self._waiting[sibling] for sibling in self._hosts[host_of_slot(key)]),
                      key=len)
        return longest or None

    def _stop(self, key: str) -> None:
        """The slot's runner ends (lock held)."""
        del self._waiting[key]
        host = host_of_slot(key)
        self._hosts[host].discard(key)
        if not self._hosts[host]:
            del self._hosts[host]


def _robots_text(body: bytes) -> str:
    """The part of a robots.txt that is read: its first ROBOTS_BYTES, to the last whole line
    (RFC 9309 asks for at least 500 KiB; one of 5.5 MB took 5.3 s to parse and 91 ms to
    check each URL against, its first 500 KiB 0.42 s and 10 ms)."""
    if len(body) > ROBOTS_BYTES:
        body = body[:ROBOTS_BYTES].rpartition(b"\n")[0]
    return body.decode("utf-8", errors="replace")


def host_of_slot(key: str) -> str:
    """The host of a slot key ("host#k")."""
    return key.rpartition("#")[0]


@dataclass
class _Robots:
    """One origin's robots.txt: asked by one thread at a time, its answer kept for `keep`
    seconds (`rules` None: there are none, everything is allowed; `unreachable`: why it could
    not be had, and everything is disallowed until it is asked again)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    used: float = 0.0  # when a URL of the origin was last checked
    asked: float | None = None
    keep: float = 0.0
    rules: Protego | None = None
    unreachable: str = ""


class RobotsCache:
    """robots.txt per origin, fetched once per `ttl` with the same client. Origins no URL was
    checked for within the last `ttl` seconds are forgotten, so the cache holds only those.

    As RFC 9309 says: a robots.txt that answers 4xx is unavailable and allows everything; one
    that is unreachable (5xx, 429, a timeout or a failed connection, after the client's
    retries) disallows everything, so a site in trouble is not crawled until it answers. That
    verdict is kept for `retry` seconds only, then robots.txt is asked again. An origin whose
    robots.txt was had before keeps that copy while it is unreachable (RFC 9309, 2.4), asked
    again every `retry` seconds: one failed request does not shut a site a job crawls.

    `crawl_delay` reads the (non-standard, widely used) `Crawl-delay` line from the copies had,
    up to `max_crawl_delay` seconds.
    """

    def __init__(self, client: HttpClient, user_agent: str, ttl: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic, retry: float = 300.0,
                 max_crawl_delay: float = HttpSettings.max_crawl_delay) -> None:
        self.client = client
        self.user_agent = user_agent
        self.max_crawl_delay = max_crawl_delay
        self.ttl = ttl
        self.retry = min(retry, ttl)
        self.clock = clock
        self._lock = threading.Lock()
        self._origins: dict[str, _Robots] = {}
        self._swept = clock()

    def __len__(self) -> int:
        """The origins remembered now."""
        return len(self._origins)

    def allowed(self, url: str) -> bool:
        return not self.refusal(url)

    def crawl_delay(self, host: str) -> float:
        """The seconds `host`'s robots.txt asks between requests (its `Crawl-delay` for our
        user agent, over http or https), at most `max_crawl_delay`; 0 where no copy had asks."""
        with self._lock:
            had = [self._origins.get(f"{scheme}://{host}") for scheme in DEFAULT_PORTS]
        asked = [robots.rules.crawl_delay(self.user_agent) or 0.0
                 for robots in had if robots is not None and robots.rules is not None]
        return min(max(asked, default=0.0), self.max_crawl_delay)

    def refusal(self, url: str) -> str:
        """Why robots.txt keeps `url` from being fetched; "" when it does not."""
        origin = f"{urlsplit(url).scheme.lower()}://{host_of(url)}"  # one per host, however spelt
        with self._lock:
            now = self.clock()
            self._forget_unused(now)
            robots = self._origins.setdefault(origin, _Robots())
            robots.used = now
        # One thread fetches an origin's robots.txt; the others wait for its answer rather than
        # all asking the site at once.
        with robots.lock:
            if robots.asked is None or self.clock() - robots.asked > robots.keep:
                self._ask(origin, robots)
            rules, unreachable = robots.rules, robots.unreachable
        if unreachable:
            return f"robots.txt unreachable ({unreachable})"
        if rules is not None and not rules.can_fetch(url, self.user_agent):
            return DISALLOWED
        return ""

    def _forget_unused(self, now: float) -> None:
        """Drop origins no URL was checked for within the TTL, at most once per TTL (lock
        held)."""
        if now - self._swept < self.ttl:
            return
        self._swept = now
        self._origins = {origin: robots for origin, robots in self._origins.items()
                         if robots.lock.locked() or now - robots.used <= self.ttl}

    def _ask(self, origin: str, robots: _Robots) -> None:
        """Ask the origin's robots.txt (its lock held) and keep the answer, or the copy had
        before when there is one and robots.txt is now unreachable."""
        had_copy = robots.asked is not None and not robots.unreachable
        rules, unreachable = self._fetch(origin)
        if not (unreachable and had_copy):
            robots.rules, robots.unreachable = rules, unreachable
        robots.keep = self.retry if unreachable else self.ttl
        robots.asked = self.clock()

    def _fetch(self, origin: str) -> tuple[Protego | None, str]:
        """The origin's rules (None: none, all allowed), or why it is unreachable (the
        errors the client retries: 5xx, 429, timeouts, failed connections)."""
        try:
            response = self.client.get(f"{origin}/robots.txt")
        except FetchError as error:
            return None, error.reason if error.retryable else ""
        return Protego.parse(_robots_text(response.body)), ""
