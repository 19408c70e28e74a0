"""Beam's failures as one line: an Elasticsearch outage past its wait, a Ctrl-C."""

from __future__ import annotations

import logging

import pytest

from newswire.pipeline.job.errors import outage_in_one_line
from newswire.transforms.index.retry import ClusterUnavailable

RELAY = "apache_beam.runners.portability.local_job_service"
GONE = "Elasticsearch at http://127.0.0.1:9200 stayed unreachable for 120 s"


def test_an_outage_raised_in_process_loses_the_step_beam_named() -> None:
    with pytest.raises(ClusterUnavailable) as raised, outage_in_one_line():
        raise ClusterUnavailable(f"{GONE} [while running 'IngestFeeds/IndexArticles/Write']")
    assert str(raised.value) == GONE


def test_an_outage_relayed_as_a_workers_text_is_raised_as_itself() -> None:
    relayed = (f"Pipeline failed: Traceback (most recent call last):\n  ...\n"
               f"newswire.transforms.index.retry.ClusterUnavailable: {GONE}\n  more")
    with pytest.raises(ClusterUnavailable) as raised, outage_in_one_line():
        raise RuntimeError(relayed)
    assert str(raised.value) == GONE


def test_a_ctrl_c_beam_wrapped_is_a_keyboard_interrupt_again() -> None:
    with pytest.raises(KeyboardInterrupt), outage_in_one_line():
        raise RuntimeError("KeyboardInterrupt [while running 'IngestFeeds/FetchPages']")


def test_other_failures_pass_unchanged() -> None:
    with pytest.raises(ValueError, match="a bad flag"), outage_in_one_line():
        raise ValueError("a bad flag")


def test_beams_logged_tracebacks_of_reported_failures_are_left_out(
        caplog: pytest.LogCaptureFixture) -> None:
    relay = logging.getLogger(RELAY)
    with caplog.at_level(logging.ERROR, logger=RELAY):
        with outage_in_one_line():
            relay.error("Error running pipeline: ClusterUnavailable: %s", GONE)
            relay.error("Error running pipeline: something else")
        relay.error("after: ClusterUnavailable: %s", GONE)
    assert [record.getMessage() for record in caplog.records] == [
        "Error running pipeline: something else", f"after: ClusterUnavailable: {GONE}"]
