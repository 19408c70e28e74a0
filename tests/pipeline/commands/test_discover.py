"""`newswire discover`: the feeds a homepage links to and the sitemaps its robots.txt names,
printed and written as a feed list."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from newswire.pipeline import cli
from tests.loopback import reply, serve

HOME = """<!doctype html><html><head><title>Harbour Examiner</title>
<link rel="alternate" type="application/rss+xml" title="News" href="/rss.xml">
</head><body><p>Today's news.</p></body></html>"""


class Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            host = self.headers["Host"]
            reply(self, 200, f"User-agent: *\nAllow: /\nSitemap: http://{host}/news.xml\n"
                  .encode(), {"Content-Type": "text/plain"})
        elif self.path == "/":
            reply(self, 200, HOME.encode(), {"Content-Type": "text/html"})
        else:
            reply(self, 404, b"not here")

    def log_message(self, *_: Any) -> None:
        pass


def test_a_site_s_feeds_and_sitemaps_are_listed_and_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / "feeds.opml"
    with serve(Site) as base:
        status = cli.main(["discover", f"{base}/", "--allow-private-addresses",
                           "--opml", str(listing)])
    out, err = capsys.readouterr()
    assert status == 0
    assert f"  feed     {base}/rss.xml" in out.splitlines()
    assert f"  sitemap  {base}/news.xml" in out.splitlines()
    assert f"{base}/rss.xml" in listing.read_text() and f"{base}/news.xml" in listing.read_text()
    assert err == f"wrote 2 sources to {listing}\n"


def test_a_site_that_cannot_be_read_fails_the_command_in_one_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["discover", "http://127.0.0.1:9/", "--allow-private-addresses"])
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("newswire: ") and err.count("\n") == 1
