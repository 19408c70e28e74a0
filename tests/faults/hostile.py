"""A loopback site that serves whatever a fault test gives it, and stories of our own to fetch.

`serve_routes` answers each path with the status, headers and body given; `{base}` in a body or
header is replaced by the site's own base URL, so documents can link to the site itself.
`story` is a minimal article page whose prose differs from every other story's, so stories are
never near-duplicates of one another."""

from __future__ import annotations

import gzip
import io
import random
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from apache_beam.io import fileio
from apache_beam.io.filesystem import FileMetadata
from apache_beam.options.pipeline_options import PipelineOptions
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newswire.pipeline.job import lifecycle
from newswire.pipeline.job.summary import Summary
from newswire.transforms.fetching.warc import ReadWarcRecords
from newswire.transforms.index.client import EsConnection
from tests.conftest import drop_job_aliases, job_aliases
from tests.loopback import reply, serve

Route = tuple[int, Mapping[str, str], bytes]

_SUBJECTS = ("harbour board", "city council", "ferry operator", "school trust", "river authority",
             "museum director", "library service", "rail company", "festival committee",
             "hospital board", "fire brigade", "port police", "weather office", "farm union")
_VERBS = ("approved", "postponed", "questioned", "announced", "rejected", "praised", "reviewed",
          "funded", "delayed", "extended", "cancelled", "welcomed")
_OBJECTS = ("the new timetable", "a bridge repair", "the winter budget", "a flood barrier",
            "the market lease", "a cycle lane", "the night bus", "a school roof", "the old pier",
            "a ticket price", "the harbour wall", "a housing plan", "the park lights")
_WHEN = ("on Monday", "on Tuesday", "late on Wednesday", "on Thursday morning", "on Friday",
         "at the weekend", "after a long meeting", "before the holidays")


def story(slug: str, title: str = "", canonical: str = "", published: str = "") -> bytes:
    """A page holding one article about `slug`, its sentences drawn by the slug alone."""
    draw = random.Random(slug)
    sentences = [f"The {draw.choice(_SUBJECTS)} {draw.choice(_VERBS)} {draw.choice(_OBJECTS)} "
                 f"{draw.choice(_WHEN)}, {draw.choice(_SUBJECTS)} officials said ({slug})."
                 for _ in range(12)]
    title = title or f"Story {slug}"
    head = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    if published:
        head += f'<meta property="article:published_time" content="{published}">'
    paragraphs = "".join(f"<p>{' '.join(sentences[n:n + 4])}</p>" for n in range(0, 12, 4))
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}"
            f"</title>{head}</head><body><article><h1>{title}</h1>{paragraphs}</article>"
            "</body></html>").encode()


def rss(*links: str) -> bytes:
    """An RSS feed listing `links` (absolute, or `{base}/...`)."""
    items = "".join(f"<item><title>{link}</title><link>{link}</link><guid>{link}</guid></item>"
                    for link in links)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Hostile</title>{items}'
            "</channel></rss>").encode()


HTML = {"Content-Type": "text/html; charset=utf-8"}
XML = {"Content-Type": "application/xml"}


@contextmanager
def serve_routes(routes: Mapping[str, Route], requests: list[str] | None = None,
                 host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `routes` on a loopback `host` (404 elsewhere); yields the base URL. Each request's
    path is appended to `requests` if given."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if requests is not None:
                requests.append(self.path)
            base = f"http://{self.headers['Host']}"
            status, headers, body = routes.get(self.path, (404, {}, b""))
            reply(self, status, body.replace(b"{base}", base.encode()),
                  {name: value.replace("{base}", base) for name, value in headers.items()})

        def log_message(self, *_: object) -> None:
            pass

    with serve(Handler, host) as url:
        yield url


def run_job(es: EsConnection, feeds: list[str] | None = None,
            say: Callable[[str], None] = lambda _: None, **options: Any
            ) -> tuple[Summary, list[dict[str, Any]], list[dict[str, Any]]]:
    """One batch run on fresh indices: its summary, the articles and the dead letters indexed;
    what it says goes to `say`."""
    index = f"test-hostile-{uuid.uuid4().hex[:8]}"
    names = job_aliases(index)
    try:
        summary = lifecycle.run(PipelineOptions(feeds=feeds or [], es_url=es.url,
                                                allow_private_addresses=True, **names,
                                                **options), say=say)
        client = es.client()
        found = []
        for name in (index, names["dead_letter_index"]):
            client.indices.refresh(index=name)
            found.append([hit["_source"] for hit in client.search(
                index=name, size=100)["hits"]["hits"]])
        client.close()
    finally:
        drop_job_aliases(es, index)
    return summary, found[0], found[1]


def write_warc(path: Path, *records: bytes) -> Path:
    """A WARC file of `records` (each a whole uncompressed record), gzipped one by one."""
    path.write_bytes(b"".join(gzip.compress(record) for record in records))
    return path


def warc_file(tmp_path: Path, *records: bytes, reader: ReadWarcRecords | None = None
              ) -> list[object]:
    """What `reader` makes of a WARC file of `records`: pages and tagged dead letters."""
    path = write_warc(tmp_path / "hostile.warc.gz", *records)
    return list((reader or ReadWarcRecords()).process(fileio.ReadableFile(FileMetadata(
        str(path), path.stat().st_size))))


def warc_record(kind: str, uri: str, payload: bytes, date: str = "2026-11-29T10:00:00Z",
                **headers: str) -> bytes:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False, warc_version="WARC/1.1")
    http = (StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            if kind in ("response", "revisit") else None)
    writer.write_record(writer.create_warc_record(
        uri, kind, payload=io.BytesIO(payload), length=len(payload), http_headers=http,
        warc_headers_dict={"WARC-Date": date, **headers}))
    return buffer.getvalue()
