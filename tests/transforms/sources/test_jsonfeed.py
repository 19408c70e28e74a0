"""JSON Feed 1.0 and 1.1: items into entries, non-feeds refused, and dispatch from feeds.py."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.fetching.http import HttpClient
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.sources.feeds import read_feed
from newswire.transforms.sources.jsonfeed import entries_from_json_feed, is_json_feed

FEED_URL = "https://news.example/feed.json"

# Shaped like the spec's own examples and what Micro.blog and WordPress plugins publish.
JSON_FEED_11 = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Example Wire",
    "home_page_url": "https://news.example/",
    "feed_url": FEED_URL,
    "authors": [{"name": "Desk"}],
    "items": [
        {
            "id": "https://news.example/2026/11/port-strike",
            "url": "https://news.example/2026/11/port-strike",
            "title": "Port strike enters second week",
            "summary": "Dockworkers stay out.",
            "content_html": "<p>Dockworkers stay out.</p>",
            "date_published": "2026-11-20T09:30:00+01:00",
            "date_modified": "2026-11-20T12:00:00Z",
            "authors": [{"name": "Ana Ruiz", "url": "https://news.example/ana"}, {"url": "x"}],
            "tags": ["labour", " ports ", 7, ""],
            "image": "/img/port.jpg",
        },
        {
            "id": "2",
            "external_url": "https://elsewhere.example/story",
            "content_text": "A linked story.",
            "date_published": "2026-11-19t08:00:00.250z",
        },
    ],
}

JSON_FEED_10 = {
    "version": "https://jsonfeed.org/version/1",
    "title": "Old Style",
    "author": {"name": "Feed Owner"},
    "items": [
        {
            "id": 1001,
            "url": "https://old.example/a",
            "title": "Numeric id",
            "content_text": "Body text.",
            "date_modified": "2020-02-01T10:00:00-05:00",
            "author": {"name": "Item Author"},
            "banner_image": "https://old.example/banner.png",
        },
        {"id": "bare", "content_html": "<p>Only what the spec requires.</p>"},
    ],
}


def encode(doc: object) -> bytes:
    return json.dumps(doc).encode()


def test_json_feed_11_items_become_entries() -> None:
    first, second = entries_from_json_feed(encode(JSON_FEED_11), FEED_URL)
    assert first.link == "https://news.example/2026/11/port-strike"
    assert first.entry_id == "https://news.example/2026/11/port-strike"
    assert first.feed_url == FEED_URL and first.feed_title == "Example Wire"
    assert first.title == "Port strike enters second week"
    assert first.summary == "Dockworkers stay out."
    assert first.published == datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc)
    assert first.updated == datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
    assert first.authors == ("Ana Ruiz",)
    assert first.tags == ("labour", "ports")
    assert first.image_url == "https://news.example/img/port.jpg"

    assert second.link == "https://elsewhere.example/story"
    assert second.summary == "A linked story."
    assert second.published == datetime(2026, 11, 19, 8, 0, 0, 250000, tzinfo=timezone.utc)
    assert second.published.tzinfo == timezone.utc
    assert second.updated is None
    assert second.authors == ("Desk",), "items without authors inherit the feed's"


def test_json_feed_10_items_become_entries() -> None:
    first, bare = entries_from_json_feed(encode(JSON_FEED_10), FEED_URL)
    assert first.entry_id == "1001"
    assert first.feed_title == "Old Style"
    assert first.authors == ("Item Author",)
    assert first.summary == "Body text."
    assert first.image_url == "https://old.example/banner.png"
    assert first.published == datetime(2020, 2, 1, 15, 0, tzinfo=timezone.utc), \
        "a lone date_modified stands in for the publication date, as in RSS"
    assert first.updated is None

    assert bare.entry_id == "bare"
    assert (bare.link, bare.title, bare.summary, bare.image_url, bare.tags) == ("", "", "", "", ())
    assert bare.published is None and bare.updated is None
    assert bare.authors == ("Feed Owner",)


def test_missing_and_mistyped_fields_read_as_empty() -> None:
    doc = {"version": "https://jsonfeed.org/version/1.1",
           "items": [{"id": None, "url": 5, "title": ["x"], "date_published": "yesterday",
                      "tags": "not-a-list", "authors": "nobody"}, "not an item"]}
    [entry] = entries_from_json_feed(encode(doc), FEED_URL)
    assert entry.feed_title == ""
    assert (entry.entry_id, entry.link, entry.title) == ("", "", "")
    assert entry.published is None
    assert entry.tags == () and entry.authors == ()


def test_a_feed_without_items_is_empty() -> None:
    assert entries_from_json_feed(b'{"version": "https://jsonfeed.org/version/1"}', FEED_URL) == []


@pytest.mark.parametrize(("document", "message"), [
    (b'{"type": "FeatureCollection", "features": []}', "version None"),
    (b'{"version": "2.0", "items": []}', "version '2.0'"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', "`items` is not a list"),
    (b'[{"id": 1}]', "top level is a list"),
    (b'{"version": ', "invalid JSON"),
    (b'\xff\xfe{', "invalid JSON"),
])
def test_json_that_is_no_json_feed_is_a_clear_error(document: bytes, message: str) -> None:
    with pytest.raises(ValueError, match="not a JSON Feed") as error:
        entries_from_json_feed(document, FEED_URL)
    assert message in str(error.value)


@pytest.mark.parametrize(("content_type", "body", "expected"), [
    ("application/feed+json", b'{"version": "x"}', True),
    ("text/plain", b'\xef\xbb\xbf  \n{"version": "x"}', True),
    ("application/feed+json; charset=utf-8", b"<?xml version='1.0'?><rss/>", False),
    ("application/rss+xml", b"<rss/>", False),
    ("Application/JSON", b"", True),
    ("", b"", False),
])
def test_is_json_feed_trusts_the_body_before_the_media_type(
        content_type: str, body: bytes, expected: bool) -> None:
    assert is_json_feed(content_type, body) is expected


def test_read_feed_dispatches_json_feeds() -> None:
    via_feeds, _ = read_feed(encode(JSON_FEED_11), FEED_URL)
    assert via_feeds == entries_from_json_feed(encode(JSON_FEED_11), FEED_URL)
    with_type, _ = read_feed(encode(JSON_FEED_10), FEED_URL,
                             {"content-type": "application/feed+json"})
    assert [e.entry_id for e in with_type] == ["1001", "bare"]


def test_read_feed_still_reads_xml_labelled_as_json() -> None:
    rss = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>X</title>'
           b"<item><title>A</title><link>https://x.example/a</link></item></channel></rss>")
    [entry], _ = read_feed(rss, FEED_URL, {"content-type": "application/json"})
    assert (entry.link, entry.feed_title) == ("https://x.example/a", "X")


def test_read_feed_refuses_non_feed_json_clearly() -> None:
    with pytest.raises(ValueError, match="not a JSON Feed"):
        read_feed(b'{"status": "ok"}', FEED_URL, {"content-type": "application/json"})


def test_a_served_json_feed_parses_from_its_response(tmp_path: Path) -> None:
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "Loopback",
           "items": [{"id": "a", "url": "{{BASE_URL}}/a.html", "title": "A",
                      "date_published": "2026-11-20T10:00:00Z"}]}
    (tmp_path / "feed.json").write_text(json.dumps(doc))
    client = HttpClient(HttpSettings(allow_private=True))
    with SeedServer(root=tmp_path) as server:
        client.open()
        try:
            response = client.get(server.url("feed.json"))
        finally:
            client.close()
        [entry], _ = read_feed(response.body, response.url, dict(response.headers))
        assert response.content_type == "application/json"
        assert entry.link == server.url("a.html")
        assert entry.feed_title == "Loopback"
