"""Beam's failures as one line: an Elasticsearch outage past the wait, a Ctrl-C."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from newswire.transforms.index.retry import ClusterUnavailable

_UNAVAILABLE = re.compile(r"ClusterUnavailable: ([^\n]*)")
_STEP = re.compile(r" \[while running '[^\n]*'\]$")  # what Beam adds in process


# Failures the caller reports in one line, whose tracebacks Beam would log first: the worker's,
# relayed by the local job service as text, and the in-process runner's own, which carries the
# exception itself (its message is the error's text and the step, without the class's name).
_REPORTED = (ClusterUnavailable, KeyboardInterrupt)
_RELAYS = ("apache_beam.runners.portability.local_job_service", "apache_beam.runners.common")


def _not_reported(record: logging.LogRecord) -> bool:
    if record.exc_info and isinstance(record.exc_info[1], _REPORTED):
        return False
    return not any(kind.__name__ in record.getMessage() for kind in _REPORTED)


@contextmanager
def outage_in_one_line() -> Iterator[None]:
    """A job stopped because Elasticsearch stayed away longer than `--es-outage-wait` raises
    ClusterUnavailable with that one line (the in-process runner raises it in `run`, naming the
    step; Beam's worker processes fail `run` with its text; other runners fail
    `wait_until_finish`). A Ctrl-C stays a KeyboardInterrupt. Beam's logged tracebacks for
    either are left out, since the caller reports them."""
    relays = [logging.getLogger(name) for name in _RELAYS]
    for relay in relays:
        relay.addFilter(_not_reported)
    try:
        yield
    except ClusterUnavailable as error:  # in process: Beam raised it again, naming the step
        raise ClusterUnavailable(_STEP.sub("", str(error))) from None
    except Exception as error:
        if str(error).startswith("KeyboardInterrupt"):  # in process: Beam's RuntimeError for it
            raise KeyboardInterrupt from None
        if match := _UNAVAILABLE.search(str(error)):
            raise ClusterUnavailable(match[1]) from None
        raise
    finally:
        for relay in relays:
            relay.removeFilter(_not_reported)
