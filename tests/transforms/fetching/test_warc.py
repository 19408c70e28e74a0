"""WARC: writing the archive, reading generated WARC files of every kind, and the round trip."""

from __future__ import annotations

import gzip
import io
import os
import re
import time
import zlib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.io import fileio
from apache_beam.io.filesystem import FileMetadata
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newswire.transforms.fetching.http import Exchange
from newswire.transforms.fetching.warc import ReadWarc, ReadWarcRecords, WarcArchive
from newswire.transforms.records import DEAD_LETTER, DeadLetter, FeedEntry, Page

FETCHED = datetime(2026, 11, 30, 8, 15, 30, tzinfo=timezone.utc)
HTML = "<html><head><title>Tide tables</title></head><body><p>Høy vann kl. 06:12</p></body></html>"


def page(n: int, html: str = HTML) -> Page:
    entry = FeedEntry(link=f"https://ledger.example/story-{n}?utm_source=x",
                      feed_url="https://ledger.example/rss.xml", title=f"Story {n}",
                      published=FETCHED, tags=("tides",), source="feed")
    return Page(entry=entry, url=f"https://ledger.example/story-{n}", html=html,
                fetched_at=FETCHED)


def served(item: Page) -> Exchange:
    """The exchange a server answering with the page as UTF-8 would have had."""
    body = item.html.encode()
    headers = (("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))))
    return Exchange("GET", "/" + item.url.split("/", 3)[-1],
                    (("Host", item.url.split("/")[2]), ("User-Agent", "newswire-test/1")),
                    "HTTP/1.1", 200, "OK", headers, body)


def write_archive(directory: Path, pages: list[Page], max_file_bytes: int = 1 << 30) -> None:
    archive = WarcArchive(str(directory), max_file_bytes)
    archive.open()
    for item in pages:
        archive.keep(item, served(item))
    archive.flush()
    archive.close()


def read_file(path: Path) -> tuple[list[Page], list[DeadLetter], ReadWarcRecords]:
    reader = ReadWarcRecords()
    pages, letters = [], []
    for output in reader.process(fileio.ReadableFile(FileMetadata(str(path),
                                                                  path.stat().st_size))):
        if isinstance(output, beam.pvalue.TaggedOutput):
            assert output.tag == DEAD_LETTER
            letters.append(output.value)
        else:
            pages.append(output)
    return pages, letters, reader


def gzip_members(data: bytes) -> int:
    members = 0
    while data:
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        inflate.decompress(data)
        assert inflate.eof
        data = inflate.unused_data
        members += 1
    return members


def test_the_archive_is_warc_1_1_one_gzip_member_per_record(tmp_path: Path) -> None:
    write_archive(tmp_path, [page(1), page(2)])
    [file] = tmp_path.iterdir()
    assert re.fullmatch(r"newswire-\d{14}-.+-\d{5}\.warc\.gz", file.name)
    data = file.read_bytes()
    assert gzip_members(data) == 6
    records = [(r.rec_headers.protocol, r.rec_type, r.rec_headers.get_header("WARC-Target-URI"))
               for r in ArchiveIterator(io.BytesIO(data))]
    assert records == [("WARC/1.1", kind, f"https://ledger.example/story-{n}")
                       for n in (1, 2) for kind in ("request", "metadata", "response")]


def test_archive_files_rotate_by_size(tmp_path: Path) -> None:
    write_archive(tmp_path / "one", [page(0)])
    [single] = (tmp_path / "one").iterdir()
    limit = single.stat().st_size * 3 // 2  # a second page takes a file past it
    write_archive(tmp_path / "five", [page(n) for n in range(5)], max_file_bytes=limit)
    files = sorted((tmp_path / "five").iterdir())
    assert [len(read_file(file)[0]) for file in files] == [2, 2, 1]
    read = [p.url for file in files for p in read_file(file)[0]]
    assert read == [page(n).url for n in range(5)]


def test_an_archive_file_stays_open_across_bundles_until_it_is_old(tmp_path: Path) -> None:
    archive = WarcArchive(str(tmp_path), max_file_age=1.0)
    archive.open()
    for n in range(3):  # three bundles, one file
        archive.keep(page(n), served(page(n)))
        archive.flush()
    [file] = tmp_path.iterdir()
    assert [p.url for p in read_file(file)[0]] == [page(n).url for n in range(3)]  # flushed
    time.sleep(1.5)  # idle past its age: closed without another write or bundle
    archive.keep(page(3), served(page(3)))
    archive.flush()
    archive.close()
    first, second = sorted(tmp_path.iterdir())
    assert first == file and len(read_file(second)[0]) == 1


def test_a_failed_write_fails_the_bundle_and_the_archive_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = WarcArchive(str(tmp_path))
    archive.open()
    opened = archive._open
    monkeypatch.setattr(archive, "_open", lambda: (_ for _ in ()).throw(OSError("disk full")))
    archive.keep(page(1), served(page(1)))
    with pytest.raises(OSError, match="disk full"):
        archive.flush()
    monkeypatch.setattr(archive, "_open", opened)
    archive.keep(page(2), served(page(2)))  # the retried bundle
    archive.flush()
    archive.close()
    [file] = tmp_path.iterdir()
    assert [p.url for p in read_file(file)[0]] == [page(2).url]


def test_a_replayed_page_is_the_page_that_was_fetched(tmp_path: Path) -> None:
    original = page(7)
    write_archive(tmp_path, [original])
    [file] = tmp_path.iterdir()
    pages, letters, _ = read_file(file)
    assert letters == []
    assert pages == [original]  # entry, final URL, text, fetch time and validators


def record(writer: WARCWriter, kind: str, uri: str, body: bytes = b"",
           status: str = "200 OK", content_type: str = "text/html; charset=utf-8") -> Any:
    http = None
    if kind in ("response", "request"):
        http = (StatusAndHeaders("GET / HTTP/1.1", [("Host", "x")], is_http_request=True)
                if kind == "request" else
                StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1"))
    return writer.create_warc_record(
        uri, kind, payload=io.BytesIO(body), http_headers=http,
        warc_content_type="application/json" if kind == "metadata" else None,
        warc_headers_dict={"WARC-Date": "2026-11-29T10:00:00Z"})


def gz_records(*records: Any) -> bytes:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="WARC/1.1")
    for item in records:
        writer.write_record(item)
    return buffer.getvalue()


def test_a_mixed_crawl_file_gives_its_html_and_dead_letters_the_rest(tmp_path: Path) -> None:
    writer = WARCWriter(io.BytesIO(), gzip=True)
    body = b"<html><body><p>Ferry times change on Monday.</p></body></html>"
    data = gz_records(
        writer.create_warcinfo_record("crawl.warc.gz", {"software": "test"}),
        record(writer, "request", "https://a.example/ferry"),
        record(writer, "response", "https://a.example/ferry", body),
        record(writer, "metadata", "https://a.example/ferry", b'{"outlinks": []}'),
        record(writer, "response", "https://a.example/report.pdf", b"%PDF-1.7 ...",
               content_type="application/pdf"),
        record(writer, "response", "https://a.example/gone", b"gone", status="404 Not Found"),
        record(writer, "response", "https://a.example/cp1252",
               "<html><p>Caf\u00e9 reopens</p></html>".encode("cp1252"),
               content_type="text/html; charset=windows-1252"),
    )
    file = tmp_path / "crawl.warc.gz"
    file.write_bytes(data)
    pages, letters, _ = read_file(file)
    assert [(p.url, p.entry.link, p.entry.source, p.fetched_at) for p in pages] == [
        (url, url, "warc", datetime(2026, 11, 29, 10, tzinfo=timezone.utc))
        for url in ("https://a.example/ferry", "https://a.example/cp1252")]
    assert pages[0].entry.feed_url == str(file)
    assert "Café reopens" in pages[1].html
    assert [(d.url, d.reason, d.stage, d.unit) for d in letters] == [
        ("https://a.example/report.pdf", "unsupported content type application/pdf", "warc",
         "entry"),
        ("https://a.example/gone", "http 404", "warc", "entry")]


def test_a_truncated_file_dead_letters_the_cut_record(tmp_path: Path) -> None:
    writer = WARCWriter(io.BytesIO(), gzip=True)
    bodies = [b"<html><p>" + os.urandom(1500).hex().encode() + b"</p></html>" for _ in range(3)]
    whole = gz_records(*(record(writer, "response", f"https://a.example/{n}", body)
                         for n, body in enumerate(bodies)))
    file = tmp_path / "cut.warc.gz"
    file.write_bytes(whole[: len(whole) - 1000])  # into the last record's content
    pages, letters, _ = read_file(file)
    assert [p.url for p in pages] == ["https://a.example/0", "https://a.example/1"]
    assert [(d.url, d.reason.split(":")[0]) for d in letters] == [
        ("https://a.example/2", "truncated record")]
    file.write_bytes(whole[: len(whole) - 2 * len(whole) // 3 + 40])  # into the 2nd's headers
    pages, letters, _ = read_file(file)
    assert [p.url for p in pages] == ["https://a.example/0"]
    assert len(letters) == 1 and letters[0].url == str(file)


def test_a_record_with_a_bad_length_is_a_dead_letter_and_the_rest_is_read(
        tmp_path: Path) -> None:
    writer = WARCWriter(io.BytesIO(), gzip=False)
    plain = io.BytesIO()
    WARCWriter(plain, gzip=False, warc_version="WARC/1.1").write_record(
        record(writer, "response", "https://a.example/short", b"<html><p>short</p></html>"))
    declared = re.search(rb"Content-Length: (\d+)", plain.getvalue())
    assert declared
    lying = plain.getvalue().replace(declared[0],
                                     b"Content-Length: " + str(int(declared[1]) - 9).encode(), 1)
    good = gz_records(record(writer, "response", "https://a.example/after",
                             b"<html><p>after</p></html>"))
    file = tmp_path / "bad-length.warc.gz"
    file.write_bytes(gzip.compress(lying) + good)
    pages, letters, _ = read_file(file)
    assert [p.url for p in pages] == ["https://a.example/after"]
    assert [(d.url, d.reason) for d in letters] == [
        ("https://a.example/short", "record length does not match its Content-Length")]


def test_a_file_that_is_not_warc_is_one_dead_letter(tmp_path: Path) -> None:
    file = tmp_path / "notes.warc"
    file.write_bytes(b"<html>this is no archive</html>\n")
    pages, letters, _ = read_file(file)
    assert pages == []
    assert len(letters) == 1 and letters[0].reason.startswith("unreadable WARC file from offset 0")
    assert letters[0].url == str(file)


def test_read_warc_matches_and_reads_many_files(tmp_path: Path) -> None:
    for n in range(3):
        write_archive(tmp_path / f"part-{n}", [page(10 * n + k) for k in range(2)])
    (tmp_path / "part-0" / "broken.warc.gz").write_bytes(b"\x1f\x8b not really")

    def urls(pages: Iterator[Page]) -> Any:
        return pages | beam.Map(lambda p: p.url)

    with beam.Pipeline(runner=FnApiRunner()) as pipeline:
        read = (pipeline | beam.Create([str(tmp_path / "part-*" / "*.warc.gz")])
                | ReadWarc())
        assert_that(urls(read.pages),
                    equal_to([page(10 * n + k).url for n in range(3) for k in range(2)]))
        assert_that(read[DEAD_LETTER] | beam.Map(lambda d: d.url.rsplit("/", 1)[-1]),
                    equal_to(["broken.warc.gz"]), label="dead letters")
