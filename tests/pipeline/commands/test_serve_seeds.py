"""`newswire serve-seeds`: the corpus over loopback until Ctrl-C, which ends it cleanly."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

_SERVE = "import sys; from newswire.pipeline import cli; sys.exit(cli.main(sys.argv[1:]))"


def test_it_serves_a_folder_until_ctrl_c(tmp_path: Path) -> None:
    (tmp_path / "feeds.opml").write_text("<opml version='2.0'><body/></opml>")
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVE, "serve-seeds", "--port", "0", "--root", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline() if server.stdout else ""
        found = re.search(r"\(feed list: (http://127\.0\.0\.1:\d+/feeds\.opml)\)", line)
        assert found, line
        with urllib.request.urlopen(found[1], timeout=10) as response:
            assert response.read() == b"<opml version='2.0'><body/></opml>"
        assert line.startswith(f"serving {tmp_path} at http://127.0.0.1:")
    finally:
        server.send_signal(signal.SIGINT)
        status = server.wait(timeout=30)
    assert status == 0
