"""`newswire extract`: one page's article record, from a file (with its URL) or over HTTP."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from newswire.pipeline import cli
from tests.loopback import reply, serve

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Ferry strike ends after talks</title>
<meta property="og:site_name" content="Harbour Examiner">
<meta property="article:published_time" content="2026-11-20T09:30:00Z"></head>
<body><article><h1>Ferry strike ends after talks</h1>
<p>The ferry crews went back to work on Friday after eleven hours of talks with the operator,
who agreed to a new rota and a pay rise for the winter season.</p>
<p>Passengers had waited for two days at the terminal while the strike held.</p>
</article></body></html>"""


class Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        reply(self, 200, PAGE.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def log_message(self, *_: Any) -> None:
        pass


def test_a_file_with_its_url_prints_its_record_as_json(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "ferry.html"
    page.write_text(PAGE)
    status = cli.main(["extract", str(page), "--url", "https://harbour.example/ferry",
                       "--format", "json"])
    record = json.loads(capsys.readouterr().out)
    assert status == 0
    assert (record["title"], record["url"]) == ("Ferry strike ends after talks",
                                                "https://harbour.example/ferry")
    assert record["published_at"].startswith("2026-11-20T09:30:00")
    assert "eleven hours of talks" in record["text"]


def test_a_file_without_its_url_is_one_line(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "ferry.html"
    page.write_text(PAGE)
    assert cli.main(["extract", str(page)]) == 1
    assert capsys.readouterr().err == (
        "newswire: give --url with an HTML file: links and ids depend on it\n")


def test_a_url_is_fetched_and_printed_in_seed_format(
        capsys: pytest.CaptureFixture[str]) -> None:
    with serve(Page) as base:
        assert cli.main(["extract", f"{base}/ferry", "--allow-private-addresses"]) == 0
    shown = capsys.readouterr().out
    assert "Ferry strike ends after talks" in shown
    assert "Passengers had waited for two days" in shown


def test_a_loopback_url_is_refused_unless_allowed(capsys: pytest.CaptureFixture[str]) -> None:
    with serve(Page) as base:
        assert cli.main(["extract", f"{base}/ferry"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("newswire: ") and error.count("\n") == 1
