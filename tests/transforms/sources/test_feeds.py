"""Feed lists and feed parsing, on the corpus's RSS, Atom and RDF feeds."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.records import FeedEntry
from newswire.transforms.sources.feeds import parse_feed_list, read_feed


def test_plain_feed_list_skips_comments_and_blanks() -> None:
    text = "# world\nhttps://a.example/rss\n\n  https://b.example/atom  # busy\n"
    assert parse_feed_list(text) == ["https://a.example/rss", "https://b.example/atom"]


def test_opml_feed_list_reads_nested_outlines() -> None:
    opml = """<?xml version="1.0"?><opml version="2.0"><body>
      <outline text="News"><outline text="A" xmlUrl="https://a.example/rss"/></outline>
      <outline text="B" type="rss" xmlUrl="https://b.example/feed"/>
      <outline text="folder only"/></body></opml>"""
    assert parse_feed_list(opml) == ["https://a.example/rss", "https://b.example/feed"]


def test_broken_opml_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="neither OPML nor plain text"):
        parse_feed_list("<opml><body><outline")


def test_the_corpus_feed_lists_agree(corpus: Path, seed_server: SeedServer) -> None:
    opml = seed_server.body(corpus / "feeds.opml").decode()
    text = seed_server.body(corpus / "feeds.txt").decode()
    assert parse_feed_list(opml) == parse_feed_list(text)
    assert len(parse_feed_list(opml)) == 6


def test_every_corpus_feed_parses_to_its_manifest_entries(
        corpus: Path, seed_server: SeedServer, manifest: dict) -> None:
    expected: dict[str, list[str]] = defaultdict(list)
    for row in manifest["entries"]:
        expected[row["feed"]].append(row["link"].replace("{{BASE_URL}}", seed_server.base_url))
    formats = set()
    for feed, links in expected.items():
        path = corpus / feed
        entries, _ = read_feed(seed_server.body(path), seed_server.url(feed))
        assert [e.link for e in entries] == links, feed
        assert all(e.title and e.published for e in entries), feed
        formats.add(path.suffix)
    assert formats >= {".xml", ".rdf"}


def test_rss_media_and_creators_are_read(corpus: Path, seed_server: SeedServer) -> None:
    feed = corpus / "northwind-herald" / "rss" / "world.xml"
    entries, _ = read_feed(seed_server.body(feed), seed_server.url("x"))
    with_images = [e for e in entries if e.image_url]
    assert with_images and all(e.image_url.startswith("https://") for e in with_images)
    assert any(e.image_credit for e in with_images)
    assert any(e.authors for e in entries)
    assert entries[0].feed_title.startswith("Northwind Herald")


def test_atom_dates_are_utc(corpus: Path, seed_server: SeedServer) -> None:
    entries, _ = read_feed(seed_server.body(corpus / "meridian-wire" / "atom.xml"), "u")
    assert all(e.published.utcoffset().total_seconds() == 0 for e in entries)


def test_a_page_that_is_not_a_feed_is_refused() -> None:
    with pytest.raises(ValueError, match="not a feed"):
        read_feed(b"<html><body><p>hello</p></body>", "https://x.example/")


WRAPPED = "\n  https://x.example/news/a b.html\n"  # a link as some feeds write it
SOURCES = {
    "rss": b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item>'
           b"<title>A</title><link>" + WRAPPED.encode() + b"</link></item></channel></rss>",
    "sitemap": b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/'
               b'0.9"><url><loc>' + WRAPPED.encode() + b"</loc></url></urlset>",
    "json feed": json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "a", "url": WRAPPED, "image": "http://[oops/a.jpg"}]}).encode(),
}


@pytest.mark.parametrize("kind", SOURCES)
def test_a_link_is_read_as_a_browser_reads_it(kind: str) -> None:
    """A link with a space was refused as unsafe when fetched, and a JSON Feed item whose image
    address no parser reads was a dead letter; a browser fetches the one and skips the other."""
    [entry], _ = read_feed(SOURCES[kind], "https://x.example/feed")
    assert isinstance(entry, FeedEntry)
    assert entry.link == "https://x.example/news/a%20b.html"
    assert entry.image_url == ""
