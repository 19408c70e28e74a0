"""Per-host limits and robots.txt, with real threads and a real loopback server."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest

from newswire.transforms.fetching.fetch import PageFetcher
from newswire.transforms.fetching.http import FetchError, HttpClient
from newswire.transforms.fetching.politeness import (
    ROBOTS_BYTES,
    HostLimiter,
    RobotsCache,
    SlotKeys,
    SlotQueues,
    host_of,
)
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.records import FeedEntry
from tests.loopback import reply, serve


class Site(BaseHTTPRequestHandler):
    robots = b"User-agent: *\nDisallow: /private/\n"
    in_flight = 0
    peak = 0
    robots_requests = 0
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_GET(self) -> None:
        with Site.lock:
            Site.in_flight += 1
            Site.peak = max(Site.peak, Site.in_flight)
            Site.robots_requests += self.path == "/robots.txt"
        time.sleep(0.05)
        with Site.lock:
            Site.in_flight -= 1
        if self.path == "/robots.txt":
            self._reply(b"text/plain", Site.robots)
        else:
            self._reply(b"text/html", b"<html><body><p>page</p></body></html>")

    def _reply(self, content_type: bytes, body: bytes) -> None:
        reply(self, 200, body, {"Content-Type": content_type.decode()})

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve(Site) as url:
        yield url


def fetcher(**settings: object) -> PageFetcher:
    page_fetcher = PageFetcher(HttpSettings(allow_private=True, **settings))  # type: ignore[arg-type]
    page_fetcher.open()
    return page_fetcher


def entry(url: str) -> FeedEntry:
    return FeedEntry(link=url, feed_url="f")


def test_robots_txt_is_honoured(site: str) -> None:
    polite = fetcher()
    assert polite.fetch(entry(f"{site}/news/a.html")).html.startswith("<html>")
    with pytest.raises(FetchError, match=r"disallowed by robots\.txt"):
        polite.fetch(entry(f"{site}/private/b.html"))
    assert fetcher(obey_robots=False).fetch(entry(f"{site}/private/b.html"))


def test_per_host_concurrency_is_capped_and_robots_txt_asked_once(site: str) -> None:
    Site.peak = Site.robots_requests = 0
    capped = fetcher(per_host_concurrency=3)  # robots.txt not yet known: every thread needs it
    threads = [threading.Thread(target=capped.fetch, args=(entry(f"{site}/p{i}"),))
               for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Site.peak == 3
    assert Site.robots_requests == 1


def test_per_host_delay_spaces_request_starts() -> None:
    limiter = HostLimiter(concurrency=10, delay=0.05)
    starts: list[float] = []

    def request(host: str) -> None:
        with limiter.slot(host):
            starts.append(time.monotonic())

    threads = [threading.Thread(target=request, args=("a.example",)) for _ in range(5)]
    threads.append(threading.Thread(target=request, args=("b.example",)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    gaps = sorted(starts)
    assert gaps[-1] - gaps[0] >= 0.19  # five starts on one host need four delays
    assert len(starts) == 6


class RulesSite(BaseHTTPRequestHandler):
    """Serves `robots` as robots.txt and a page at every other path, counting requests by path."""

    robots = ""
    robots_status = 200
    requested: ClassVar[dict[str, int]] = {}
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_GET(self) -> None:
        with RulesSite.lock:
            RulesSite.requested[self.path] = RulesSite.requested.get(self.path, 0) + 1
        if self.path == "/robots.txt":
            reply(self, RulesSite.robots_status, RulesSite.robots.encode(),
                  {"Content-Type": "text/plain"})
        else:
            reply(self, 200, b"<html><body><p>page</p></body></html>",
                  {"Content-Type": "text/html"})

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def rules_site() -> Iterator[str]:
    RulesSite.requested, RulesSite.robots_status = {}, 200
    with serve(RulesSite) as url:
        yield url


NEWS_RULES = """User-agent: *
Disallow: /*?print=
Disallow: /*.pdf$
Disallow: /archive/
Allow: /archive/today
Disallow: /drafts/*/final
"""

GROUPS = """User-agent: *
Disallow: /

User-agent: OtherBot
Allow: /

