"""Ctrl-C on a local batch run: one line, exit status 130, no traceback, no process left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from newswire.transforms.index.client import EsConnection
from tests.faults.test_stop_streaming import SlowPage, index, no_traceback  # noqa: F401
from tests.loopback import serve

pytestmark = [pytest.mark.es, pytest.mark.timeout(120)]


def marked(mark: str) -> list[int]:
    """Live processes whose environment carries `mark`."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if mark.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def test_ctrl_c_on_a_batch_run_stops_it_in_one_line(es_connection: EsConnection,
                                                    index: str) -> None:  # noqa: F811
    SlowPage.delay = 60.0
    SlowPage.asked.clear()
    SlowPage.release.clear()
    mark = f"NEWSWIRE_TEST_RUN={uuid.uuid4().hex}"
    with serve(SlowPage) as base:
        argv = ["run", "--feeds", f"{base}/feed.xml", "--es-url", es_connection.url,
                "--index", index, "--dead-letter-index", f"{index}-dead",
                "--history-index", f"{index}-history", "--allow-private-addresses"]
        command = Path(sys.executable).with_name("newswire")  # the installed entry point
        run = subprocess.Popen([str(command), *argv], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, mark.split("=")[0]: mark.split("=")[1]})
        try:
            assert SlowPage.asked.wait(60), "the page was never asked for"
            assert len(marked(mark)) > 2  # the run and its extraction processes
            run.send_signal(signal.SIGINT)
            stopped = time.monotonic()
            output, _ = run.communicate(timeout=60)
        finally:
            SlowPage.release.set()
            run.kill()
    print(output)
    assert time.monotonic() - stopped < 10  # not held up by the page still being fetched
    assert run.returncode == 130
    assert "newswire: stopped (Ctrl-C) before the run ended" in output
    no_traceback(output)
    assert marked(mark) == []
