"""pipeline/commands/__init__.py: what the commands share, the `--since`/`--until` parser."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from newswire.pipeline.commands import moment


def test_a_date_alone_is_midnight_utc() -> None:
    assert moment("2026-11-20") == datetime(2026, 11, 20, tzinfo=timezone.utc)


def test_a_timestamp_without_an_offset_is_utc_and_one_with_an_offset_keeps_it() -> None:
    assert moment("2026-11-20T08:30") == datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc)
    offset = moment("2026-11-20T08:30+02:00")
    assert offset.utcoffset() == timedelta(hours=2)
    assert offset == datetime(2026, 11, 20, 6, 30, tzinfo=timezone.utc)


def test_what_is_no_date_is_refused_as_argparse_expects() -> None:
    with pytest.raises(ValueError):  # argparse turns a type's ValueError into one usage line
        moment("last tuesday")