User-agent: NewsWire
Disallow: /private/
"""


@pytest.mark.parametrize(("robots", "user_agent", "path", "allowed"), [
    # `*` matches any run of characters, anywhere in the path
    (NEWS_RULES, "newswire/0.1", "/story?print=1", False),
    (NEWS_RULES, "newswire/0.1", "/section/story?print=yes&id=3", False),
    (NEWS_RULES, "newswire/0.1", "/story?id=3&print=yes", True),  # not `?print=`
    (NEWS_RULES, "newswire/0.1", "/story?id=3", True),
    (NEWS_RULES, "newswire/0.1", "/drafts/2026/final", False),
    (NEWS_RULES, "newswire/0.1", "/drafts/2026/first", True),
    # `$` anchors the end: only paths ending in .pdf
    (NEWS_RULES, "newswire/0.1", "/report.pdf", False),
    (NEWS_RULES, "newswire/0.1", "/report.pdf.html", True),
    # the longest matching rule wins, whatever the order it is written in
    (NEWS_RULES, "newswire/0.1", "/archive/old", False),
    (NEWS_RULES, "newswire/0.1", "/archive/today/story", True),
    ("User-agent: *\nAllow: /a\nDisallow: /a/b\n", "newswire/0.1", "/a/b/c", False),
    ("User-agent: *\nDisallow: /a\nAllow: /a/b\n", "newswire/0.1", "/a/b/c", True),
    # the most specific group the User-Agent names, case-insensitively; else `*`
    (GROUPS, "newswire/0.1", "/story", True),
    (GROUPS, "newswire/0.1", "/private/story", False),
    (GROUPS, "Mozilla/5.0 (compatible; NewsWire/0.1; +https://example.org/bot)",
     "/private/story", False),
    (GROUPS, "newswire/0.1", "/", True),
    (GROUPS, "somebot/1.0", "/story", False),
    (GROUPS, "otherbot/2.0", "/private/story", True),
])
def test_robots_txt_is_read_by_rfc_9309(rules_site: str, robots: str, user_agent: str,
                                        path: str, allowed: bool) -> None:
    RulesSite.robots = robots
    client = HttpClient(HttpSettings(allow_private=True))
    client.open()
    try:
        assert RobotsCache(client, user_agent).allowed(f"{rules_site}{path}") is allowed
    finally:
        client.close()


@pytest.mark.parametrize(("status", "refusal"), [
    (404, ""), (403, ""), (401, ""),  # unavailable: everything allowed
    (503, "robots.txt unreachable (http 503)"), (500, "robots.txt unreachable (http 500)"),
    (429, "robots.txt unreachable (http 429)"),  # unreachable: everything disallowed
])
def test_a_robots_txt_unavailable_allows_all_and_one_unreachable_disallows_all(
        rules_site: str, status: int, refusal: str) -> None:
    RulesSite.robots, RulesSite.robots_status = "User-agent: *\nDisallow: /\n", status
    client = HttpClient(HttpSettings(allow_private=True, retries=0))
    client.open()
    try:
        assert RobotsCache(client, "newswire/0.1").refusal(f"{rules_site}/story") == refusal
    finally:
        client.close()


def test_one_robots_txt_serves_a_host_however_its_urls_spell_it(rules_site: str) -> None:
    """A URL with credentials was another origin: its robots.txt was asked again, with them."""
    RulesSite.robots = "User-agent: *\nDisallow: /private/\n"
    client = HttpClient(HttpSettings(allow_private=True, retries=0))
    client.open()
    try:
        robots = RobotsCache(client, "newswire/0.1")
        assert robots.allowed(f"{rules_site}/story")
        assert not robots.allowed(rules_site.replace("://", "://reader@") + "/private/a")
    finally:
        client.close()
    assert RulesSite.requested == {"/robots.txt": 1}


@pytest.mark.parametrize(("robots", "delay"), [
    ("User-agent: *\nCrawl-delay: 2\n", 2.0),
    ("User-agent: *\nCrawl-delay: 1\n\nUser-agent: newswire\nCrawl-delay: 3\n", 3.0),
    ("User-agent: *\nCrawl-delay: 86400\n", 30.0),  # at most max_crawl_delay
    ("User-agent: *\nCrawl-delay: soon\n", 0.0), ("User-agent: *\nDisallow:\n", 0.0)])
def test_the_crawl_delay_is_read_from_the_hosts_robots_txt(
        rules_site: str, robots: str, delay: float) -> None:
    RulesSite.robots = robots
    client = HttpClient(HttpSettings(allow_private=True, retries=0))
    client.open()
    try:
        cache = RobotsCache(client, "newswire/0.1", max_crawl_delay=30.0)
        host = host_of(rules_site)
        assert cache.crawl_delay(host) == 0.0  # nothing had yet: nothing asked
        assert cache.allowed(f"{rules_site}/story")
        assert cache.crawl_delay(host) == delay
    finally:
        client.close()


def test_a_robots_txt_is_read_to_its_first_500_kib(rules_site: str) -> None:
    """As RFC 9309 allows: a rule past them is not read, so a huge file costs no more."""
    padding = "# " + "x" * 97 + "\n"
    RulesSite.robots = ("User-agent: *\nDisallow: /early/\n" + padding * (ROBOTS_BYTES // 100)
                        + "Disallow: /late/\n")
    client = HttpClient(HttpSettings(allow_private=True, retries=0))
    client.open()
    try:
        robots = RobotsCache(client, "newswire/0.1")
        assert not robots.allowed(f"{rules_site}/early/a")
        assert robots.allowed(f"{rules_site}/late/a")
    finally:
        client.close()


def test_an_unreachable_robots_txt_is_asked_again_sooner_than_rules_expire(
        rules_site: str) -> None:
    now = [0.0]
    client = HttpClient(HttpSettings(allow_private=True, retries=0))
    client.open()
    try:
        robots = RobotsCache(client, "newswire/0.1", ttl=3600, clock=lambda: now[0], retry=300)
        RulesSite.robots, RulesSite.robots_status = "User-agent: *\nDisallow: /private/\n", 503
        assert not robots.allowed(f"{rules_site}/story")
        RulesSite.robots_status = 200  # the site answers again
        now[0] = 299
        assert not robots.allowed(f"{rules_site}/story")  # the verdict is kept a while
        now[0] = 301
        assert robots.allowed(f"{rules_site}/story")  # asked again: its rules now apply
        assert not robots.allowed(f"{rules_site}/private/a")
        now[0] = 301 + 3599
        assert robots.allowed(f"{rules_site}/story")  # rules are kept the whole TTL
    finally:
        client.close()
    assert RulesSite.requested["/robots.txt"] == 2


def test_a_robots_txt_had_before_serves_while_it_is_unreachable(rules_site: str) -> None:
    """RFC 9309, 2.4: a copy had before may be used while the file is unreachable, so a site
    whose robots.txt fails once is not shut for the job; it is asked again every `retry`."""
    now = [0.0]
    client = HttpClient(HttpSettings(allow_private=True, retries=0))
    client.open()
    try:
        robots = RobotsCache(client, "newswire/0.1", ttl=3600, clock=lambda: now[0], retry=300)
        RulesSite.robots = "User-agent: *\nDisallow: /private/\n"
        assert robots.allowed(f"{rules_site}/story")
        now[0] = 3000
        assert robots.allowed(f"{rules_site}/story")  # the job goes on crawling the site
        RulesSite.robots_status = 503
        now[0] = 3601  # the rules expired: asked again, unreachable, the copy kept
        assert robots.refusal(f"{rules_site}/story") == ""
        assert not robots.allowed(f"{rules_site}/private/a")
        now[0] = 3601 + 301  # asked again after `retry`, not the whole TTL
        assert robots.allowed(f"{rules_site}/story")
        RulesSite.robots, RulesSite.robots_status = "User-agent: *\nDisallow: /\n", 200
        now[0] = 3601 + 602  # answering again: its new rules apply
        assert not robots.allowed(f"{rules_site}/story")
    finally:
        client.close()
    assert RulesSite.requested["/robots.txt"] == 4


def test_a_page_behind_an_unreachable_robots_txt_is_not_requested(rules_site: str) -> None:
    RulesSite.robots_status = 503
    page_fetcher = fetcher(retries=0)
    with pytest.raises(FetchError, match=r"^robots\.txt unreachable \(http 503\)$"):
        page_fetcher.fetch(entry(f"{rules_site}/story"))
    assert "/story" not in RulesSite.requested


class Hosts:
    """Work for SlotQueues that sleeps `seconds` and keeps, per host, the most items running at
    once, and the order each slot's items started in."""

    def __init__(self, seconds: float = 0.05) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        self.running: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.started: dict[str, list[int]] = {}

    def __call__(self, item: tuple[str, int]) -> int:
        slot, number = item
        host = slot.partition("#")[0]
        with self.lock:
            self.running[host] = self.running.get(host, 0) + 1
            self.peak[host] = max(self.peak.get(host, 0), self.running[host])
            self.started.setdefault(slot, []).append(number)
        time.sleep(self.seconds)
        with self.lock:
            self.running[host] -= 1
        return number


