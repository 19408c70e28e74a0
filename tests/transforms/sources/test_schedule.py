"""Polling rules: declared and observed cadence, politeness floors, backoff, and new entries."""

from __future__ import annotations

from datetime import datetime, timezone

import feedparser
import pytest

from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.fetching.http import HttpClient, conditional_headers, retry_after
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.records import FeedEntry
from newswire.transforms.sources.feeds import read_feed
from newswire.transforms.sources.schedule import (
    FeedState,
    after_poll,
    header_interval,
    max_age,
    new_entries,
    next_interval,
    observed_interval,
    seen_key,
)
from newswire.transforms.sources.settings import PollSettings

SETTINGS = PollSettings()
NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc).timestamp()
FEED = "https://news.example/rss"

# The channel heads real publishers send: BBC-style <ttl>, WordPress's syndication module, and
# an RSS 1.0 (RDF) channel declaring sy:* under its own namespace prefix.
RSS_TTL = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">
  <channel><title>BBC News</title><link>https://www.bbc.co.uk/news</link>
    <language>en-gb</language><ttl>15</ttl>
    <item><title>A</title><link>https://www.bbc.co.uk/news/a</link></item>
  </channel></rss>"""

RSS_WORDPRESS = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel><title>A WordPress Blog</title><link>https://blog.example</link>
  <lastBuildDate>Fri, 20 Nov 2026 10:00:00 +0000</lastBuildDate>
  <sy:updatePeriod>
  hourly  </sy:updatePeriod>
  <sy:updateFrequency>
  2  </sy:updateFrequency>
  <generator>https://wordpress.org/?v=6.4</generator>
</channel></rss>"""

RDF_WEEKLY = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:syn="http://purl.org/rss/1.0/modules/syndication/">
  <channel rdf:about="https://weekly.example/"><title>Weekly</title>
    <syn:updatePeriod>weekly</syn:updatePeriod></channel></rdf:RDF>"""


def rss(head: str) -> bytes:
    return (f'<?xml version="1.0"?><rss version="2.0" xmlns:sy='
            f'"http://purl.org/rss/1.0/modules/syndication/"><channel><title>T</title>{head}'
            f"</channel></rss>").encode()


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(NOW + seconds, tz=timezone.utc)


def entry(key: str, updated: float | None = None, link: str = "") -> FeedEntry:
    return FeedEntry(link=link or f"https://news.example/{key}", feed_url=FEED, entry_id=key,
                     published=at(-3600), updated=at(updated) if updated is not None else None)


# conditional requests

def test_conditional_headers_replay_the_validators() -> None:
    assert conditional_headers("", "") == {}
    state = FeedState(FEED, etag='W/"abc"', last_modified="Fri, 20 Nov 2026 10:00:00 GMT")
    assert conditional_headers(state.etag, state.last_modified) == {"If-None-Match": 'W/"abc"',
                                          "If-Modified-Since": "Fri, 20 Nov 2026 10:00:00 GMT"}


def test_a_real_304_keeps_the_state(seed_server: SeedServer) -> None:
    url = seed_server.url("reuters/rss/world.xml")
    client = HttpClient(HttpSettings(allow_private=True))
    client.open()
    try:
        first = client.get(url)
        entries, declared = read_feed(first.body, url, dict(first.headers))
        fresh, state = new_entries(FeedState(url), entries, NOW, SETTINGS)
        state = after_poll(state, NOW, SETTINGS, response_headers=first.headers,
                           declared=declared,
                           observed=observed_interval(e.published for e in entries))
        second = client.get(url, conditional_headers(state.etag, state.last_modified))
    finally:
        client.close()
    assert first.status == 200 and fresh == entries and state.etag
    assert second.status == 304
    later = after_poll(state, NOW + 900, SETTINGS, response_headers=second.headers)
    assert (later.etag, later.last_modified, later.seen, later.interval) == \
        (state.etag, state.last_modified, state.seen, state.interval)
    assert later.interval >= 900, "the corpus feeds declare <ttl>15</ttl>"
    assert later.next_poll == NOW + 900 + later.interval


def test_304_keeps_validators_and_seen_keys_and_clears_failures() -> None:
    state = FeedState(FEED, etag='"v1"', last_modified="Fri, 20 Nov 2026 10:00:00 GMT",
                      seen={"a": (NOW - 60, NOW - 60, None)}, consecutive_failures=3,
                      interval=600.0)
    after = after_poll(state, NOW, SETTINGS, response_headers={})
    assert (after.etag, after.last_modified, after.seen) == (state.etag, state.last_modified,
                                                             state.seen)
    assert after.consecutive_failures == 0
    assert (after.interval, after.last_poll, after.next_poll) == (600.0, NOW, NOW + 600)


def test_a_new_etag_replaces_the_old_one() -> None:
    after = after_poll(FeedState(FEED, etag='"v1"'), NOW, SETTINGS,
                       response_headers={"etag": '"v2"', "last-modified": "x"})
    assert (after.etag, after.last_modified) == ('"v2"', "x")


# declared intervals

def declared(document: bytes) -> float | None:
    """The interval a feed document's header declares (these documents have no entries)."""
    return header_interval(feedparser.parse(document).feed)


