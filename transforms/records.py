"""The records that travel between stages: feed entries, fetched pages and dead letters."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any


@dataclass(frozen=True)
class FeedEntry:
    """One item of a polled feed, with what the feed says about it."""

    link: str
    feed_url: str
    feed_title: str = ""
    title: str = ""
    entry_id: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    summary: str = ""
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    image_url: str = ""
    image_credit: str = ""
    image_caption: str = ""
    language: str = ""
    source: str = "feed"
    """What listed the entry: `feed`, `sitemap` or `warc`; provenance names it."""
    retry: int = 0
    """0 for a first try; for an entry whose page failed, the failures in a row so far, so a
    retry is told apart from the try a job already handed on (`ENTRIES` keys on it)."""
    page_etag: str = ""
    page_last_modified: str = ""
    """The validators the entry's page was last fetched with (from the crawl state), sent
    with a re-check so that a page not changed since costs its server a 304."""
    indexed_fingerprint: str = ""
    indexed_version: int = 0
    page_version: int = 0
    """What the crawl state says of the entry's article as indexed: its fingerprint, its
    version, and the version its page's own dates gave. A re-check that finds the page changed
    with the same page version was edited without new dates; a lower one is an older copy."""

    def to_json(self) -> str:
        """The entry as JSON, as a WARC metadata record and a dead letter's input keep it."""
        # a shallow dict: `asdict` deep-copies, which was a fifth of archiving a page (cProfile)
        return json.dumps({f.name: getattr(self, f.name) for f in fields(self)}, default=str)

    @classmethod
    def from_json(cls, data: str | bytes) -> FeedEntry:
        """The inverse of `to_json`; unknown keys (a newer writer's) are ignored."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: v for k, v in json.loads(data).items() if k in known}
        for name in ("published", "updated"):
            if values.get(name):
                values[name] = datetime.fromisoformat(values[name])
        for name in ("authors", "tags"):
            values[name] = tuple(values.get(name) or ())
        return cls(**values)


@dataclass(frozen=True)
class Page:
    """A fetched article page: the final URL after redirects, the decoded HTML, and the
    validators it was served with (for a later re-check)."""

    entry: FeedEntry
    url: str
    html: str
    fetched_at: datetime
    etag: str = ""
    last_modified: str = ""


@dataclass(frozen=True)
class NotModified:
    """An entry whose page answered a re-check with 304: its article, as indexed, is current."""

    entry: FeedEntry
    checked_at: datetime


@dataclass(frozen=True)
class DeadLetter:
    """Why an input left the pipeline, with the input itself, so it can be replayed or fixed.

    `unit` says what was lost: a feed entry (counts against entries seen) or a whole feed.
    `key` is the input's own identity, independent of the address it was fetched from: a feed
    entry's id (else its link, else its feed and title), an article's id, a feed's URL. `url`
    is where the input was, or was to be, fetched: an entry's link, else its feed's URL.
    `lasting`: the input would fail the same way if tried again (`is_lasting`).
    """

    stage: str
    reason: str
    unit: str
    url: str
    input: str
    key: str = ""
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    lasting: bool = False

    @classmethod
    def for_entry(cls, stage: str, reason: str, entry: FeedEntry,
                  lasting: bool = False) -> DeadLetter:
        return cls(stage=stage, reason=reason, unit="entry", url=entry.link or entry.feed_url,
                   input=entry.to_json(),
                   key=entry.entry_id or entry.link or f"{entry.feed_url}#{entry.title}",
                   lasting=lasting)

    @classmethod
    def for_feed(cls, stage: str, reason: str, feed_url: str) -> DeadLetter:
        return cls(stage=stage, reason=reason, unit="feed", url=feed_url, input=feed_url,
                   key=feed_url)

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["at"] = self.at.isoformat()
        return doc


DEAD_LETTER = "dead_letter"
"""The tag of every stage's failure output."""

MAX_REASON = 300
"""A reason's length at most: third-party messages can quote whole documents."""


def failure_reason(error: Exception) -> str:
    """What a dead letter says about a failure, at a stage's boundary that catches any.

    Our own failures (FetchError, ValueError and its kind: SitemapError, ExtractionError) say
    it in their words; anything else (OverflowError from a date, RecursionError from nesting,
    a library's own error) is named by its type, so the letter tells a bug from bad input."""
    if isinstance(error, ValueError) or isinstance(getattr(error, "reason", None), str):
        told = str(getattr(error, "reason", "") or error)
    else:
        told = f"{type(error).__name__}: {error}"
    return " ".join(told.split())[:MAX_REASON]


def is_lasting(error: Exception) -> bool:
    """Whether a failure would happen again if the input were tried again: one that says so
    (`FetchError.lasting`: a page gone, not HTML, disallowed by robots.txt; an
    `ExtractionError`: no article in the page); anything else may pass."""
    return getattr(error, "lasting", False) is True
