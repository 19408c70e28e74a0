"""WARC archive and replay: every fetched page kept as WARC/1.1, and WARC files read as pages.

    FetchPages ─► WarcArchive ─► DIR/newswire-<time>-<worker>-<n>.warc.gz   (request, metadata
                  (one per fetching DoFn, a writer thread, files    and response records, one
                   rotated by size and age)                         gzip member each)

    patterns ─► MatchAll ─► Reshuffle ─► ReadMatches ─► ReadWarcRecords ─► pages
                                                              │
                                                              └─► dead letters (truncated,
                                                                  malformed, not HTML)

Files go through Beam's filesystems, so DIR and the patterns may be local paths or any Beam
filesystem (`gs://...`). A file is read by one worker, so many files are read in parallel.

The archive is written where the fetch happens, from what went over the wire (`Exchange`): the
`request` record holds the request as sent, the `response` record the status line, the headers
as received and the body as served (still gzip if it came so). The `metadata` record beside
them holds the feed entry, so a replay extracts exactly what the live run did. Other WARC files
(CC-NEWS) have no such record: there the response's target URI and date stand in for the entry.
"""

from __future__ import annotations

import io
import json
import os
import queue
import socket
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, BinaryIO

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from newswire.schemas.article import FUTURE_SLACK
from newswire.transforms.dates import parse_datetime
from newswire.transforms.fetching.fetch import page_from_response
from newswire.transforms.fetching.http import Exchange, FetchError, Response
from newswire.transforms.fetching.settings import MAX_FILE_AGE, MAX_FILE_BYTES, HttpSettings
from newswire.transforms.records import DEAD_LETTER, DeadLetter, FeedEntry, Page, failure_reason

WARC = "warc"
"""The `FeedEntry.source` of entries a WARC file gave, and the dead letters' stage."""


GZIP_LEVEL = 3
"""On the 132 real pages (314 KB on average) level 3 takes 6.8 ms a page and level 9, which
warcio uses, 31.8 ms, for 13% more bytes: archiving has to stay cheap beside extraction."""

ENTRY_TYPE = "application/vnd.newswire.entry+json"
"""The content type of the metadata record holding a page's feed entry."""

ORIGINAL_TRANSFER_ENCODING = "X-Archive-Orig-Transfer-Encoding"
"""The body is kept de-chunked, so a served `Transfer-Encoding` is kept under this name (as
Wayback-style archives rename headers) and readers do not try to de-chunk it again."""


# -- writing --------------------------------------------------------------------------------

def page_records(writer: WARCWriter, page: Page, exchange: Exchange) -> list[Any]:
    """The request, metadata (the entry) and response records of one fetched page."""
    # warcio writes an aware time as "+00:00Z": give it naive UTC
    when = datetime_to_iso_date(page.fetched_at.astimezone(timezone.utc).replace(tzinfo=None),
                                use_micros=True)
    response_id = f"<urn:uuid:{uuid.uuid4()}>"
    # Lengths given, warcio digests the payloads in place rather than through a temporary file
    # (0.76 against 0.46 ms for the response of a 307 KiB page)
    request = writer.create_warc_record(
        page.url, "request", payload=io.BytesIO(b""), length=0,
        http_headers=StatusAndHeaders(f"{exchange.method} {exchange.target} {exchange.protocol}",
                                      list(exchange.request_headers), is_http_request=True),
        warc_headers_dict={"WARC-Date": when, "WARC-Concurrent-To": response_id})
    entry = page.entry.to_json().encode()
    metadata = writer.create_warc_record(
        page.url, "metadata", payload=io.BytesIO(entry), length=len(entry),
        warc_content_type=ENTRY_TYPE,
        warc_headers_dict={"WARC-Date": when, "WARC-Concurrent-To": response_id})
    headers = [(ORIGINAL_TRANSFER_ENCODING if name.lower() == "transfer-encoding" else name,
                value) for name, value in exchange.headers]
    response = writer.create_warc_record(
        page.url, "response", payload=io.BytesIO(exchange.body), length=len(exchange.body),
        http_headers=StatusAndHeaders(f"{exchange.status} {exchange.reason}".rstrip(), headers,
                                      protocol=exchange.protocol),
        warc_headers_dict={"WARC-Date": when, "WARC-Record-ID": response_id})
    return [request, metadata, response]


