"""What a long streaming run keeps: feed state in a stable encoding, and no host forgotten late."""

from __future__ import annotations

import pickle

import pytest
from apache_beam.coders import PickleCoder

from newswire.transforms.fetching.http import FetchError
from newswire.transforms.fetching.politeness import HostLimiter, RobotsCache
from newswire.transforms.sources.feeds import PollFeeds
from newswire.transforms.sources.schedule import FeedState, FeedStateCoder, Seen

STATE = FeedState("https://a.example/rss", etag='W/"1"', last_modified="Tue, 01 Dec 2026",
                  seen={"b": Seen(1.0, 2.0, None), "a": Seen(3.0, 4.5, 5.0)},
                  consecutive_failures=2, last_poll=10.0, next_poll=None, interval=60.0)


def test_feed_state_round_trips_deterministically_without_pickle() -> None:
    coder = FeedStateCoder()
    encoded = coder.encode(STATE)
    assert coder.decode(encoded) == STATE
    reordered = FeedState(STATE.feed_url, STATE.etag, STATE.last_modified,
                          dict(reversed(list(STATE.seen.items()))), 2, 10.0, None, 60.0)
    assert coder.encode(reordered) == encoded  # equal states, equal bytes
    assert coder.is_deterministic()
    assert b"newswire" not in encoded and b"FeedState" not in encoded  # names no module
    assert coder.decode(coder.encode(FeedState("u"))) == FeedState("u")


def test_feed_state_from_another_version_is_refused_clearly() -> None:
    encoded = bytearray(FeedStateCoder().encode(STATE))
    encoded[0] = 9  # the version field
    with pytest.raises(ValueError, match="feed state version 9"):
        FeedStateCoder().decode(bytes(encoded))


def test_poll_feeds_keeps_its_state_with_the_schema_coder() -> None:
    assert isinstance(PollFeeds.FEED.coder, FeedStateCoder)
    assert not isinstance(PollFeeds.FEED.coder, PickleCoder)
    assert pickle.loads(pickle.dumps(PollFeeds.FEED.coder)).decode(
        FeedStateCoder().encode(STATE)) == STATE


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_idle_hosts_are_forgotten_and_busy_ones_kept() -> None:
    clock = Clock()
    limiter = HostLimiter(concurrency=2, delay=0.0, idle=60.0, clock=clock)
    for i in range(100):
        with limiter.slot(f"host{i}.example"):
            pass
    assert len(limiter) == 100
    with limiter.slot("busy.example"):
        clock.now += 61
        with limiter.slot("fresh.example"):
            pass
        assert len(limiter) == 2  # the 100 idle hosts are gone; busy and fresh stay
    assert len(limiter) == 2


def test_a_host_is_not_forgotten_before_its_delay_has_passed() -> None:
    clock = Clock()
    limiter = HostLimiter(concurrency=1, delay=600.0, idle=60.0, clock=clock)
    with limiter.slot("slow.example"):
        pass
    clock.now += 61
    with limiter.slot("other.example"):
        pass
    assert len(limiter) == 2  # slow.example may not start again for 539 s: remembered


def test_seconds_waiting_for_a_host_slot_are_counted() -> None:
    limiter = HostLimiter(concurrency=1, delay=0.2)
    for _ in range(3):
        with limiter.slot("a.example"):
            pass
    waited = limiter.take_waited_ms()
    assert 350 <= waited <= 1000  # two waits of 0.2 s
    assert limiter.take_waited_ms() == 0


class Client:
    """Answers every robots.txt with a 404 and counts the asking."""

    def __init__(self) -> None:
        self.asked = 0

    def get(self, url: str) -> None:
        self.asked += 1
        raise FetchError("http 404")


def test_robots_rules_of_origins_not_asked_about_within_the_ttl_are_forgotten() -> None:
    clock = Clock()
    client = Client()
    robots = RobotsCache(client, "newswire", ttl=3600.0, clock=clock)  # type: ignore[arg-type]
    for i in range(50):
        assert robots.allowed(f"http://host{i}.example/a")
    assert robots.allowed("http://host0.example/b")
    assert (len(robots), client.asked) == (50, 50)  # asked once per origin within the TTL
    clock.now += 3601
    assert robots.allowed("http://new.example/a")
    assert len(robots) == 1
