"""Bad sources among `--feeds`: each ends as its own dead letter and the others run."""

from __future__ import annotations

import socket
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.job import feed_lists, lifecycle
from newswire.pipeline.job.pipeline_options import NewswireOptions
from newswire.transforms.fetching.http import FetchError, HttpClient
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.index.client import EsConnection
from newswire.transforms.sources.discover import ANY, FEED
from newswire.transforms.sources.feeds import parse_feed_list
from newswire.transforms.sources.schedule import FeedState, after_poll
from newswire.transforms.sources.settings import PollSettings
from tests.conftest import drop_job_aliases, job_aliases
from tests.loopback import reply, serve

PROSE = " ".join(["The harbour board voted on Tuesday to reopen the old pier market after a"
                  " two-year renovation, and traders said they expected crowds."] * 3)
ARTICLE = f"""<html><head><title>Pier market reopens</title></head><body><article>
<h1>Pier market reopens</h1><p>{PROSE}</p><p>{PROSE}</p></article></body></html>"""
NAVIGATION = """<html><head><title>Empty</title></head><body>
<nav><a href="/">Home</a></nav></body></html>"""


def rss(*links: str) -> bytes:
    items = "".join(f"<item><title>{link}</title><link>{{base}}{link}</link>"
                    f"<guid>{link}</guid></item>" for link in links)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}' \
           f"</channel></rss>".encode()


class Sources(BaseHTTPRequestHandler):
    """A healthy feed (one article, one navigation-only page), a 0-byte feed, and its pages."""

    hits: ClassVar[Counter[str]] = Counter()
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_GET(self) -> None:
        with Sources.lock:
            Sources.hits[self.path] += 1
        base = f"http://{self.headers['Host']}"
        routes = {
            "/feed.xml": ("application/rss+xml",
                          rss("/article.html", "/nav.html").replace(b"{base}", base.encode())),
            "/empty.xml": ("application/rss+xml", b""),
            "/article.html": ("text/html", ARTICLE.encode()),
            "/nav.html": ("text/html", NAVIGATION.encode()),
        }
        if self.path not in routes:
            reply(self, 404, b"", {})
            return
        content_type, body = routes[self.path]
        reply(self, 200, body, {"Content-Type": content_type})

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve(Sources) as url:
        yield url


@pytest.fixture
def refused() -> str:
    """A loopback URL nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


def test_a_refused_connection_is_reported_as_refused_not_timeout(refused: str) -> None:
    client = HttpClient(HttpSettings(allow_private=True, retries=0))
    client.open()
    with pytest.raises(FetchError, match="connection refused"):
        client.get(refused)


def test_an_opml_feed_list_with_a_byte_order_mark_is_read_as_opml(tmp_path: Path) -> None:
    opml = ('<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><body>'
            '<outline text="A" xmlUrl="https://a.example/rss"/></body></opml>')
    assert parse_feed_list("\ufeff" + opml) == ["https://a.example/rss"]
    listed = tmp_path / "feeds.opml"
    listed.write_bytes(b"\xef\xbb\xbf" + opml.encode())
    assert feed_lists.read_sources([str(listed)]).named == (("https://a.example/rss", FEED),)


def test_the_launcher_reads_local_lists_and_asks_no_source(site: str, refused: str,
                                                           tmp_path: Path) -> None:
    """URLs are the job's to read (where the per-host limits hold); a local list is read."""
    Sources.hits.clear()
    listed = tmp_path / "feeds.txt"
    listed.write_text(f"{site}/empty.xml\n{site}/feed.xml\n")
    sources = feed_lists.read_sources([refused, f"{site}/feed.xml", str(listed)])
    assert sources.named == ((refused, ANY), (f"{site}/feed.xml", ANY),
                             (f"{site}/empty.xml", FEED))  # each once, in order
    assert sources.describe() == "1 feed and the feeds found at 2 URLs"
    assert not Sources.hits


def test_an_undated_feed_is_polled_at_the_poll_interval() -> None:
    settings = PipelineOptions(poll_interval=30).view_as(NewswireOptions).settings(PollSettings)
    state = after_poll(FeedState("https://a.example/rss"), 1000.0, settings)
    assert state.next_poll == 1030.0


@pytest.mark.es
@pytest.mark.timeout(120)
def test_bad_sources_are_dead_letters_and_the_good_one_is_indexed(
        es_connection: EsConnection, site: str, refused: str) -> None:
    """A refused feed and a 0-byte feed are feed dead letters with their reasons; the healthy
    feed is fetched once and indexed; its navigation-only page is an extraction dead letter."""
    Sources.hits.clear()
    index = f"test-sources-{uuid.uuid4().hex[:8]}"
    aliases = job_aliases(index)
    options = PipelineOptions(
        feeds=[refused, f"{site}/feed.xml", f"{site}/empty.xml"], es_url=es_connection.url,
        allow_private_addresses=True, **aliases)
    try:
        summary = lifecycle.run(options, say=lambda _: None)
        client = es_connection.client()
        client.indices.refresh(index=aliases["dead_letter_index"])
        letters = [hit["_source"] for hit in client.search(
            index=aliases["dead_letter_index"], size=20)["hits"]["hits"]]
        client.close()
    finally:
        drop_job_aliases(es_connection, index)
    print(summary.render())
    assert (summary.feeds_polled, summary.feeds_failed) == (1, 2)
    assert (summary.entries_seen, summary.created) == (2, 1)
    # the breakdown counts entries, as dead_letters does; the two feeds are feeds_failed
    assert summary.dead_letters_by_stage == {"extract": 1}
    assert summary.balanced
    reasons = {(letter["unit"], letter["url"]): letter["reason"] for letter in letters}
    assert "connection refused" in reasons[("feed", refused)]
    assert "empty" in reasons[("feed", f"{site}/empty.xml")]
    assert "no article text" in reasons[("entry", f"{site}/nav.html")]
    assert Sources.hits["/feed.xml"] == 1  # resolved and polled with one request
    assert Sources.hits["/empty.xml"] == 1
