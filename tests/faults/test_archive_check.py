"""Defect (issue 20, 11): `--archive` into a directory that cannot be written was found only
once the job ran, with tracebacks. It is now checked before anything starts: one line, exit 1,
no feed fetched and no index made. (Tests run as root, which may write almost anywhere: the
directory here lies under a regular file, which no one can write into.)"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest

from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import current_index
from tests.faults.test_es_outage import newswire
from tests.loopback import serve

pytestmark = pytest.mark.es


class Feed(BaseHTTPRequestHandler):
    """Counts the requests a run makes before it fails (none should reach it)."""

    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Feed.asked.append(self.path)
        self.send_error(404)

    def log_message(self, *_: object) -> None:
        pass


def test_an_archive_directory_that_cannot_be_written_is_refused_before_the_run(
        tmp_path: Path, es_connection: EsConnection, aliases: dict[str, str]) -> None:
    (tmp_path / "file").write_text("a regular file, not a directory")
    archive = tmp_path / "file" / "warc"
    index = aliases["index"]  # dropped afterwards, should the run make any index after all
    Feed.asked = []
    with serve(Feed) as base:
        run = newswire("run", "--feeds", f"{base}/feed.xml", "--archive", str(archive),
                       "--es-url", es_connection.url, "--index", index,
                       "--dead-letter-index", f"{index}-dead",
                       "--history-index", f"{index}-history", "--allow-private-addresses")
    assert run.returncode == 1
    [line] = run.stderr.strip().splitlines()  # no traceback
    assert line.startswith(f"newswire: --archive {archive} cannot be written: ")
    assert "Not a directory" in line
    assert Feed.asked == []  # nothing fetched
    with es_connection.session() as client:
        assert current_index(client, index) is None  # no index made
