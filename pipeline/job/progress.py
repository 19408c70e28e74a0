"""Progress of a running local batch job, on one line: counts from every worker process.

Beam's local FnApiRunner answers metric queries only once the job has finished, and its workers
are separate processes, so the job counts through files instead: `Tally` steps
(`newswire.transforms.tally`) keep their counts in files under a directory. `ProgressReporter`
(in the launching process) sums the files and draws the line: in place on a terminal, at most
once a second; one plain line every 10 seconds otherwise. Runners with no shared directory get
no Tally steps and no line.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TextIO

from newswire.transforms.tally import COUNTS


def read_counts(directory: Path) -> dict[str, int]:
    """The counts of every Tally that has written to `directory`, summed by name."""
    counts = dict.fromkeys(COUNTS, 0)
    for path in directory.glob("*.count"):
        name = path.name.split("-", 1)[0]
        try:
            counts[name] = counts.get(name, 0) + int(path.read_text() or 0)
        except (OSError, ValueError):  # replaced while read: the next look gets it
            continue
    return counts


def render(counts: dict[str, int], elapsed: float) -> str:
    """One progress line; the time left appears once the number of distinct entries is known.
    A re-checked page not modified (304) is fetched and done."""
    extracted, dead = counts.get("extracted", 0), counts.get("dead_letters", 0)
    not_modified = counts.get("not_modified", 0)
    rate = extracted / elapsed if elapsed > 0 else 0.0
    parts = [f"fetched {counts.get('fetched', 0) + not_modified:,}"
             + (f" ({not_modified:,} not modified)" if not_modified else ""),
             f"extracted {extracted:,}", f"indexed {counts.get('indexed', 0):,}",
             f"dead letters {dead:,}", f"{rate:.1f} articles/s"]
    total = counts.get("unique", 0)
    if total and rate > 0:
        left = max(0, total - extracted - dead - not_modified) / rate
        parts.append(f"about {duration(left)} left")
    return "  ".join(parts)


def duration(seconds: float) -> str:
    """Seconds as `42s`, `3m05s` or `1h02m`."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class ProgressLine:
    """Writes progress lines: in place on a terminal at most every `tty_every` seconds, else one
    plain line every `plain_every` seconds, the first after that long too (a short run logs no
    progress at all). `close` ends the line so what follows stays."""

    def __init__(self, stream: TextIO, tty_every: float = 1.0, plain_every: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream, self.clock = stream, clock
        self.tty = stream.isatty()
        self.every = tty_every if self.tty else plain_every
        self.last: float | None = None if self.tty else clock()
        self.drawn = False

    def update(self, text: str) -> bool:
        """Shows `text` unless the last line is too recent; says whether it did."""
        now = self.clock()
        if self.last is not None and now - self.last < self.every:
            return False
        self.last = now
        self.stream.write(f"\r\x1b[K{text}" if self.tty else f"{text}\n")
        self.stream.flush()
        self.drawn = True
        return True

    def close(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()


class ProgressReporter:
    """While entered: a directory for Tally steps, and a thread drawing their sums."""

    def __init__(self, stream: TextIO | None = None, poll: float = 0.25) -> None:
        self.line = ProgressLine(stream or sys.stderr)
        self.poll = poll
        self.directory = Path(tempfile.mkdtemp(prefix="newswire-progress-"))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._draw, name="progress", daemon=True)

    def __enter__(self) -> ProgressReporter:
        self.started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        self.line.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _draw(self) -> None:
        while not self._stop.wait(self.poll):
            counts = read_counts(self.directory)
            if counts["entries"]:
                self.line.update(render(counts, time.monotonic() - self.started))
