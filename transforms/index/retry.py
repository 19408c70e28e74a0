"""The one retry policy for Elasticsearch requests, in the spirit of Beam's requestresponse.py.

    RetryPolicy   how often and how long: retries of a failing request, backoff with jitter,
                  and how long a node that is down or asks us to slow down is waited for
    Failure       what a failure calls for: nothing more, a few retries, or waiting
    Backoff       one request's (or one batch's items') failures in a row, and the pauses
    Repeater      calls a request until it succeeds, fails for good, or the wait is over

A node that does not answer (an outage) and one that answers 429 (too many requests: a full
write queue, a flood-stage block) are both waited for, up to `outage_wait`: a loaded cluster
says "slow down" for minutes. Other 5xx answers are retried `retries` times.

The client itself does not retry (`EsConnection.client` sets `max_retries=0`), so one refused
connection is tried exactly as this policy says, with one backoff.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from elasticsearch import ApiError, ConnectionError, ConnectionTimeout

from newswire.transforms.index.settings import RetryPolicy

LOG = logging.getLogger(__name__)
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
TOO_MANY_REQUESTS = 429
T = TypeVar("T")


class ClusterUnavailable(RuntimeError):
    """Elasticsearch was down or overloaded for longer than the policy waits; the run must
    stop."""


class Failure(enum.Enum):
    """What a failed request (or bulk item) calls for."""

    FINAL = "final"  # another attempt would fail the same way
    COUNTED = "counted"  # a 5xx: retried a few times
    DOWN = "has not answered"  # no answer: waited for
    OVERLOADED = "has answered 429 (too many requests)"  # backpressure: waited out

    @property
    def waited_for(self) -> bool:
        return self in (Failure.DOWN, Failure.OVERLOADED)

    @classmethod
    def of_status(cls, status: int) -> Failure:
        """What a bulk item's (or a response's) status calls for."""
        return (cls.OVERLOADED if status == TOO_MANY_REQUESTS
                else cls.COUNTED if status in RETRYABLE_STATUS else cls.FINAL)

    @classmethod
    def of(cls, error: BaseException) -> Failure:
        if isinstance(error, (ConnectionError, ConnectionTimeout)):
            return cls.DOWN
        return cls.of_status(error.status_code) if isinstance(error, ApiError) else cls.FINAL


class Backoff:
    """One run of failures of a request, or of a batch's items: after each failed attempt,
    `failed` counts it, `allows` says which failures may be tried again, `pause` waits."""

    def __init__(self, policy: RetryPolicy, what: str, sleep: Callable[[float], None],
                 clock: Callable[[], float]) -> None:
        self.policy, self.what, self.sleep, self.clock = policy, what, sleep, clock
        self.attempt = 0
        self.since: float | None = None
        self.cause = ""

    def failed(self, cause: str) -> None:
        """One more attempt failed, for `cause` (logged at the first pause)."""
        self.since = self.clock() if self.since is None else self.since
        self.attempt += 1
        self.cause = cause

    def allows(self, failure: Failure) -> bool:
        """Whether `failure` may be tried again; one waited for past `outage_wait` raises
        ClusterUnavailable, which stops the run."""
        if failure.waited_for:
            failing_for = self.clock() - (self.since or 0.0)
            if failing_for >= self.policy.outage_wait:
                raise ClusterUnavailable(
                    f"Elasticsearch at {self.what} {failure.value} for {failing_for:.0f} s "
                    f"(--es-outage-wait {self.policy.outage_wait:g}); stopping")
            return True
        return failure is Failure.COUNTED and self.attempt <= self.policy.retries

    def pause(self) -> None:
        if self.attempt == 1:
            LOG.warning("Elasticsearch at %s: %s; retrying (waiting up to %g s if it is down "
                        "or overloaded)", self.what, self.cause, self.policy.outage_wait)
        self.sleep(self.policy.delay(self.attempt))


class Repeater:
    """Repeats requests under a `RetryPolicy`; thread-safe, as it keeps no state."""

    def __init__(self, policy: RetryPolicy, what: str,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.what = what
        # The pool's warning on every failed attempt restates what `Backoff` logs once.
        logging.getLogger("elastic_transport.node_pool").setLevel(logging.ERROR)
        self.sleep = sleep
        self.clock = clock

    def backoff(self) -> Backoff:
        """A new run of failures, for a caller that retries items itself (the bulk sink)."""
        return Backoff(self.policy, self.what, self.sleep, self.clock)

    def call(self, request: Callable[[], T], on_retry: Callable[[], None] | None = None) -> T:
        """`request()`'s result; a failure that is not transient is raised at once, a node
        down or overloaded past `outage_wait` raises ClusterUnavailable, a 5xx is raised after
        the last retry."""
        backoff = self.backoff()
        while True:
            try:
                return request()
            except (ApiError, ConnectionError, ConnectionTimeout) as error:
                backoff.failed(_short(error))
                if not backoff.allows(Failure.of(error)):
                    raise
                if on_retry:
                    on_retry()
                backoff.pause()


def _short(error: BaseException) -> str:
    """The first line of an error, without the client's nested restatements."""
    return str(error).split("\n", 1)[0][:200]
