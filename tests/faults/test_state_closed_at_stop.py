"""A worker stopping closes its state channel just before it tears the DoFns down: a feed's tick
or timer that reads its state in between fails on the closed channel. That failure must end
the bundle quietly (the harness prints a failed bundle as a traceback after the run's summary),
while the same failure in a running worker still fails the bundle."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from newswire.transforms.fetching.http import HttpSettings, Response
from newswire.transforms.sources.feeds import PollFeeds
from tests.faults.test_poll_lost_in_a_crash import FakeTimer

FEED = "https://a.example/rss"


class ClosedState:
    """A feed's state whose channel the worker has closed: every call fails, as Beam's fails."""

    def read(self) -> Any:
        raise RuntimeError()

    def write(self, _: Any) -> None:
        raise RuntimeError()


def tick(poller: PollFeeds) -> Iterator[Any]:
    return poller.process((FEED, None), feed=ClosedState(), collect=FakeTimer())


def timer(poller: PollFeeds) -> Iterator[Any]:
    return poller.on_collect(FEED, feed=ClosedState(), collect=FakeTimer())


@pytest.fixture
def poller() -> Iterator[PollFeeds]:
    poller = PollFeeds(HttpSettings())
    poller.setup()
    poller.STOP_GRACE = 0.5
    # a poll under way (answered already, so nothing is asked), for the timer to look at
    poller.polls.start(FEED, {}, 0.0, answered=Response(FEED, 200, {}, b""))
    poller.start_bundle()
    yield poller
    poller.teardown()


@pytest.mark.parametrize("bundle", [tick, timer])
def test_a_bundle_failing_on_state_as_the_worker_stops_ends_quietly(
        poller: PollFeeds, bundle: Callable[[PollFeeds], Iterator[Any]]) -> None:
    teardown = threading.Timer(0.05, poller.teardown)  # the harness, after closing state
    teardown.start()
    assert list(bundle(poller)) == []
    teardown.join()


@pytest.mark.parametrize("bundle", [tick, timer])
def test_a_state_failure_in_a_running_worker_fails_the_bundle(
        poller: PollFeeds, bundle: Callable[[PollFeeds], Iterator[Any]]) -> None:
    with pytest.raises(RuntimeError):
        list(bundle(poller))
