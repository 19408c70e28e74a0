"""Hostile third-party input at each stage's boundary: a date outside Python's range, a feed
nested 100,000 levels deep, a URL `urljoin` refuses. Each costs its own source or entry, as a
dead letter with the reason, and never the run."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineState

from newswire.pipeline.job import lifecycle
from newswire.transforms.dates import parse_datetime
from newswire.transforms.fetching.warc import ENTRY_TYPE
from newswire.transforms.index.client import EsConnection
from newswire.transforms.records import DeadLetter, FeedEntry
from newswire.transforms.sources.feeds import read_feed
from tests.faults.hostile import (
    HTML,
    XML,
    rss,
    run_job,
    serve_routes,
    story,
    warc_file,
    warc_record,
)
from tests.pipeline.job.test_streaming import wait_for

PAST_9999 = "9999-12-31T23:59:59-01:00"  # in UTC, year 10000
BEFORE_1 = "0001-01-01T00:00:00+01:00"  # in UTC, year 0
NESTED = b'{"version": "https://jsonfeed.org/version/1.1", "items": [' + (
    b"[" * 100_000 + b"]" * 100_000 + b"]}")


def json_feed(*items: dict[str, str]) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J",
                       "items": list(items)}).encode()


def urlset(*urls: tuple[str, str]) -> bytes:
    listed = "".join(f"<url><loc>{loc}</loc><lastmod>{lastmod}</lastmod></url>"
                     for loc, lastmod in urls)
    return (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + listed.encode() + b"</urlset>")


@pytest.mark.parametrize("value", [PAST_9999, BEFORE_1, "Fri, 31 Dec 99999999999 23:59:59 -0100"])
def test_a_date_outside_pythons_range_reads_as_no_date(value: str) -> None:
    assert parse_datetime(value) is None


def test_a_json_feed_item_dated_past_9999_is_read_undated() -> None:
    [entry], _ = read_feed(json_feed({"id": "1", "url": "https://a.example/1",
                                      "date_published": PAST_9999}), "https://a.example/feed")
    assert isinstance(entry, FeedEntry) and entry.published is None


def test_a_sitemap_url_modified_in_year_0_is_read_undated() -> None:
    [entry], _ = read_feed(urlset(("https://a.example/1", BEFORE_1)), "https://a.example/s.xml")
    assert isinstance(entry, FeedEntry) and entry.updated is None


def test_an_item_that_cannot_be_read_is_its_own_dead_letter_and_the_rest_are_read() -> None:
    """`urljoin` raises ValueError on an unclosed IPv6 bracket: once the whole feed's end."""
    entries, _ = read_feed(json_feed({"id": "bad", "url": "http://[oops/1"},
                                     {"id": "good", "url": "https://a.example/2"}),
                           "https://a.example/feed")
    letter, entry = entries
    assert isinstance(letter, DeadLetter) and isinstance(entry, FeedEntry)
    assert (letter.stage, letter.unit, letter.url) == ("poll", "entry", "https://a.example/feed")
    assert letter.reason == "unreadable entry: Invalid IPv6 URL"
    assert json.loads(letter.input)["id"] == "bad"
    assert entry.link == "https://a.example/2"


def test_a_warc_record_dated_past_9999_is_read_without_a_fetch_time(tmp_path: Path) -> None:
    [page] = warc_file(tmp_path, warc_record("response", "https://a.example/1", story("1"),
                                             date=PAST_9999))
    assert page.url == "https://a.example/1" and page.fetched_at is None


def test_a_warc_record_that_cannot_be_read_is_its_own_dead_letter(tmp_path: Path) -> None:
    """A metadata record holding no JSON: once the end of the whole file."""
    outputs = warc_file(
        tmp_path,
        warc_record("metadata", "https://a.example/1", b"{not json",
                    **{"Content-Type": ENTRY_TYPE, "WARC-Concurrent-To": "<urn:uuid:x>"}),
        warc_record("response", "https://a.example/2", story("2")))
    letter, page = outputs
    assert isinstance(letter, beam.pvalue.TaggedOutput)
    assert letter.value.reason.startswith("unreadable metadata record: Expecting property name")
    assert page.url == "https://a.example/2"


