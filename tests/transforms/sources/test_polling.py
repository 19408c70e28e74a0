"""Feed requests off the bundle's thread: one poll per feed at a time, its answer taken once."""

from __future__ import annotations

import threading

import pytest

from newswire.transforms.fetching.http import FetchError, Response
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.index.client import EsConnection
from newswire.transforms.sources.feeds import PollReader
from newswire.transforms.sources.polling import FeedPolls
from newswire.transforms.sources.schedule import FeedState
from newswire.transforms.sources.settings import PollSettings, StateSettings
from tests.loopback import QuietHandler, reply, serve


def test_a_feed_has_one_poll_at_a_time_and_its_answer_is_taken_once() -> None:
    polls = FeedPolls(HttpSettings())
    answer = FetchError("connection failed: connection refused")
    first = polls.start("https://a.example/rss", {}, 10.0, answered=answer)
    assert polls.start("https://a.example/rss", {}, 11.0) is first  # not asked again
    assert first.wait(0) and polls.current("https://a.example/rss") is first
    assert polls.finish(first) and not polls.finish(first)
    with pytest.raises(FetchError, match="refused"):
        first.outcome.result()


def test_a_taken_poll_stays_the_feeds_poll_until_it_is_applied() -> None:
    """A tick between a poll's taking and its state's writing must neither poll again nor
    start from the state before it: it finds the poll, taken, and leaves it be."""
    polls = FeedPolls(HttpSettings())
    feed = "https://a.example/rss"
    poll = polls.start(feed, {}, 10.0, answered=FetchError("connection failed"))
    assert polls.finish(poll)
    assert polls.current(feed) is poll and polls.start(feed, {}, 11.0) is poll
    assert not polls.finish(poll)
    assert polls.newest(feed, None) is None
    after = FeedState(feed, last_poll=10.0)
    polls.settled(poll, after)
    assert polls.current(feed) is None
    assert polls.newest(feed, None) is after


def test_answers_nobody_takes_are_dropped_after_a_while() -> None:
    polls = FeedPolls(HttpSettings(), keep=60.0)
    polls.start("https://a.example/rss", {}, 0.0, answered=FetchError("x"))
    polls.start("https://b.example/rss", {}, 61.0, answered=FetchError("x"))
    assert polls.current("https://a.example/rss") is None
    assert polls.current("https://b.example/rss") is not None


class Feed(QuietHandler):
    """Answers /rss with a small feed; holds /slow until `release` is set."""

    release = threading.Event()

    def do_GET(self) -> None:
        if self.path == "/slow":
            Feed.release.wait(10)
        reply(self, 200, b"<rss/>", {"Content-Type": "application/rss+xml"})


def test_a_poll_asks_the_feed_on_the_pool_and_its_outcome_is_the_response() -> None:
    polls = FeedPolls(HttpSettings(allow_private=True))
    with serve(Feed) as base:
        poll = polls.start(f"{base}/rss", {"If-None-Match": '"1"'}, 5.0)
        assert poll.wait(10)
        response = poll.outcome.result()
    assert isinstance(response, Response)
    assert (response.status, response.body) == (200, b"<rss/>")
    assert (poll.feed_url, poll.started) == (f"{base}/rss", 5.0)


def test_a_wait_ends_at_its_limit_or_when_told_to_stop() -> None:
    polls = FeedPolls(HttpSettings(allow_private=True))
    Feed.release.clear()
    with serve(Feed) as base:
        poll = polls.start(f"{base}/slow", {}, 0.0)
        try:
            assert not poll.wait(0.2)
            stop = threading.Event()
            stop.set()
            assert not poll.wait(None, stop)
            assert polls.current(f"{base}/slow") is poll  # still under way, not dropped
        finally:
            Feed.release.set()
        assert poll.wait(10) and poll.outcome.result().status == 200


def test_a_poll_applied_as_the_worker_stops_emits_nothing_and_raises_nothing() -> None:
    """Teardown closes the crawl state while a bundle may still apply a poll: that poll leaves
    the feed's state as it was and emits nothing, rather than failing on the closed state
    (a traceback as a streaming job stops)."""
    feed = "https://a.example/rss"
    body = (b"<rss version='2.0'><channel><title>A</title><item><title>Story</title>"
            b"<link>https://a.example/story</link></item></channel></rss>")
    poll = FeedPolls(HttpSettings()).start(feed, {}, 10.0, answered=Response(
        feed, 200, {"content-type": "application/rss+xml"}, body))
    reader = PollReader(PollSettings(), StateSettings(EsConnection("http://127.0.0.1:9"), "s"))
    reader.open()
    reader.close()
    state = FeedState(feed)
    applying = reader.apply(state, poll, first=False)
    with pytest.raises(StopIteration) as end:
        next(applying)
    assert end.value.value is state
