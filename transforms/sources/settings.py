"""How sources are polled and remembered: plain settings, free of Beam and of the
Elasticsearch client, so the options load without either.

    PollSettings    the bounds of every feed's polling (and how often `--feeds` sources that
                    list others are read again), and the oldest sitemap entry taken
    StateSettings   where the crawl state lives, when a fetched entry is fetched again, and
                    how long what no source lists is kept; its alias (`state_alias`) and its
                    records' ids (`source_id`, `entry_id`)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from newswire.schemas.article import document_id
from newswire.schemas.urls import canonical_url
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.settings import RetryPolicy

DEFAULT_MAX_AGE = 2 * 86400.0
"""Seconds: sitemap entries modified longer ago are skipped."""
RETRY_FAILED = 3600.0
"""Seconds before an entry whose page failed is fetched again, doubled with each failure in a
row up to `LONGEST_RETRY`."""
LONGEST_RETRY = 86400.0
LONGEST_LASTING_RETRY = 30 * 86400.0
"""The longest wait for a page whose failure would happen again (a 404, a PDF, disallowed by
robots.txt): asked rarely, not daily, but not given up on (a page listed before it was put up
answers 404 at first)."""


@dataclass(frozen=True)
class PollSettings:
    """The bounds every feed's polling stays within, and the defaults for what is unknown."""

    min_interval: float = 60.0
    max_interval: float = 86400.0
    default_interval: float = 900.0
    backoff_cap: float = 6 * 3600.0
    seen_window: float = 7 * 86400.0
    max_age: float = DEFAULT_MAX_AGE  # sitemap entries modified longer ago are skipped
    # streaming: seconds between readings of the `--feeds` sources that list others
    rediscover_every: float = 3600.0


def state_alias(index: str, given: str = "") -> str:
    """The crawl state's alias: the one `given` (`--state-index`), else beside the articles
    alias `index`."""
    return given or f"{index}-state"


def source_id(url: str) -> str:
    """A source's record in the crawl state: one per URL."""
    return document_id(f"source {url}")


def entry_id(link: str) -> str:
    """An entry's record: one per canonical link, whichever sources list it (as
    Deduplicate(ENTRIES) takes them for one)."""
    return document_id(f"entry {canonical_url(link)}")


@dataclass(frozen=True)
class StateSettings:
    """Where the crawl state is, when an entry fetched once is fetched again (`recheck_age`
    seconds after its last fetch; None: only when its feed says it changed), when one whose
    page failed is tried again (`retry_failed` seconds after, doubled with each failure in a
    row; 0: at every run), and how long a record no source lists is kept (`retention`
    seconds; None: for ever)."""

    es: EsConnection
    alias: str
    recheck_age: float | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    retention: float | None = None
    retry_failed: float = RETRY_FAILED

    def failed_wait(self, failures: int, lasting: bool = False) -> float:
        """Seconds an entry whose page failed `failures` times in a row waits to be fetched
        again: `retry_failed`, doubled with each failure after the first, up to a day, or up
        to a month when the last failure was `lasting`."""
        if failures < 1:
            return 0.0
        longest = LONGEST_LASTING_RETRY if lasting else LONGEST_RETRY
        return min(self.retry_failed * 2 ** min(failures - 1, 32),
                   max(self.retry_failed, longest))