@pytest.mark.es
@pytest.mark.timeout(300)
def test_hostile_sources_cost_only_themselves(es_connection: EsConnection) -> None:
    """Beside a healthy feed, one of whose items links to a URL no parser reads: a JSON Feed
    dated past 9999, a sitemap dated year 0 that lists such a URL too, a JSON Feed nested
    100,000 levels, a source that redirects to a URL `urljoin` refuses, a feed whose page
    does, and a source named by such a URL. Each bad source or entry is a dead letter; the
    rest is indexed. (The unreadable URLs, listed or named, once ended the whole run where
    entries and sources are keyed by host.)"""
    routes = {
        "/feed.xml": (200, XML, rss("{base}/plain", "{base}/bounce", "http://[oops/item")),
        "/dates.json": (200, {"Content-Type": "application/feed+json"},
                        json_feed({"id": "d", "url": "{base}/dated", "date_published": PAST_9999,
                                   "title": "Dated"})),
        "/sitemap.xml": (200, XML, urlset(("{base}/mapped", BEFORE_1),
                                          ("http://[oops/listed", BEFORE_1))),
        "/nested.json": (200, {"Content-Type": "application/feed+json"}, NESTED),
        "/moved.xml": (301, {"Location": "http://[oops/feed.xml"}, b""),
        "/bounce": (302, {"Location": "http://[oops/page"}, b""),
        **{f"/{slug}": (200, HTML, story(slug)) for slug in ("plain", "dated", "mapped")},
    }
    with serve_routes(routes) as site:
        sources = [f"{site}/{name}" for name in
                   ("feed.xml", "dates.json", "sitemap.xml", "nested.json", "moved.xml")]
        summary, articles, letters = run_job(es_connection, [*sources, "http://[oops"])
    print(summary.render())
    assert sorted(article["url"] for article in articles) == [
        f"{site}/{slug}" for slug in ("dated", "mapped", "plain")]
    reasons = {(letter["unit"], letter["url"]): letter["reason"] for letter in letters}
    assert reasons[("feed", f"{site}/nested.json")].startswith(
        "RecursionError: maximum recursion depth exceeded")
    assert reasons[("feed", f"{site}/moved.xml")] == "Invalid IPv6 URL"
    assert reasons[("entry", f"{site}/bounce")] == "Invalid IPv6 URL"
    assert reasons[("entry", "http://[oops/listed")] == "unparseable URL 'http://[oops/listed'"
    assert reasons[("feed", "http://[oops")] == "unparseable URL 'http://[oops'"
    assert reasons[("entry", f"{site}/feed.xml")] == "entry has no readable link"
    assert (summary.feeds_polled, summary.feeds_failed) == (3, 3)
    assert summary.dead_letters_by_stage == {"fetch": 2, "poll": 1}
    assert summary.balanced


@pytest.mark.es
@pytest.mark.timeout(600)
def test_in_streaming_a_hostile_feed_does_not_fail_the_job(
        es_connection: EsConnection, aliases: dict[str, str]) -> None:
    """The streaming job once went FAILED on either feed, or on the sitemap's unreadable URL;
    now both stories are indexed beside the dead letters, and the job keeps running (Prism)."""
    routes = {
        "/dates.json": (200, {"Content-Type": "application/feed+json"},
                        json_feed({"id": "d", "url": "{base}/dated", "date_published": PAST_9999})),
        "/sitemap.xml": (200, XML, urlset(("{base}/mapped", BEFORE_1),
                                          ("http://[oops/listed", BEFORE_1))),
        "/nested.json": (200, {"Content-Type": "application/feed+json"}, NESTED),
        **{f"/{slug}": (200, HTML, story(slug)) for slug in ("dated", "mapped")},
    }
    client = es_connection.client()

    def count(index: str) -> int:
        try:
            return client.count(index=index)["count"]
        except Exception:  # the index appears with the first write
            return -1

    try:
        with ExitStack() as resources, serve_routes(routes) as site:
            result = lifecycle.start(PipelineOptions(
                ["--streaming"], feeds=[f"{site}/{name}" for name in
                                        ("dates.json", "sitemap.xml", "nested.json")],
                es_url=es_connection.url, allow_private_addresses=True, poll_interval=2.0,
                max_poll_interval=2.0, **aliases), resources, say=lambda _: None)
            try:
                wait_for(lambda: (count(aliases["index"]) == 2
                                  and count(aliases["dead_letter_index"]) >= 1)
                         or result.state == PipelineState.FAILED, 180, "both stories indexed")
                assert result.state != PipelineState.FAILED
            finally:
                lifecycle.cancel(result)  # stops the in-process workers before the job server
    finally:
        client.close()
