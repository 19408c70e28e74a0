"""The archive holds what went over the wire: the request as sent, the status line, headers and
body as served (gzip, chunked, repeated headers), and a replay decodes pages as the fetch did."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from warcio.archiveiterator import ArchiveIterator

from newswire.transforms.fetching.fetch import FetchPages
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.fetching.warc import ORIGINAL_TRANSFER_ENCODING, WarcArchive
from newswire.transforms.records import FeedEntry, Page
from tests.loopback import reply, serve
from tests.transforms.fetching.test_warc import read_file

CP1252 = "<html><body><p>Caf\u00e9 \u201cre-opens\u201d \u2013 at last</p></body></html>".encode(
    "cp1252")
LATIN1 = ('<html><head><meta charset="iso-8859-1"><title>S\u00e6son</title></head>'
          "<body><p>\u00c5pent for s\u00e6sonen.</p></body></html>").encode("iso-8859-1")
GZIPPED = gzip.compress(CP1252)
SENT: list[list[tuple[str, str]]] = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        SENT.append(list(self.headers.items()))
        if self.path.startswith("/cafe"):  # gzip, chunked, charset only in Content-Type
            self.send_response(200, "Fine")
            self.send_header("Content-Type", "text/html; charset=windows-1252")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Set-Cookie", "a=1")
            self.send_header("Set-Cookie", "b=2")
            self.send_header("X-Served-By", "edge-7")
            self.end_headers()
            half = len(GZIPPED) // 2
            for part in (GZIPPED[:half], GZIPPED[half:]):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:  # charset only in <meta>
            reply(self, 200, LATIN1, {"Content-Type": "text/html", "ETag": '"v1"'})

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fetched(tmp_path: Path) -> Iterator[tuple[str, list[Page], Path]]:
    """Two pages fetched by FetchPages with an archive, and the archive file."""
    SENT.clear()
    with serve(Handler) as base:
        fetch = FetchPages(HttpSettings(allow_private=True, obey_robots=False,
                                        user_agent="newswire-test/2"),
                           WarcArchive(str(tmp_path)))
        fetch.setup()
        fetch.start_bundle()
        outputs = []
        for path in ("/cafe?edition=1", "/saeson"):
            entry = FeedEntry(link=base + path, feed_url=f"{base}/feed", title=path)
            outputs += fetch.process((path, entry), window=GlobalWindow(),
                                     timestamp=MIN_TIMESTAMP, fetched_by=None)
        outputs += fetch.finish_bundle()
        fetch.teardown()
    pages = sorted((output.value for output in outputs), key=lambda page: page.url)
    [file] = tmp_path.iterdir()
    yield base, pages, file


def test_the_records_hold_the_exchange_as_it_went_over_the_wire(
        fetched: tuple[str, list[Page], Path]) -> None:
    base, _, file = fetched
    records = [(r.rec_type, r.http_headers, r.raw_stream.read())
               for r in ArchiveIterator(io.BytesIO(file.read_bytes()), check_digests="raise")
               if r.rec_type in ("request", "response")]
    # warcio reads a request line as protocol "GET" and statusline "/path HTTP/1.1"
    by_target = {headers.get_header("Host") + headers.statusline.split()[0]: n
                 for n, (kind, headers, _) in enumerate(records) if kind == "request"}
    host = base.removeprefix("http://")
    request = records[by_target[host + "/cafe?edition=1"]][1]
    assert f"{request.protocol} {request.statusline}" == "GET /cafe?edition=1 HTTP/1.1"
    assert request.headers in SENT  # exactly what the server received, in its order
    assert dict(request.headers) == {"Host": host, "User-Agent": "newswire-test/2",
                                     "Accept-Encoding": "gzip, deflate"}
    _, response, body = records[by_target[host + "/cafe?edition=1"] + 1]
    assert (response.protocol, response.statusline) == ("HTTP/1.1", "200 Fine")
    assert body == GZIPPED  # as served: compressed, the chunks joined
    assert [(k, v) for k, v in response.headers if k.lower() in ("set-cookie", "x-served-by")] == [
        ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("X-Served-By", "edge-7")]
    assert response.get_header("Content-Encoding") == "gzip"
    assert response.get_header(ORIGINAL_TRANSFER_ENCODING) == "chunked"
    assert response.get_header("Transfer-Encoding") is None
    _, plain, plain_body = records[by_target[host + "/saeson"] + 1]
    assert plain_body == LATIN1
    assert plain.get_header("ETag") == '"v1"'


def test_a_replay_decodes_each_page_as_the_fetch_did(
        fetched: tuple[str, list[Page], Path]) -> None:
    _, live, file = fetched
    cafe, saeson = live
    assert "Caf\u00e9 \u201cre-opens\u201d \u2013 at last" in cafe.html  # header charset
    assert "\u00c5pent for s\u00e6sonen." in saeson.html  # <meta charset>
    replayed, letters, _ = read_file(file)
    assert letters == []
    assert sorted(replayed, key=lambda page: page.url) == live