def test_slot_queues_run_a_host_no_wider_than_its_slots_and_hosts_side_by_side() -> None:
    work = Hosts()
    with ThreadPoolExecutor(8) as pool:
        queues = SlotQueues(pool, work, HostLimiter(1, 0.0))
        started = time.monotonic()
        for i in range(4):
            for slot in ("a#0", "a#1", "b#0", "c#0"):
                queues.put(slot, (slot, i), tag=slot)
        outcomes = [queues.take() for _ in range(16)]
        took = time.monotonic() - started
    assert queues.pending == 0 and queues.take(block=False) is None
    assert sorted(tag for tag, _ in outcomes) == sorted(["a#0", "a#1", "b#0", "c#0"] * 4)
    assert work.peak == {"a": 2, "b": 1, "c": 1}  # one at a time per slot, hosts at once
    assert all(numbers == sorted(numbers) for numbers in work.started.values())  # in order
    assert took < 4 * 0.05 * 1.8  # four rounds, the slots of all hosts side by side


def test_a_slot_with_nothing_left_takes_its_hosts_other_slots_items() -> None:
    work = Hosts()
    with ThreadPoolExecutor(8) as pool:
        queues = SlotQueues(pool, work, HostLimiter(1, 0.0))
        queues.put("a#1", ("a#1", 0), tag=0)
        for i in range(6):  # an uneven share: the other slot takes half of these
            queues.put("a#0", ("a#0", i), tag=i)
        started = time.monotonic()
        for _ in range(7):
            queues.take()
        took = time.monotonic() - started
    assert work.peak == {"a": 2}
    assert took < 6 * 0.05  # not one slot's six in a row