@pytest.mark.parametrize(("document", "seconds"), [
    (RSS_TTL, 15 * 60),
    (RSS_WORDPRESS, 1800),
    (RDF_WEEKLY, 7 * 86400),
    (rss("<sy:updatePeriod>daily</sy:updatePeriod>"), 86400),
    (rss("<sy:updateFrequency>4</sy:updateFrequency>"), 21600),
    (rss("<sy:updatePeriod>monthly</sy:updatePeriod><sy:updateFrequency>0</sy:updateFrequency>"),
     30 * 86400),
    (rss("<sy:updatePeriod>yearly</sy:updatePeriod>"), 365 * 86400),
    (rss("<ttl>5</ttl><sy:updatePeriod>hourly</sy:updatePeriod>"), 3600),
    (rss("<ttl>600</ttl><sy:updatePeriod>hourly</sy:updatePeriod>"), 36000),
])
def test_the_declared_interval_reads_ttl_and_syndication(document: bytes, seconds: float) -> None:
    assert declared(document) == seconds


@pytest.mark.parametrize("document", [
    rss(""),
    rss("<ttl>soon</ttl>"),
    rss("<ttl>0</ttl>"),
    rss("<sy:updatePeriod>fortnightly</sy:updatePeriod>"),
    b'{"version": "https://jsonfeed.org/version/1.1", "items": []}',
    b"",
])
def test_the_declared_interval_is_none_without_a_usable_declaration(document: bytes) -> None:
    assert declared(document) is None


def test_the_corpus_feeds_declare_fifteen_minutes(seed_server: SeedServer) -> None:
    document = seed_server.body(seed_server.resolve("reuters/rss/world.xml"))
    assert read_feed(document, FEED)[1] == 900


# observed intervals

def test_observed_interval_is_the_median_gap() -> None:
    times = [at(-120 * i) for i in range(10)] + [at(-86400 * 30), None]
    assert observed_interval(times) == 120


def test_observed_interval_uses_only_the_recent_entries() -> None:
    old_and_slow = [at(-86400 * (10 + i)) for i in range(30)]
    recent_and_fast = [at(-60 * i) for i in range(5)]
    assert observed_interval(recent_and_fast + old_and_slow, recent=5) == 60
    assert observed_interval(recent_and_fast + old_and_slow) == 86400


def test_observed_interval_needs_two_distinct_times() -> None:
    assert observed_interval([]) is None
    assert observed_interval([at(0), at(0), None]) is None


# intervals

def interval(state: FeedState | None = None, declared: float | None = None,
             observed: float | None = None, headers: dict[str, str] | None = None,
             failed: bool = False, settings: PollSettings = SETTINGS) -> float:
    return next_interval(state or FeedState(FEED), declared, observed, headers or {}, failed,
                         settings, NOW)


def test_a_busy_feed_is_polled_often_and_a_quiet_one_rarely() -> None:
    busy = observed_interval(at(-120 * i) for i in range(20))
    quiet = observed_interval(at(-3 * 86400 * i) for i in range(20))
    assert interval(observed=busy) == 120
    assert interval(observed=quiet) == SETTINGS.max_interval
    assert interval() == SETTINGS.default_interval


def test_the_declared_interval_is_a_floor() -> None:
    assert interval(declared=900, observed=120) == 900
    assert interval(declared=900, observed=3600) == 3600


@pytest.mark.parametrize("case", [
    {"observed": 0.001},
    {"observed": 10 * 365 * 86400},
    {"declared": 365 * 86400},
    {"headers": {"retry-after": "9999999"}},
    {"headers": {"cache-control": "public, max-age=31536000"}},
    {"state": FeedState(FEED, consecutive_failures=500), "failed": True},
    {"state": FeedState(FEED, interval=1.0), "failed": True},
])
def test_intervals_never_leave_the_bounds(case: dict) -> None:
    settings = PollSettings(min_interval=30, max_interval=7200)
    assert 30 <= interval(settings=settings, **case) <= 7200
    assert SETTINGS.min_interval <= interval(**case) <= SETTINGS.max_interval


def test_retry_after_wins_over_a_shorter_interval() -> None:
    assert interval(observed=120, headers={"retry-after": "3600"}) == 3600
    assert interval(observed=7200, headers={"retry-after": "3600"}) == 7200
    failing = FeedState(FEED, interval=120)
    assert interval(failing, failed=True, headers={"retry-after": "5000"}) == 5000


def test_retry_after_as_a_date_counts_from_the_servers_clock() -> None:
    headers = {"retry-after": "Fri, 20 Nov 2026 13:00:00 GMT",
               "date": "Fri, 20 Nov 2026 12:30:00 GMT"}
    assert retry_after(headers, NOW + 99999) == 1800
    assert retry_after({"retry-after": "Fri, 20 Nov 2026 13:00:00 GMT"}, NOW) == 3600
    assert retry_after({"retry-after": "Fri, 20 Nov 2026 11:00:00 GMT"}, NOW) == 0
    assert retry_after({"retry-after": "later"}, NOW) is None
    assert retry_after({}, NOW) is None


