"""A streaming job restored from a checkpoint taken before its first poll of a feed wrote the
feed's state: the crawl state says the feed is not due, and the entries that poll handed on
were lost with the crash. The restored job hands on what the crawl state holds as unfetched at
once, without asking the feed again, and only once."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from newswire.transforms.fetching.http import HttpSettings
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import ensure_index
from newswire.transforms.records import FeedEntry
from newswire.transforms.sources.feeds import PollFeeds
from newswire.transforms.sources.state import STATE_MAPPING, CrawlState, StateSettings, entry_id
from tests.faults.site import write_site
from tests.transforms.sources.test_sitemaps import FakeState
from tests.transforms.sources.test_state import PAGES, CountingServer, dates

pytestmark = pytest.mark.es
FETCHED = 3  # entries whose articles the job wrote before the crash


class FakeTimer:
    """A processing-time timer for calling the DoFn directly; the test collects by itself."""

    def set(self, _: Any) -> None:
        pass


def tick(poller: PollFeeds, url: str, feed: FakeState) -> list[str]:
    """The links a streaming tick of the feed hands on, its poll's answer collected as the
    timer would collect it."""
    poller.start_bundle()
    out = list(poller.process((url, url), feed=feed, collect=FakeTimer()))
    while poller.polls.current(url) is not None:
        time.sleep(PollFeeds.COLLECT_EVERY)
        out += poller.on_collect(url, feed=feed, collect=FakeTimer())
    return [entry.link for entry in out if isinstance(entry, FeedEntry)]


def streaming_poller(settings: StateSettings) -> PollFeeds:
    poller = PollFeeds(HttpSettings(allow_private=True), state=settings)
    poller.setup()
    return poller


def test_a_restored_job_hands_on_what_the_crash_lost_without_polling_again(
        tmp_path: Path, es_connection: EsConnection, es_client: Elasticsearch,
        index_name: str) -> None:
    ensure_index(es_client, index_name, STATE_MAPPING)
    settings = StateSettings(es_connection, index_name)
    with CountingServer(write_site(tmp_path, dates(PAGES))) as server:
        url = server.url("feed.xml")
        crashed = streaming_poller(settings)
        try:
            listed = tick(crashed, url, FakeState())
        finally:
            crashed.teardown()
        assert len(listed) == PAGES and server.asked["/feed.xml"] == 1
        state = CrawlState(settings).open()
        try:
            state.update((entry_id(link), {"fetched_at": int(time.time())}, None)
                         for link in listed[:FETCHED])
        finally:
            state.close()
        es_client.indices.refresh(index=index_name)

        restored = streaming_poller(settings)  # its checkpoint holds no state for the feed
        feed = FakeState()
        try:
            handed_on = tick(restored, url, feed)
            again = tick(restored, url, feed)
        finally:
            restored.teardown()
    assert sorted(handed_on) == sorted(listed[FETCHED:])
    assert again == []  # the feed's state is the job's now: what is in flight stays in flight
    assert server.asked["/feed.xml"] == 1  # the feed is not due: it was not asked again
    assert feed.value.next_poll is not None and feed.value.next_poll > time.time()
