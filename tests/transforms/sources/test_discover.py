"""Sites as sources: feeds from <link rel="alternate">, sitemaps from robots.txt, and runs of
`--feeds ROBOTS_TXT` and `--feeds HOMEPAGE` into the real node."""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline import cli
from newswire.pipeline.job import feed_lists, lifecycle
from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.index.client import EsConnection
from newswire.transforms.sources.discover import (
    READER,
    Discoverer,
    RediscoverSources,
    Site,
    alternate_feeds,
    opml,
)
from newswire.transforms.sources.feeds import parse_feed_list
from tests.conftest import drop_job_aliases, job_aliases
from tests.transforms.sources.test_sitemaps import FakeState, index, news_url, plain_url, urlset

FEED = "reuters/rss/world.xml"
QUIET_PAGE = "sitemap-only/harbor-dredging-resumes.html"
QUIET_HTML = """<!doctype html><html><head><meta charset="utf-8"></head><body><main>
<p>Dredging of the outer harbor channel resumed on Monday after a three-week pause for
repairs to the main suction pipe, port officials said in a statement.</p>
<p>The work deepens the channel to fourteen metres so that larger container ships can reach
the eastern berths at any tide, a project first approved four years ago.</p>
<p>Officials said the pause would not push back the planned completion date next spring,
because crews will now work through the weekends until the end of the month.</p>
</main></body></html>"""


def homepage_html(feed: str) -> str:
    return f"""<!doctype html><html><head><title>Harbor Ledger</title>
<link rel="alternate" type="application/rss+xml" title="World" href="/{feed}">
<link rel="stylesheet" href="/style.css"><link rel="alternate" hreflang="es" href="/es/">
</head><body><h1>Harbor Ledger</h1></body></html>"""


@dataclass
class World:
    """The corpus server with a site on top: robots.txt, a sitemap index, sitemaps, homepage."""

    server: SeedServer
    news: list[str]  # the URLs the fresh news sitemap lists and that should be ingested
    published: datetime  # the publication date the news sitemap gives them

    @property
    def robots(self) -> str:
        return self.server.url("robots.txt")


