"""Feed requests off the bundle's thread: at most one in flight per feed, shared by a process.

A streaming runner hands PollFeeds ticks for many feeds in one bundle, and may run several
bundles at once. Were each poll made inline, one hanging feed would hold every feed after it in
its bundle, and ticks arriving meanwhile would start more polls of the same feed from stale
state. `FeedPolls` runs the requests on a thread pool instead, one per feed at a time, and is
shared by every PollFeeds instance of a worker process (`apache_beam.utils.shared`, as Beam's
own `AsyncWrapper` shares its pool), so two bundles that tick the same feed still ask it once.
The tick that finds a request finished takes its outcome and applies it to the feed's state;
until that is done the poll stays the feed's current one, so no other tick starts from the state
before it.

A runner may hand a tick its key's state as it was before another bundle's write of it was
committed: Prism, splitting a bundle that waits on a hanging feed, gives the split-off ticks to a
new bundle at once. A poll applied to that older state would hand on again what the last poll
handed on, so `FeedPolls` also keeps the state each poll left its feed in, for a while
(`settled`, `newest`), and a tick takes whichever is newer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from newswire.transforms.fetching.http import FetchError, HttpClient, Response
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.sources.schedule import FeedState


@dataclass(frozen=True)
class Poll:
    """One request for a feed: when it started (the poll's time) and its outcome to come."""

    feed_url: str
    started: float
    outcome: Future[Response]
    LOOK_EVERY = 0.05  # how often a wait looks at `stop`

    def wait(self, seconds: float | None, stop: threading.Event | None = None) -> bool:
        """True once the outcome is there; waits at most `seconds` (None: until it is), and
        not past `stop` being set."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while not self.outcome.done():
            left = self.LOOK_EVERY if deadline is None else min(
                self.LOOK_EVERY, deadline - time.monotonic())
            if left <= 0 or (stop is not None and stop.is_set()):
                return False
            wait([self.outcome], timeout=left)
        return True


class FeedPolls:
    """Feed requests on a thread pool: `start` one per feed at a time, `finish` takes it back.

    A finished poll nobody takes (its feed moved to another worker) is dropped after `keep`
    seconds, so the table stays as small as the set of feeds being polled; the state a poll
    left its feed in is kept `SETTLED_FOR` seconds, far longer than a bundle waits on its
    feeds. It lives as long as a DoFn of the process holds it (`Shared`), its pool's threads
    and connections with it.
    """

    SETTLED_FOR = 60.0

    def __init__(self, http: HttpSettings, keep: float = 3600.0) -> None:
        self.client = HttpClient(http)
        self.client.open()
        self.keep = keep
        self._pool = ThreadPoolExecutor(http.concurrency, "poll")
        self._lock = threading.Lock()
        self._polls: dict[str, Poll] = {}
        self._taken: set[Poll] = set()  # finished polls being applied
        self._settled: dict[str, tuple[float, FeedState]] = {}

    def current(self, feed_url: str) -> Poll | None:
        """The feed's poll under way, or finished and not yet settled, if any."""
        with self._lock:
            return self._polls.get(feed_url)

    def start(self, feed_url: str, headers: Mapping[str, str], now: float,
              answered: Response | FetchError | None = None) -> Poll:
        """Start polling the feed unless a poll of it is already under way (that one is
        returned). `answered` is a response already had, used instead of asking again."""
        with self._lock:
            if (poll := self._polls.get(feed_url)) is not None:
                return poll
            self._forget_stale(now)
            if answered is None:
                outcome = self._pool.submit(self.client.get, feed_url, dict(headers))
            else:
                outcome = Future()
                if isinstance(answered, FetchError):
                    outcome.set_exception(answered)
                else:
                    outcome.set_result(answered)
            poll = self._polls[feed_url] = Poll(feed_url, now, outcome)
            return poll

    def finish(self, poll: Poll) -> bool:
        """Take a finished poll to apply it; False if another caller already took it. It stays
        the feed's current poll until `settled`: a tick meanwhile finds it taken and does
        nothing, rather than reading the feed's state from before it (see the module's
        docstring) and handing its entries on again."""
        with self._lock:
            if self._polls.get(poll.feed_url) is not poll or poll in self._taken:
                return False
            self._taken.add(poll)
            return True

    def settled(self, poll: Poll, state: FeedState | None) -> None:
        """A taken poll is applied: the feed is free for its next poll, and the state the
        poll left it in (None if it was not written) is kept for `newest`."""
        with self._lock:
            if self._polls.get(poll.feed_url) is poll:
                del self._polls[poll.feed_url]
            self._taken.discard(poll)
            if state is not None:
                self._settled[poll.feed_url] = (time.monotonic(), state)

    def newest(self, feed_url: str, stored: FeedState | None) -> FeedState | None:
        """The key's stored state, or the one a poll in this process left the feed in since,
        if the stored one is older (see the module's docstring)."""
        with self._lock:
            since = time.monotonic() - self.SETTLED_FOR
            for url in [url for url, (at, _) in self._settled.items() if at < since]:
                del self._settled[url]
            _, settled = self._settled.get(feed_url, (0.0, None))
        if settled is None or (stored is not None
                               and (stored.last_poll or 0.0) >= (settled.last_poll or 0.0)):
            return stored
        return settled

    def _forget_stale(self, now: float) -> None:
        stale = [url for url, poll in self._polls.items()
                 if poll.outcome.done() and now - poll.started > self.keep]
        for url in stale:
            del self._polls[url]
