"""Times as other people's servers write them (ISO-8601, RFC 2822, a zone name), read as UTC.

Feeds, sitemaps, JSON Feed, WARC records and article pages all give times; they are read here."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

# Zone names a text time may carry, as UTC offsets (the common, unambiguous ones).
_ZONES = {"UTC": "+0000", "GMT": "+0000", "WET": "+0000", "WEST": "+0100", "BST": "+0100",
          "CET": "+0100", "CEST": "+0200", "MEZ": "+0100", "MESZ": "+0200", "EET": "+0200",
          "EEST": "+0300", "MSK": "+0300", "IST": "+0530", "JST": "+0900", "KST": "+0900",
          "AEST": "+1000", "AEDT": "+1100", "EST": "-0500", "EDT": "-0400", "CST": "-0600",
          "CDT": "-0500", "MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700"}
_ZONE_NAME = re.compile(rf"\b(?:{'|'.join(_ZONES)})\b", re.IGNORECASE)
# Text times beyond ISO-8601 and RFC 2822, with the zone as an offset: Java's Date.toString,
# and a US-style time ("March 4, 2026 12:00 PM EST").
_TEXT_FORMATS = ("%a %b %d %H:%M:%S %z %Y", "%B %d, %Y %I:%M %p %z", "%b %d, %Y %I:%M %p %z")
# ISO-8601 as some servers bend it: a zone's id after the offset (Java's ZonedDateTime:
# "...+01:00[Europe/Berlin]"), slashes in the date ("2026/03/04 12:00"), a zone name or an
# offset after a space ("2026-03-04T12:00:00 CET").
_ZONE_ID = re.compile(r"\[[\w/+-]+\]$")
_SLASHED_DATE = re.compile(r"^(\d{4})/(\d\d)/(\d\d)")
_SPACED_OFFSET = re.compile(r"\s+([+-]\d\d:?\d\d)$")


def parse_datetime(value: str | None) -> datetime | None:
    """An ISO-8601 or RFC 2822 time in UTC; a naive one is taken as UTC. None if unparseable
    or outside what a datetime holds once in UTC (9999-12-31T23:59:59-01:00)."""
    moment = parse_moment(value)
    return None if moment is None else as_utc(moment)


def as_utc(moment: datetime) -> datetime | None:
    """The moment in UTC (a naive one is taken as UTC); None where UTC would fall outside
    years 1 to 9999, as 0001-01-01T00:00:00+01:00 does."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        return None


def parse_moment(value: str | None) -> datetime | None:
    """An ISO-8601 (also as `_ZONE_ID` and the rest bend it), RFC 2822, "Fri Apr 28 19:20:36
    CEST 2023" or "April 28, 2023 7:20 PM EDT" time, naive if it gives no offset; a zone name
    (CEST, EST, IST, ...) is read as its offset. None if unparseable."""
    if not value or not value.strip():
        return None
    text = _SLASHED_DATE.sub(r"\1-\2-\3", _ZONE_ID.sub("", value.strip()))
    if (moment := _iso(text)) is not None:
        return moment
    if zone := _ZONE_NAME.search(text):
        text = f"{text[:zone.start()]}{_ZONES[zone[0].upper()]}{text[zone.end():]}"
        if (moment := _iso(_SPACED_OFFSET.sub(r"\1", text))) is not None:
            return moment
    for pattern in _TEXT_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):  # OverflowError: year 10**11
        return None


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