def gzip_member(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    """One record as one gzip member, so readers can seek to any record."""
    deflate = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return deflate.compress(data) + deflate.flush()


class _CountingStream:
    """A write-only stream that counts what passes, since not every filesystem's has `tell`."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.written = 0

    def write(self, data: bytes) -> int:
        self.raw.write(data)
        self.written += len(data)
        return len(data)

    def flush(self) -> None:
        self.raw.flush()

    def close(self) -> None:
        self.raw.close()


class WarcArchive:
    """Keeps fetched pages as WARC records in files in `directory`: `FetchPages`' archive.

    One writer thread owns the open file: it builds, compresses (zlib releases the GIL) and
    writes the records, so archiving overlaps fetching and extraction. A file stays open across
    bundles and is closed when it reaches `max_file_bytes`, when it is `max_file_age` seconds
    old (checked while idle too) and at `close`; it is named by its start time and the worker.
    `flush`, at the end of each bundle, waits until the bundle's pages are written and raises
    a failed write, so the bundle is retried.
    """

    MAX_PENDING = 64
    """Pages handed to the writer thread and not yet written: bounds the memory they hold."""

    def __init__(self, directory: str, max_file_bytes: int = MAX_FILE_BYTES,
                 max_file_age: float = MAX_FILE_AGE) -> None:
        self.directory = directory
        self.max_file_bytes = max_file_bytes
        self.max_file_age = max_file_age

    def open(self) -> None:
        self.worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._sequence = 0
        self._stream: _CountingStream | None = None
        self._opened_at = 0.0
        self._failure: Exception | None = None
        if not FileSystems.exists(self.directory):
            try:
                FileSystems.mkdirs(self.directory)
            except OSError:
                if not FileSystems.exists(self.directory):  # another worker may have made it
                    raise
        # pages to write, events to set once written, None to stop
        self._queue: queue.Queue[Any] = queue.Queue(self.MAX_PENDING)
        self._thread = threading.Thread(target=self._run, name="warc", daemon=True)
        self._thread.start()

    def keep(self, page: Page, exchange: Exchange) -> None:
        """Hand one page to the writer thread; blocks while it is `MAX_PENDING` pages behind."""
        self._queue.put((page, exchange))

    def flush(self) -> None:
        """Wait until every page kept so far is written; raise the first write that failed."""
        written = threading.Event()
        self._queue.put(written)
        written.wait()
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def __str__(self) -> str:
        return (f"WARC files in {self.directory}, rotated at {self.max_file_bytes} bytes or "
                f"{self.max_file_age:g} s")

    def _run(self) -> None:
        """The writer thread: writes what is queued; closes the file once it is old enough."""
        while True:
            try:
                item = self._queue.get(timeout=self._time_left())
            except queue.Empty:  # the open file is old enough, and nothing came meanwhile
                item = _ROTATE
            try:
                if isinstance(item, tuple):
                    self._write(*item)
                elif isinstance(item, threading.Event):
                    if self._stream is not None:
                        self._stream.flush()
                    item.set()
                else:  # rotate, or stop
                    self._close()
            except Exception as error:  # e.g. a full disk: raised to the bundle by `flush`
                self._failure = self._failure or error
                self._abandon()
            if item is None:
                return

    def _time_left(self) -> float | None:
        """Seconds until the open file is old enough to close; None without one."""
        if self._stream is None:
            return None
        return max(self._opened_at + self.max_file_age - time.monotonic(), 0.0)

    def _write(self, page: Page, exchange: Exchange) -> None:
        """One page's records, one gzip member each; rotates the file by size and age."""
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=False, warc_version="WARC/1.1")
        members = []
        for record in page_records(writer, page, exchange):
            writer.write_record(record)
            members.append(gzip_member(buffer.getvalue()))
            buffer.seek(0)
            buffer.truncate()
        if self._stream is None:
            self._stream = self._open()
        for member in members:
            self._stream.write(member)
        if self._stream.written >= self.max_file_bytes or not self._time_left():
            self._close()

    def _open(self) -> _CountingStream:
        self._sequence += 1
        self._opened_at = time.monotonic()
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        name = f"newswire-{stamp}-{self.worker}-{self._sequence:05d}.warc.gz"
        path = FileSystems.join(self.directory, name)
        # Each record is its own gzip member already: the file must not be compressed again.
        return _CountingStream(FileSystems.create(
            path, mime_type="application/warc", compression_type=CompressionTypes.UNCOMPRESSED))

    def _close(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            stream.close()

    def _abandon(self) -> None:
        """After a failed write: the file may end in half a record, so the next page starts
        a new one."""
        with suppress(Exception):  # the failure that matters is already kept
            self._close()


_ROTATE = object()
"""Queued by nobody: what the writer thread acts on when the open file is old enough."""


# -- reading --------------------------------------------------------------------------------

class _Loader(ArcWarcRecordLoader):
    """warcio's record loader, reading a record without a WARC-Target-URI as having no HTTP
    headers (warcio's own raises AttributeError), so the record becomes its dead letter."""

    def load_http_headers(self, rec_type: str, uri: str | None, stream: Any,
                          length: int | None) -> StatusAndHeaders | None:
        return super().load_http_headers(rec_type, uri or "", stream, length)


class _QuietArchiveIterator(ArchiveIterator):
    """warcio's iterator, without its stderr warning on a bad Content-Length: the record
    becomes a dead letter instead (warcio still counts it in `err_count`); records without a
    target URI are read (`_Loader`)."""

    INC_RECORD = ""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__(stream)
        self.loader = _Loader()


def _record_date(record: Any) -> datetime | None:
    """The record's WARC-Date (second or finer, as WARC/1.1 allows) as an aware UTC datetime;
    None for a date past now (beyond the schema's slack), which no fetch can have."""
    date = parse_datetime(record.rec_headers.get_header("WARC-Date"))
    if date is not None and date > datetime.now(timezone.utc) + FUTURE_SLACK:
        return None
    return date


def _http_headers(record: Any) -> dict[str, str]:
    headers = record.http_headers
    return {name.lower(): value for name, value in headers.headers} if headers else {}


class ReadWarcRecords(beam.DoFn):
    """One WARC file's HTML responses as pages; other records are skipped and counted.

    Every response record is an entry: it becomes a page or a dead letter (truncated, a bad
    length, not HTML, not a 2xx). Each record is read within its own boundary, so whatever
    reading one raises is that record's dead letter and the file is read on; a file that
    cannot be read on past some point ends there, with a dead letter saying where and why.
    """

    def __init__(self, max_bytes: int = HttpSettings.max_bytes) -> None:
        self.max_bytes = max_bytes
        self.seen = Metrics.counter("newswire", "entries_seen")
        self.read = Metrics.counter("newswire", "warc_pages_read")
        self.skipped = Metrics.counter("newswire", "warc_records_skipped")

    def process(self, file: fileio.ReadableFile) -> Iterator[Any]:
        path = file.metadata.path
        with file.open(mime_type="application/octet-stream",
                       compression_type=CompressionTypes.UNCOMPRESSED) as stream:
            records = _QuietArchiveIterator(stream)
            entries: dict[str, FeedEntry] = {}
            # Where the unread rest begins: warcio's offset, unless it lost count (a gzip
            # member holding many records puts it below the last record's, even below 0).
            rest = 0
            try:
                for record in records:
                    if (output := self._each(records, record, path, entries)) is not None:
                        self.seen.inc()
                        yield output
                    rest = max(rest, records.offset)
            except Exception as error:  # the file's boundary: it cannot be read on
                self.seen.inc()
                yield self._dead_letter(f"unreadable WARC file from offset {rest}: "
                                        f"{failure_reason(error)}", path, rest)
                return
        if records.offset < file.metadata.size_in_bytes:  # warcio stops quietly at a cut header
            self.seen.inc()
            yield self._dead_letter(f"truncated WARC file: the record at offset {records.offset} "
                                    "is incomplete", path, records.offset)

    def _each(self, records: ArchiveIterator, record: Any, path: str,
              entries: dict[str, FeedEntry]) -> Any | None:
        """The record's page or dead letter (None for a record that is no entry): the record's
        boundary, where whatever reading it raises becomes its dead letter."""
        offset = records.offset
        try:
            return self._record(records, record, path, entries)
        except Exception as error:
            uri = record.rec_headers.get_header("WARC-Target-URI")
            return self._dead_letter(
                f"unreadable {record.rec_type} record: {failure_reason(error)}", uri or path,
                offset, FeedEntry(link=uri, feed_url=path, source=WARC) if uri else None)

    def _record(self, records: ArchiveIterator, record: Any, path: str,
                entries: dict[str, FeedEntry]) -> Any | None:
        kind = record.rec_type
        if kind == "metadata" and record.rec_headers.get_header("Content-Type") == ENTRY_TYPE:
            # our own archive: the entry the page was fetched for, keyed by its response
            target = record.rec_headers.get_header("WARC-Concurrent-To")
            entries[target] = FeedEntry.from_json(record.content_stream().read())
            return None
        offset = records.offset
        uri = record.rec_headers.get_header("WARC-Target-URI") or ""
        if not uri and kind in ("response", "revisit"):
            return self._dead_letter(f"malformed {kind} record: no WARC-Target-URI", path,
                                     offset)
        if kind != "response":
            self.skipped.inc()
            return None
        date = _record_date(record)
        body = record.content_stream().read(self.max_bytes + 1)  # as a download is capped
        missing = getattr(record.raw_stream, "limit", 0)
        errors = records.err_count
        records.read_to_end(record)
        entry = entries.pop(record.rec_headers.get_header("WARC-Record-ID"), None) or FeedEntry(
            link=uri, feed_url=path, source=WARC)
        if len(body) > self.max_bytes:
            return self._dead_letter(f"too large: over {self.max_bytes} bytes", uri, offset,
                                     entry)
        if missing:
            return self._dead_letter(f"truncated record: {missing} bytes short", uri, offset,
                                     entry)
        if records.err_count > errors:
            return self._dead_letter("record length does not match its Content-Length", uri,
                                     offset, entry)
        status = record.http_headers.get_statuscode() if record.http_headers else ""
        if not str(status).startswith("2"):
            return self._dead_letter(f"http {status or 'status missing'}", uri, offset, entry)
        try:
            page = page_from_response(entry, Response(uri, int(status), _http_headers(record),
                                                      body))
        except FetchError as error:
            return self._dead_letter(error.reason, uri, offset, entry)
        self.read.inc()
        return replace(page, fetched_at=date)

    @staticmethod
    def _dead_letter(reason: str, url: str, offset: int,
                     entry: FeedEntry | None = None) -> beam.pvalue.TaggedOutput:
        letter = (DeadLetter.for_entry(WARC, reason, entry) if entry else
                  DeadLetter(stage=WARC, reason=reason, unit="entry", url=url,
                             input=json.dumps({"file": url, "offset": offset})))
        return beam.pvalue.TaggedOutput(DEAD_LETTER, letter)


def warc_files(pattern: str) -> list[str]:
    """The files `--warc` reads: those matching `pattern` (a local directory: the files in it),
    subdirectories left out. ValueError, in one line, when none match or one cannot be read."""
    if os.path.isdir(pattern):
        pattern = os.path.join(pattern, "*")
    try:
        matched = FileSystems.match([pattern])[0].metadata_list
    except Exception as error:  # a filesystem refusing the pattern: Beam's BeamIOError
        raise ValueError(f"--warc {pattern}: {failure_reason(error)}") from None
    files = sorted(found.path for found in matched if not os.path.isdir(found.path))
    if not files:
        raise ValueError(f"--warc {pattern}: no files match")
    if unreadable := [path for path in files
                      if os.path.exists(path) and not os.access(path, os.R_OK)]:
        raise ValueError(f"--warc {pattern}: cannot read {unreadable[0]}"
                         + (f" and {len(unreadable) - 1} more" if len(unreadable) > 1 else ""))
    return files


class ReadWarc(beam.PTransform):
    """WARC file patterns (or paths, from `warc_files`) to pages (main output `pages`) and
    dead letters; a record's content is read up to `max_bytes`, as a download is."""

    def __init__(self, max_bytes: int = HttpSettings.max_bytes) -> None:
        super().__init__()
        self.max_bytes = max_bytes

    def expand(self, patterns: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return (
            patterns
            | "Match" >> fileio.MatchAll()
            | "SpreadFiles" >> beam.Reshuffle()
            | "Open" >> fileio.ReadMatches(compression=CompressionTypes.UNCOMPRESSED)
            | "Records" >> beam.ParDo(ReadWarcRecords(self.max_bytes)).with_outputs(
                DEAD_LETTER, main="pages")
        )
