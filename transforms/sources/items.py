"""One item of a feed or sitemap read into an entry, or, whatever reading it raises, into a
dead letter: the per-entry boundary every source reader reads its items through.

Items are written by others and may hold anything (a date past year 9999 in UTC, a URL that
`urljoin` refuses, a shape a library trips over); one such item must cost that item only, never
the rest of its feed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from newswire.transforms.records import DeadLetter, FeedEntry, failure_reason

Item = TypeVar("Item")

POLL = "poll"
"""The stage of the dead letters polling leaves: a feed's, or one of its entries'."""

MAX_SHOWN = 2000
"""Characters of an unreadable item kept as its dead letter's input."""


def read_item(item: Item, read: Callable[[Item], FeedEntry], feed_url: str,
              show: Callable[[Item], str]) -> FeedEntry | DeadLetter:
    """`read(item)`, or the item's dead letter, its input the item as `show` writes it."""
    try:
        return read(item)
    except Exception as error:
        try:
            shown = show(item)[:MAX_SHOWN]
        except Exception:  # an item too deep to write out is shown by its type
            shown = type(item).__name__
        return DeadLetter(stage=POLL, reason=f"unreadable entry: {failure_reason(error)}",
                          unit="entry", url=feed_url, input=shown, key=f"{feed_url}#{shown}")
