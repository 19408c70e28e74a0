"""A streaming tick handed its feed's state as it was before another bundle's write of it was
committed (Prism does so when it splits a bundle that waits on a hanging feed, the split-off
ticks going to a new bundle at once), or reading it while another tick settles the feed's poll:
the feed is neither asked again before it is due nor its entries handed on twice."""

from __future__ import annotations

import copy
from pathlib import Path

from newswire.transforms.fetching.http import HttpSettings, Response
from newswire.transforms.records import FeedEntry
from newswire.transforms.sources.feeds import PollFeeds
from newswire.transforms.sources.polling import FeedPolls, Poll
from newswire.transforms.sources.schedule import FeedState
from newswire.transforms.sources.settings import PollSettings
from tests.faults.site import write_site
from tests.faults.test_poll_lost_in_a_crash import FakeTimer
from tests.loopback import CountingServer
from tests.transforms.sources.test_sitemaps import FakeState

INTERVAL = 60.0


def test_a_tick_reading_a_stale_state_neither_polls_early_nor_hands_on_again(
        tmp_path: Path) -> None:
    stories = {f"story{n}": f"2026-11-{10 + n:02d}T10:00:00Z" for n in range(3)}
    write_site(tmp_path, dict(list(stories.items())[:2]))
    clock = [1_800_000_000.0]
    poller = PollFeeds(HttpSettings(allow_private=True),
                       PollSettings(min_interval=INTERVAL, max_interval=INTERVAL),
                       clock=lambda: clock[0])
    poller.PATIENCE = 30.0  # each tick waits for its answer
    poller.setup()

    def tick(feed: FakeState) -> list[str]:
        poller.start_bundle()
        out = poller.process((url, None), feed=feed, collect=FakeTimer())
        return [entry.link.rsplit("/", 1)[-1] for entry in out if isinstance(entry, FeedEntry)]

    try:
        with CountingServer(tmp_path) as server:
            url = server.url("feed.xml")
            committed, never_written = FakeState(), FakeState()
            assert tick(committed) == ["story0.html", "story1.html"]
            before_second = copy.deepcopy(committed)

            clock[0] += INTERVAL
            write_site(tmp_path, stories)  # story2 is new
            assert tick(committed) == ["story2.html"]

            # the same key's state as two bundles not yet committed left it
            assert tick(before_second) == []
            assert tick(never_written) == []
            assert server.asked["/feed.xml"] == 2
    finally:
        poller.teardown()


class SettledOnLookup(FeedPolls):
    """Another tick of the process settles the feed's poll (`settling`) just as this tick
    looks for it."""

    settling: tuple[Poll, FeedState] | None = None

    def current(self, feed_url: str) -> Poll | None:
        if self.settling is not None:
            poll, after = self.settling
            self.settling = None
            self.settled(poll, after)
        return super().current(feed_url)


def test_a_poll_settling_as_a_tick_looks_for_it_is_not_polled_again() -> None:
    """The tick finds no poll under way and its key's state not yet written: it must take the
    state the settled poll left (`newest`), not poll the feed as new to the job and hand on
    the entries that poll handed on (it did, reading the state before looking for the poll)."""
    feed, now = "https://a.example/rss", 1_800_000_000.0
    answer = Response(feed, 200, {"content-type": "application/rss+xml"}, (
        b"<rss version='2.0'><channel><title>A</title><item><title>Story</title>"
        b"<link>https://a.example/story</link></item></channel></rss>"))
    poller = PollFeeds(HttpSettings(), PollSettings(min_interval=INTERVAL,
                                                    max_interval=INTERVAL), clock=lambda: now)
    poller.setup()
    try:
        polls = poller.polls = SettledOnLookup(HttpSettings())
        applied = polls.start(feed, {}, now, answered=answer)  # another tick's poll ...
        assert polls.finish(applied)  # ... which it took and is applying
        polls.settling = (applied, FeedState(feed, last_poll=now, next_poll=now + INTERVAL))
        poller.start_bundle()
        out = list(poller.process((feed, answer), feed=FakeState(), collect=FakeTimer()))
        assert out == []
        assert polls.current(feed) is None  # no poll started either
    finally:
        poller.teardown()
