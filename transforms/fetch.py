"""Fetching article pages: only HTML goes on, decoded with the charset the page declares."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.http import FetchError, HttpClient, HttpSettings, Response
from transforms.records import DEAD_LETTER, DeadLetter, FeedEntry, Page

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)


def decode_html(response: Response) -> str:
    """The page text: header charset, else the `<meta charset>`, else UTF-8 (lossy)."""
    declared = response.charset
    if not declared and (match := _META_CHARSET.search(response.body[:4096])):
        declared = match[1].decode("ascii")
    try:
        return response.body.decode(declared or "utf-8", errors="replace")
    except LookupError:
        return response.body.decode("utf-8", errors="replace")


def page_from_response(entry: FeedEntry, response: Response) -> Page:
    """A Page from a response; raises FetchError for anything that is not an HTML page."""
    if response.content_type and response.content_type not in HTML_TYPES:
        raise FetchError(f"unsupported content type {response.content_type}")
    return Page(
        entry=entry,
        url=response.url,
        html=decode_html(response),
        fetched_at=datetime.now(timezone.utc),
        etag=response.headers.get("etag", ""),
        last_modified=response.headers.get("last-modified", ""),
    )


class FetchPages(beam.DoFn):
    """Fetches each entry's page; failures leave as dead letters with the reason."""

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self.fetched = Metrics.counter("newswire", "pages_fetched")
        self.failed = Metrics.counter("newswire", "pages_failed")

    def setup(self) -> None:
        self.client = HttpClient(self.settings)
        self.client.open()

    def teardown(self) -> None:
        self.client.close()

    def process(self, entry: FeedEntry) -> Iterator[Any]:
        try:
            page = page_from_response(entry, self.client.get(entry.link))
        except FetchError as error:
            self.failed.inc()
            yield beam.pvalue.TaggedOutput(
                DEAD_LETTER, DeadLetter.for_entry("fetch", error.reason, entry))
            return
        self.fetched.inc()
        yield page