def test_a_slot_waits_the_pause_its_host_asks_after_each_item() -> None:
    """A Crawl-delay: after each request a slot waits it out before its next one starts."""
    starts: list[float] = []

    def work(item: int) -> int:
        starts.append(time.monotonic())
        return item

    with ThreadPoolExecutor(2) as pool:
        queues = SlotQueues(pool, work, HostLimiter(1, 0.0),
                            pause=lambda key, _outcome: 0.2 if key == "slow#0" else 0.0)
        for i in range(3):
            queues.put("slow#0", i, tag=i)
        for _ in range(3):
            queues.take()
    assert all(later - earlier >= 0.19 for earlier, later in itertools.pairwise(starts))


def test_a_failure_in_a_slot_comes_back_as_its_outcome() -> None:
    def work(item: str) -> str:
        raise FetchError(f"refused {item}")

    with ThreadPoolExecutor(2) as pool:
        queues = SlotQueues(pool, work, HostLimiter(1, 0.0))
        queues.put("a#0", "x", tag="x")
        tag, outcome = queues.take()
    assert tag == "x"
    with pytest.raises(FetchError, match="refused x"):
        outcome.result()


def test_a_slot_taken_over_from_another_process_waits_its_delay() -> None:
    limiter = HostLimiter(concurrency=1, delay=0.1)
    limiter.hold("a.example#0", 0.2)
    asked = time.monotonic()
    with limiter.slot("a.example#0"):
        assert time.monotonic() - asked >= 0.19
    asked = time.monotonic()
    with limiter.slot("a.example#1"):  # another slot: no wait
        assert time.monotonic() - asked < 0.05


def test_slot_keys_take_a_hosts_slots_in_turn() -> None:
    keys = SlotKeys(3)
    assert [keys(f"https://A.example/{i}") for i in range(4)] == [
        "a.example#0", "a.example#1", "a.example#2", "a.example#0"]


@pytest.mark.parametrize("url", [
    "https://news.example/a", "https://NEWS.example:443/b", "https://reader@news.example/c",
    "https://a:b@News.Example:443/d"])
def test_one_host_is_counted_as_one_however_its_urls_spell_it(url: str) -> None:
    assert host_of(url) == "news.example"


def test_another_port_is_another_host() -> None:
    assert host_of("https://news.example:8443/a") == "news.example:8443"
    assert host_of("http://news.example:443/a") == "news.example:443"


def test_a_url_that_cannot_be_parsed_is_keyed_by_where_its_host_would_be() -> None:
    """An unclosed IPv6 bracket once ended the whole run in the step that keys by slot."""
    keys = SlotKeys(2)
    assert [keys("http://[oops/a"), keys("http://[OOPS/b")] == ["[oops#0", "[oops#1"]