@pytest.fixture(scope="module")
def world(corpus: Path, manifest: dict, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[World]:
    overlay = tmp_path_factory.mktemp("site")
    with SeedServer(corpus) as server:
        server.add_overlay(overlay)
        base = server.base_url
        indexed = [row for row in manifest["entries"] if row["outcome"] == "indexed"]
        picked = [indexed[0]["link"], indexed[-1]["link"]]
        news = [link.replace("{{BASE_URL}}", base) for link in picked] + [f"{base}/{QUIET_PAGE}"]
        now = datetime.now(timezone.utc)
        fresh = now - timedelta(hours=2)
        (overlay / "sitemaps").mkdir()
        (overlay / "sitemaps" / "news.xml.gz").write_bytes(gzip.compress(urlset(
            news_url(news[0], "Sitemap title one", fresh, fresh),
            news_url(news[1], "Sitemap title two", fresh, fresh),
            news_url(news[2], "Harbor dredging resumes", fresh, fresh, keywords="port"),
            plain_url(f"{base}/stale/old-story.html", now - timedelta(days=5)))))
        (overlay / "sitemaps" / "archive.xml").write_bytes(urlset(
            plain_url(f"{base}/{FEED}")))  # modified long ago: must not be followed
        (overlay / "sitemaps" / "index.xml").write_bytes(index(
            (f"{base}/sitemaps/news.xml.gz", now - timedelta(hours=1)),
            (f"{base}/sitemaps/archive.xml", now - timedelta(days=40))))
        (overlay / "robots.txt").write_text(
            "User-agent: *\nDisallow: /private/\nSitemap: {{BASE_URL}}/sitemaps/index.xml\n")
        (overlay / QUIET_PAGE).parent.mkdir(parents=True)
        (overlay / QUIET_PAGE).write_text(QUIET_HTML)
        (overlay / "index.html").write_text(homepage_html(FEED))
        (overlay / "mislabelled-feed.html").write_text((corpus / FEED).read_text())
        yield World(server, news, fresh)


def test_alternate_links_give_absolute_feed_urls() -> None:
    html = b"""<html><head><base href="https://a.example/news/">
    <link rel="alternate" type="application/rss+xml" href="rss.xml">
    <link rel="Alternate Feed" type="application/atom+xml; charset=utf-8" href="/atom">
    <link rel="alternate" type="application/feed+json" href="https://b.example/feed.json">
    <link rel="alternate" type="text/html" hreflang="de" href="/de/">
    <link rel="alternate" type="application/rss+xml" href="rss.xml">
    <link rel="stylesheet" type="application/rss+xml" href="nope.xml"></head></html>"""
    assert alternate_feeds(html, "https://a.example/") == [
        "https://a.example/news/rss.xml", "https://a.example/atom", "https://b.example/feed.json"]
    assert alternate_feeds(b"", "https://a.example/") == []


def test_a_feed_link_no_parser_reads_costs_only_itself() -> None:
    """`urljoin` raised on one such link (or the page's <base>), and the whole site's
    discovery failed with it."""
    html = b"""<html><head><base href="http://[oops/">
    <link rel="alternate" type="application/rss+xml" href="http://[oops/rss.xml">
    <link rel="alternate" type="application/rss+xml" href="/rss.xml"></head></html>"""
    assert alternate_feeds(html, "https://a.example/news/") == ["https://a.example/rss.xml"]


def test_opml_from_discovery_is_a_feed_list() -> None:
    sites = [Site("https://a.example/", ("https://a.example/rss?x=1&y=2",),
                  ("https://a.example/news.xml",))]
    assert parse_feed_list(opml(sites)) == ["https://a.example/rss?x=1&y=2",
                                            "https://a.example/news.xml"]


def test_sources_by_kind(world: World) -> None:
    server = world.server
    said: list[str] = []
    settings = HttpSettings(allow_private=True)
    with Discoverer(settings, say=said.append) as discoverer:
        assert discoverer.sources(world.robots) == [server.url("sitemaps/news.xml.gz")]
        assert discoverer.sources(server.url("sitemaps/index.xml")) == [
            server.url("sitemaps/news.xml.gz")]
        assert discoverer.sources(server.url("sitemaps/news.xml.gz")) == [
            server.url("sitemaps/news.xml.gz")]
        assert discoverer.sources(server.url("index.html")) == [
            server.url(FEED), server.url("sitemaps/news.xml.gz")]
        assert discoverer.sources(server.url(FEED)) == [server.url(FEED)]
        mislabelled = server.url("mislabelled-feed.html")  # served as text/html
        assert discoverer.sources(mislabelled) == [mislabelled]
        assert len(discoverer.sources(server.url("feeds.opml"))) == 6
        assert len(discoverer.sources(server.url("feeds.txt"))) == 6
        with pytest.raises(ValueError, match="http 404"):
            discoverer.sources(server.url("nowhere.xml"))
    assert f"{world.robots}: 1 sitemaps" in said
    assert any(line.startswith(server.url("index.html")) and "1 feeds" in line for line in said)
    assert any("sitemap index, 1 of 2 sitemaps" in line for line in said)


def test_discover_command_prints_and_writes_opml(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    server = world.server
    target = tmp_path / "found.opml"
    code = cli.main(["discover", server.url("index.html"), server.url("nowhere.html"),
                     "--opml", str(target), "--allow-private-addresses"])
    captured = capsys.readouterr()
    assert code == 1  # one site could not be read, and said so in one line
    assert captured.err.count("newswire: cannot read") == 1
    assert f"  feed     {server.url(FEED)}" in captured.out
    assert f"  sitemap  {server.url('sitemaps/index.xml')}" in captured.out
    assert parse_feed_list(target.read_text()) == [server.url(FEED),
                                                   server.url("sitemaps/index.xml")]


@pytest.mark.es
def test_a_robots_txt_run_ingests_its_news_sitemaps(
        world: World, es_connection: EsConnection) -> None:
    index_name = f"test-sitemap-{uuid.uuid4().hex[:8]}"
    said: list[str] = []
    try:
        summary = lifecycle.run(PipelineOptions(
            feeds=[world.robots], es_url=es_connection.url, allow_private_addresses=True,
            **job_aliases(index_name)), say=said.append)
        assert summary.feeds_polled == 1
        # robots.txt lists the index; the index lists two sitemaps, one older than --max-age
        assert (summary.sources_read, summary.sources_listed, summary.sitemaps_too_old) == (
            2, 2, 1)
        assert summary.entries_seen == 3
        assert summary.sitemap_entries_too_old == 1
        assert summary.created == 3 and summary.balanced
        client = es_connection.client()
        try:
            client.indices.refresh(index=index_name)
            quiet, listed = (
                client.search(index=index_name, query={"term": {"url": url}})
                ["hits"]["hits"][0]["_source"] for url in (world.news[2], world.news[0]))
        finally:
            client.close()
    finally:
        drop_job_aliases(es_connection, index_name)
    assert quiet["title"] == "Harbor dredging resumes"
    assert quiet["outlet"] == "Harbor Ledger"
    assert quiet["language"] == "en"
    assert datetime.fromisoformat(quiet["published_at"]) == world.published
    assert {quiet["provenance"][f] for f in ("title", "outlet", "published_at", "language")} \
        == {"sitemap"}
    assert quiet["source_feed"] == world.server.url("sitemaps/news.xml.gz")
    # the page's own metadata wins where it has some
    assert listed["title"] != "Sitemap title one" and listed["provenance"]["title"] != "sitemap"
    assert said[0].startswith("polling the feeds found at 1 URL into ")
    assert "sources read        2  (listing 2 feeds and sitemaps; 1 sitemaps of an index older " \
        "than --max-age left out)" in summary.render()


@pytest.mark.es
def test_a_homepage_run_ingests_its_feeds_and_sitemaps(
        world: World, es_connection: EsConnection, manifest: dict) -> None:
    index_name = f"test-site-{uuid.uuid4().hex[:8]}"
    said: list[str] = []
    feed_rows = [row for row in manifest["entries"] if row["feed"] == FEED]
    try:
        summary = lifecycle.run(PipelineOptions(
            feeds=[world.server.url("index.html")], es_url=es_connection.url,
            allow_private_addresses=True, **job_aliases(index_name)), say=said.append)
    finally:
        drop_job_aliases(es_connection, index_name)
    assert summary.feeds_polled == 2  # the feed it links to, and the fresh news sitemap
    # the homepage (its feed, its robots.txt's index) and the index (one fresh sitemap)
    assert (summary.sources_read, summary.sources_listed) == (2, 3)
    assert summary.entries_seen == len(feed_rows) + 3
    assert summary.balanced
    assert summary.indexed >= 3


def test_a_streaming_run_reads_its_indexes_again_and_polls_new_children(tmp_path: Path) -> None:
    recent = datetime.now(timezone.utc) - timedelta(hours=1)
    sitemap_index = tmp_path / "index.xml"
    sitemap_index.write_bytes(index(("{{BASE_URL}}/s1.xml", recent)))
    clock = [datetime.now(timezone.utc).timestamp()]
    with SeedServer(tmp_path) as server:
        url, s1, s2 = (server.url(name) for name in ("index.xml", "s1.xml", "s2.xml"))
        feed = server.url("feed.xml")
        settings = HttpSettings(allow_private=True)
        sources = feed_lists.read_sources([url, feed])
        rediscover = RediscoverSources(sources.named, settings, every=600,
                                       clock=lambda: clock[0], patience=30)
        rediscover.setup()
        current, due = FakeState(), FakeState()

        def read(n: int) -> list[tuple[str, Any]]:
            return list(rediscover.process((READER, n), current, due))

        def tick(n: int) -> list[str]:
            return [url for url, _ in read(n)]

        try:
            first = read(0)  # read on the workers' first tick
            assert [url for url, _ in first] == [s1, feed]
            # the feed's answer goes with it, for its first poll; the index's child is polled
            assert first[0][1] is None and first[1][1].reason == "http 404"
            # a tick of another bundle, run before that read's state is its own, polls them too
            lagging = rediscover.process((READER, 1), FakeState(), FakeState())
            assert [url for url, _ in lagging] == [s1, feed]
            sitemap_index.write_bytes(index(("{{BASE_URL}}/s1.xml", recent),
                                            ("{{BASE_URL}}/s2.xml", recent)))
            assert tick(1) == [s1, feed]  # not due yet
            clock[0] += 600
            assert tick(2) == [s1, s2, feed]
            sitemap_index.unlink()  # a 404 keeps what the index gave last
            clock[0] += 600
            assert tick(3) == [s1, s2, feed]
            assert all(answer is None for _, answer in read(4))
            # a worker taking the key over goes on from its state: nothing is read again
            rediscover = RediscoverSources(sources.named, settings, every=600,
                                           clock=lambda: clock[0], patience=30)
            rediscover.setup()
            assert read(5) == [(s1, None), (s2, None), (feed, None)]
        finally:
            rediscover.teardown()