def test_cache_control_max_age_is_a_floor_unless_caching_is_refused() -> None:
    assert max_age({"cache-control": "public, max-age=600"}) == 600
    assert max_age({"cache-control": 'max-age="120", must-revalidate'}) == 120
    assert max_age({"cache-control": "no-cache, max-age=600"}) is None
    assert max_age({"cache-control": "private"}) is None
    assert interval(observed=120, headers={"cache-control": "max-age=600"}) == 600


def test_backoff_grows_with_failures_and_resets_on_success() -> None:
    settings = PollSettings(backoff_cap=3600)
    state = after_poll(FeedState(FEED), NOW, settings, observed=300)
    delays = []
    for _ in range(6):
        state = after_poll(state, NOW, settings, failed=True)
        delays.append(state.next_poll - NOW)
    assert delays == [600, 1200, 2400, 3600, 3600, 3600]
    assert state.consecutive_failures == 6 and state.interval == 300
    state = after_poll(state, NOW, settings, response_headers={})
    assert state.consecutive_failures == 0
    assert state.next_poll - NOW == 300


def test_a_failure_keeps_validators_and_a_slow_feed_is_not_polled_sooner() -> None:
    state = FeedState(FEED, etag='"v1"', interval=43200)
    failed = after_poll(state, NOW, PollSettings(backoff_cap=3600), failed=True,
                        response_headers={"etag": '"bogus"'})
    assert failed.etag == '"v1"'
    assert failed.next_poll - NOW == 43200


# new entries

def test_only_new_entries_pass_and_repeat_polls_are_quiet() -> None:
    fresh, state = new_entries(FeedState(FEED), [entry("a"), entry("b")], NOW, SETTINGS)
    assert [e.entry_id for e in fresh] == ["a", "b"]
    fresh, state = new_entries(state, [entry("c"), entry("a"), entry("b")], NOW + 60, SETTINGS)
    assert [e.entry_id for e in fresh] == ["c"]
    assert state.seen["a"].first == NOW and state.seen["a"].last == NOW + 60
    assert new_entries(state, [entry("a"), entry("c")], NOW + 120, SETTINGS)[0] == []


def test_an_entry_whose_updated_time_moves_later_passes_again() -> None:
    _, state = new_entries(FeedState(FEED), [entry("a", updated=0)], NOW, SETTINGS)
    assert new_entries(state, [entry("a", updated=0)], NOW, SETTINGS)[0] == []
    assert new_entries(state, [entry("a", updated=-60)], NOW, SETTINGS)[0] == []
    assert new_entries(state, [entry("a")], NOW, SETTINGS)[0] == []
    fresh, state = new_entries(state, [entry("a", updated=60)], NOW, SETTINGS)
    assert len(fresh) == 1 and state.seen["a"].updated == NOW + 60
    _, plain = new_entries(FeedState(FEED), [entry("b")], NOW, SETTINGS)
    assert len(new_entries(plain, [entry("b", updated=0)], NOW, SETTINGS)[0]) == 1


def test_entries_without_id_are_keyed_by_canonical_link() -> None:
    tracked = FeedEntry(link="https://news.example/story?utm_source=rss#top", feed_url=FEED)
    plain = FeedEntry(link="https://NEWS.example/story", feed_url=FEED)
    assert seen_key(tracked) == seen_key(plain) != ""
    assert seen_key(entry("guid-1", link="https://news.example/story")) == "guid-1"
    fresh, _ = new_entries(FeedState(FEED), [tracked, plain], NOW, SETTINGS)
    assert fresh == [tracked]


def test_keyless_entries_always_pass() -> None:
    keyless = FeedEntry(link="", feed_url=FEED, title="no link, no id")
    fresh, state = new_entries(FeedState(FEED), [keyless], NOW, SETTINGS)
    assert fresh == [keyless] and state.seen == {}
    assert new_entries(state, [keyless], NOW, SETTINGS)[0] == [keyless]


def test_seen_keys_are_forgotten_only_after_leaving_the_feed_for_the_window() -> None:
    settings = PollSettings(seen_window=86400)
    _, state = new_entries(FeedState(FEED), [entry("stays"), entry("goes")], NOW, settings)
    _, state = new_entries(state, [entry("stays")], NOW + 80000, settings)
    assert set(state.seen) == {"stays", "goes"}
    _, state = new_entries(state, [entry("stays")], NOW + 90000, settings)
    assert set(state.seen) == {"stays"}
    assert state.seen["stays"].first == NOW
    fresh, _ = new_entries(state, [entry("stays"), entry("goes")], NOW + 90060, settings)
    assert [e.entry_id for e in fresh] == ["goes"]
