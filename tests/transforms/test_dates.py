"""Times as servers write them, read as UTC."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from newswire.transforms.dates import as_utc, parse_datetime, parse_moment


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-18T09:25:00-08:00", datetime(2026, 11, 18, 17, 25, tzinfo=timezone.utc)),
    ("2026-11-20T09:15:00-05:00", datetime(2026, 11, 20, 14, 15, tzinfo=timezone.utc)),
    ("2026-11-19T15:04:00Z", datetime(2026, 11, 19, 15, 4, tzinfo=timezone.utc)),
    ("2026-11-19T23:30:00+0530", datetime(2026, 11, 19, 18, 0, tzinfo=timezone.utc)),
    ("2026-11-19T15:04:00", datetime(2026, 11, 19, 15, 4, tzinfo=timezone.utc)),
    ("Thu, 19 Nov 2026 10:04:00 -0500", datetime(2026, 11, 19, 15, 4, tzinfo=timezone.utc)),
    ("2026-11-19T16:04:00+01:00[Europe/Berlin]",
     datetime(2026, 11, 19, 15, 4, tzinfo=timezone.utc)),
    ("2026-11-19T16:04:00 CET", datetime(2026, 11, 19, 15, 4, tzinfo=timezone.utc)),
    ("2026/11/19 15:04:00", datetime(2026, 11, 19, 15, 4, tzinfo=timezone.utc)),
    ("November 19, 2026 10:04 AM EST", datetime(2026, 11, 19, 15, 4, tzinfo=timezone.utc)),
    ("yesterday afternoon", None),
    ("", None),
])
def test_times_are_converted_to_utc(value: str, expected: datetime | None) -> None:
    assert parse_datetime(value) == expected


def test_a_zone_name_is_read_as_its_offset() -> None:
    assert parse_moment("Wed Mar 04 14:00:00 CEST 2026") == datetime(
        2026, 3, 4, 14, 0, tzinfo=timezone(timedelta(hours=2)))


def test_a_time_without_an_offset_stays_naive_until_taken_as_utc() -> None:
    moment = parse_moment("2026-03-04T14:00:00")
    assert moment is not None and moment.tzinfo is None
    assert as_utc(moment) == datetime(2026, 3, 4, 14, 0, tzinfo=timezone.utc)


def test_a_moment_that_falls_outside_the_calendar_in_utc_is_none() -> None:
    assert parse_datetime("0001-01-01T00:00:00+01:00") is None
    assert parse_datetime("9999-12-31T23:59:59-01:00") is None
