"""The one retry policy for Elasticsearch requests, in the spirit of Beam's requestresponse.py.

    RetryPolicy   how often and how long: retries while the node answers, backoff, and how long
                  a node that does not answer at all (an outage) is waited for
    is_transient  which failures are worth another attempt
    Repeater      calls a request until it succeeds, fails for good, or the wait is over

The client itself does not retry (`EsConnection.client` sets `max_retries=0`), so one refused
connection is tried exactly as this policy says, with one backoff.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from elasticsearch import ApiError, ConnectionError, ConnectionTimeout

LOG = logging.getLogger(__name__)
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
T = TypeVar("T")


class ClusterUnavailable(RuntimeError):
    """Elasticsearch did not answer for longer than the policy waits; the run must stop."""


@dataclass(frozen=True)
class RetryPolicy:
    """`retries` attempts after the first while the node answers (429, 5xx); an unreachable or
    silent node is waited for up to `outage_wait` seconds. Waits double from `backoff` up to
    `max_backoff`."""

    retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 10.0
    outage_wait: float = 120.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1, 2, ...)."""
        return min(self.backoff * 2 ** (attempt - 1), self.max_backoff)


def is_outage(error: BaseException) -> bool:
    """The node could not be reached or did not answer in time."""
    return isinstance(error, (ConnectionError, ConnectionTimeout))


def is_transient(error: BaseException) -> bool:
    """A failure another attempt may not meet: no answer, overload, a 5xx."""
    return is_outage(error) or (isinstance(error, ApiError)
                                and error.status_code in RETRYABLE_STATUS)


class Repeater:
    """Repeats one request under a `RetryPolicy`; thread-safe, as it keeps no state."""

    def __init__(self, policy: RetryPolicy, what: str,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.what = what
        # The pool's warning on every failed attempt restates what `call` logs once.
        logging.getLogger("elastic_transport.node_pool").setLevel(logging.ERROR)
        self.sleep = sleep
        self.clock = clock

    def call(self, request: Callable[[], T], on_retry: Callable[[], None] | None = None) -> T:
        """`request()`'s result; a failure that is not transient is raised at once, an outage
        past `outage_wait` raises ClusterUnavailable, other transient failures are raised after
        the last retry."""
        first_failure: float | None = None
        attempt = 0
        while True:
            try:
                return request()
            except (ApiError, ConnectionError, ConnectionTimeout) as error:
                if not is_transient(error):
                    raise
                now = self.clock()
                first_failure = now if first_failure is None else first_failure
                down_for = now - first_failure
                attempt += 1
                if is_outage(error):
                    if down_for >= self.policy.outage_wait:
                        raise ClusterUnavailable(
                            f"Elasticsearch at {self.what} has not answered for "
                            f"{down_for:.0f} s (--es-outage-wait {self.policy.outage_wait:g}); "
                            f"stopping") from None
                elif attempt > self.policy.retries:
                    raise
                if attempt == 1:
                    LOG.warning("Elasticsearch at %s: %s; retrying (waiting up to %g s if it "
                                "is down)", self.what, _short(error), self.policy.outage_wait)
                if on_retry:
                    on_retry()
                self.sleep(self.policy.delay(attempt))


def _short(error: BaseException) -> str:
    """The first line of an error, without the client's nested restatements."""
    return str(error).split("\n", 1)[0][:200]
