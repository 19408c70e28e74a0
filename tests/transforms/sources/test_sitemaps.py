"""Sitemaps: detection, Google News fields, max age, limits, gzip bombs, and polling them."""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from apache_beam.transforms.window import GlobalWindow

from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.records import DEAD_LETTER, FeedEntry
from newswire.transforms.sources.feeds import PollFeeds, PollFeedsOnce, read_feed
from newswire.transforms.sources.settings import PollSettings
from newswire.transforms.sources.sitemaps import (
    INDEX,
    MAX_URLS,
    URLSET,
    ChildSitemap,
    SitemapError,
    SitemapTruncated,
    fresh_children,
    is_robots_txt,
    read_index,
    read_sitemap,
    read_urlset,
    robots_sitemaps,
    sitemap_kind,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
NS = ('xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
      'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9" '
      'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"')


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def news_url(loc: str, title: str, published: datetime, lastmod: datetime | None = None,
             keywords: str = "ports, strikes") -> str:
    return (f"<url><loc>{loc}</loc>"
            + (f"<lastmod>{iso(lastmod)}</lastmod>" if lastmod else "")
            + "<news:news><news:publication><news:name>Harbor Ledger</news:name>"
              "<news:language>en</news:language></news:publication>"
              f"<news:publication_date>{iso(published)}</news:publication_date>"
              f"<news:title>{title}</news:title><news:keywords>{keywords}</news:keywords>"
              "</news:news>"
              "<image:image><image:loc>https://ledger.example/a.jpg</image:loc>"
              "<image:caption>Cranes at dawn</image:caption></image:image></url>")


def urlset(*urls: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {NS}>{"".join(urls)}</urlset>'.encode()


def plain_url(loc: str, lastmod: datetime | None = None) -> str:
    return f"<url><loc>{loc}</loc>" + (f"<lastmod>{iso(lastmod)}</lastmod>" if lastmod else "") \
        + "</url>"


def index(*children: tuple[str, datetime | None]) -> bytes:
    items = "".join(f"<sitemap><loc>{loc}</loc>"
                    + (f"<lastmod>{iso(mod)}</lastmod>" if mod else "") + "</sitemap>"
                    for loc, mod in children)
    return f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}' \
           '</sitemapindex>'.encode()


def test_a_google_news_sitemap_gives_entries_with_what_it_says() -> None:
    published = NOW - timedelta(hours=3)
    modified = NOW - timedelta(hours=1)
    document = urlset(news_url("https://ledger.example/a", "Port strike ends", published,
                               modified))
    [entry] = read_urlset(document, "https://ledger.example/news.xml", now=NOW.timestamp())
    assert entry == FeedEntry(
        link="https://ledger.example/a", feed_url="https://ledger.example/news.xml",
        feed_title="Harbor Ledger", title="Port strike ends", published=published,
        updated=modified, tags=("ports", "strikes"), image_url="https://ledger.example/a.jpg",
        image_caption="Cranes at dawn", language="en", source="sitemap")


def test_gzip_and_plain_read_the_same() -> None:
    document = urlset(plain_url("https://s.example/1", NOW), plain_url("https://s.example/2"))
    plain = read_urlset(document, "u", now=NOW.timestamp())
    assert [e.link for e in plain] == ["https://s.example/1", "https://s.example/2"]
    assert read_urlset(gzip.compress(document), "u", now=NOW.timestamp()) == plain
    assert sitemap_kind(gzip.compress(document)) == URLSET


def test_entries_older_than_the_max_age_are_skipped() -> None:
    document = urlset(plain_url("https://s.example/new", NOW - timedelta(hours=47)),
                      plain_url("https://s.example/old", NOW - timedelta(days=3)),
                      plain_url("https://s.example/undated"),
                      news_url("https://s.example/stale-news", "t", NOW - timedelta(days=5)))
    fresh = read_urlset(document, "u", max_age=2 * 86400, now=NOW.timestamp())
    assert [e.link for e in fresh] == ["https://s.example/new", "https://s.example/undated"]
    week = read_urlset(document, "u", max_age=7 * 86400, now=NOW.timestamp())
    assert len(week) == 4


def test_kinds_are_detected_from_the_content() -> None:
    assert sitemap_kind(urlset()) == URLSET
    assert sitemap_kind(index()) == INDEX
    assert sitemap_kind(b"<?xml version='1.0'?><!-- x --><rss version='2.0'/>") is None
    assert sitemap_kind(b'{"version": "https://jsonfeed.org/version/1.1"}') is None
    assert sitemap_kind(b"<urlset><url>") == URLSET  # broken later: the read says why
    assert sitemap_kind(b"\x1f\x8bnot gzip at all") is None
    assert is_robots_txt("User-agent: *\nDisallow: /private\nSitemap: https://a/s.xml\n")
    assert not is_robots_txt("https://a.example/feed.xml\n# a feed list\n")


def test_robots_txt_sitemap_lines() -> None:
    robots = ("User-agent: *\nDisallow:\nSitemap: https://a.example/news.xml\n"
              "sitemap:https://a.example/index.xml.gz\nSITEMAP: https://a.example/news.xml\n")
    assert robots_sitemaps(robots) == ["https://a.example/news.xml",
                                       "https://a.example/index.xml.gz"]


def test_an_index_is_followed_only_into_fresh_children() -> None:
    document = index(("https://a.example/s1.xml", NOW - timedelta(hours=2)),
                     ("https://a.example/s2.xml", NOW - timedelta(days=30)),
                     ("https://a.example/s3.xml", None))
    children = read_index(document)
    assert children[0] == ChildSitemap("https://a.example/s1.xml", NOW - timedelta(hours=2))
    assert fresh_children(children, 2 * 86400, NOW.timestamp()) == [
        "https://a.example/s1.xml", "https://a.example/s3.xml"]


def test_a_polled_index_is_refused_as_nested() -> None:
    with pytest.raises(SitemapError, match="nested"):
        read_sitemap(index(("https://a.example/s1.xml", None)), "u")


def test_more_urls_than_the_protocol_allows_keeps_the_first_50000() -> None:
    document = urlset(*(plain_url(f"https://s.example/{n}") for n in range(MAX_URLS + 2)))
    with pytest.raises(SitemapTruncated,
                       match="lists 50002 URLs, more than the protocol's 50000") as cut:
        read_urlset(document, "u")
    assert [e.link for e in cut.value.entries] == [f"https://s.example/{n}"
                                                   for n in range(MAX_URLS)]
    assert len(read_urlset(urlset(*(plain_url(f"https://s.example/{n}")
                                    for n in range(MAX_URLS))), "u")) == MAX_URLS


def test_a_gzip_bomb_stops_at_the_cap_while_decompressing() -> None:
    # 200 MB of well-formed padding elements compresses to under 2 MB
    squeeze = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [squeeze.compress(f"<urlset {NS}>".encode())]
    block = b"".join(b'<pad a="' + b"a" * 1000 + b'"/>' for _ in range(1024))
    parts += [squeeze.compress(block) for _ in range(200)]
    parts.append(squeeze.flush())
    bomb = b"".join(parts)
    assert len(bomb) < 2 * 1024 * 1024  # a ratio over 100
    tracemalloc.start()
    try:
        with pytest.raises(SitemapError, match="exceeds 50 MB uncompressed"):
            read_urlset(bomb, "u")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024 * 1024  # never the whole expansion in memory at once


def test_entities_are_not_resolved() -> None:
    document = (b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM '
                b'"file:///etc/hostname">]>' + urlset(plain_url("https://s.example/&x;"))
                .split(b"\n", 1)[1])
    entries = read_urlset(document, "u")
    assert all(Path("/etc/hostname").read_text().strip() not in e.link for e in entries)


def test_broken_xml_is_a_clear_error() -> None:
    with pytest.raises(SitemapError, match="not well-formed"):
        read_urlset(urlset(plain_url("https://s.example/1"))[:-12], "u")


def test_read_feed_reads_a_sitemap_too() -> None:
    document = urlset(news_url("https://ledger.example/a", "T", NOW - timedelta(hours=1)))
    entries, declared = read_feed(document, "https://ledger.example/news.xml",
                                  {"content-type": "application/xml"}, now=NOW.timestamp())
    assert [e.title for e in entries] == ["T"] and declared is None


class FakeState:
    """A ReadModifyWriteState for calling the DoFn directly."""

    def __init__(self) -> None:
        self.value: Any = None

    def read(self) -> Any:
        return self.value

    def write(self, value: Any) -> None:
        self.value = value


def test_a_polled_sitemap_gives_only_new_or_changed_locs(
        tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Polled like a feed, over real HTTP: conditional GET, then only what moved by lastmod."""
    monkeypatch.setattr(PollFeeds, "PATIENCE", 30.0)  # each tick waits for its answer
    now = time.time()
    recent = datetime.fromtimestamp(now - 3600, tz=timezone.utc)
    sitemap = tmp_path / "news.xml"

    def write(*urls: str) -> None:
        sitemap.write_bytes(urlset(*urls))

    write(plain_url("{{BASE_URL}}/a.html", recent), plain_url("{{BASE_URL}}/b.html", recent))
    clock = [now]
    poller = PollFeeds(HttpSettings(allow_private=True),
                       PollSettings(min_interval=1, max_interval=60), clock=lambda: clock[0])
    poller.setup()
    state = FakeState()
    try:
        with SeedServer(tmp_path) as server:
            url = server.url("news.xml")

            def poll() -> list[str]:
                clock[0] += 100  # always due
                poller.start_bundle()
                return [e.link.removeprefix(server.base_url) for e in
                        poller.process((url, url), feed=state, collect=None)
                        if isinstance(e, FeedEntry)]

            assert poll() == ["/a.html", "/b.html"]
            assert poll() == []  # 304: nothing parsed, nothing emitted
            assert state.value.etag
            later = datetime.fromtimestamp(now - 60, tz=timezone.utc)
            write(plain_url("{{BASE_URL}}/a.html", recent), plain_url("{{BASE_URL}}/b.html", later),
                  plain_url("{{BASE_URL}}/c.html", recent))
            assert poll() == ["/b.html", "/c.html"]
    finally:
        poller.teardown()


def test_a_polled_sitemap_over_the_limit_gives_its_first_entries_and_one_dead_letter(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("newswire.transforms.sources.sitemaps.MAX_URLS", 3)
    recent = datetime.fromtimestamp(time.time() - 3600, tz=timezone.utc)
    (tmp_path / "big.xml").write_bytes(urlset(*(plain_url(f"{{{{BASE_URL}}}}/{n}.html", recent)
                                                for n in range(5))))
    poller = PollFeedsOnce(HttpSettings(allow_private=True))
    poller.setup()
    try:
        with SeedServer(tmp_path) as server:
            url = server.url("big.xml")
            poller.start_bundle()
            out = [*poller.process(("host#0", url), window=GlobalWindow(), timestamp=0,
                                   fetched_by=None), *poller.finish_bundle()]
    finally:
        poller.teardown()
    entries = [o.value.link.removeprefix(server.base_url) for o in out
               if isinstance(o.value, FeedEntry)]
    letters = [o.value.value for o in out if getattr(o, "tag", None) == DEAD_LETTER]
    assert entries == ["/0.html", "/1.html", "/2.html"]
    assert [(d.unit, d.url, d.reason) for d in letters] == [
        ("feed", url, "sitemap lists 5 URLs, more than the protocol's 3: only the first 3 URLs "
                      "were read")]
