"""Fetching article pages: only HTML goes on, decoded with its charset; a page that cannot be
had leaves as a dead letter with the reason."""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Iterator
from typing import ClassVar

import apache_beam as beam
import pytest
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to

from newswire.transforms.fetching.fetch import (
    FetchPages,
    PageFetcher,
    decode_html,
    key_by_slot,
    page_from_response,
)
from newswire.transforms.fetching.http import FetchError, Response
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.records import DEAD_LETTER, FeedEntry
from tests.loopback import QuietHandler, reply, serve


def test_non_html_pages_are_refused() -> None:
    pdf = Response(url="u", status=200, headers={"content-type": "application/pdf"}, body=b"%PDF")
    with pytest.raises(FetchError, match="unsupported content type application/pdf"):
        page_from_response(FeedEntry(link="u", feed_url="f"), pdf)


@pytest.mark.parametrize(("headers", "body", "text"), [
    ({"content-type": "text/html; charset=ISO-8859-1"}, "café".encode("latin-1"), "café"),
    ({"content-type": "text/html"}, b'<meta charset="windows-1252">caf\xe9', "café"),
    ({"content-type": "text/html"}, "café".encode(), "café"),
    ({"content-type": "text/html; charset=bogus"}, "café".encode(), "café"),
])
def test_charsets(headers: dict[str, str], body: bytes, text: str) -> None:
    assert text in decode_html(Response(url="u", status=200, headers=headers, body=body))


def test_the_pages_scheme_is_lower_case() -> None:
    response = Response(url="HTTP://news.example/A", status=200,
                        headers={"content-type": "text/html"}, body=b"<p>x</p>")
    page = page_from_response(FeedEntry(link="u", feed_url="f"), response)
    assert (page.url, page.html) == ("http://news.example/A", "<p>x</p>")


class Site(QuietHandler):
    """Every page is HTML naming its path, but /missing, which is not found, /<status> (a
    3-digit path), answered with that status, and /paper.pdf, a PDF. Its robots.txt disallows
    /private. The times pages were asked at are kept in `asked_at`."""

    robots_status = 200
    robots = b"User-agent: *\nDisallow: /private\n"
    asked_at: ClassVar[list[float]] = []

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            reply(self, self.robots_status, self.robots, {"Content-Type": "text/plain"})
            return
        self.asked_at.append(time.monotonic())
        status = 404 if self.path == "/missing" else 200
        status = int(self.path[1:]) if self.path[1:].isdigit() else status
        kind = "application/pdf" if self.path.endswith(".pdf") else "text/html"
        reply(self, status, f"<html>{self.path}</html>".encode(), {"Content-Type": kind})


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve(Site) as url:
        yield url


# robots.txt is obeyed as test_politeness.py shows; here the pages alone are asked for
SETTINGS = HttpSettings(allow_private=True, retries=0, obey_robots=False)


def test_the_fetcher_gives_the_entrys_page(site: str) -> None:
    fetcher = PageFetcher(SETTINGS)
    fetcher.open()
    try:
        entry = FeedEntry(link=f"{site}/news/a", feed_url=f"{site}/rss")
        page = fetcher.fetch(entry)
        assert (page.entry, page.url, page.html) == (entry, f"{site}/news/a",
                                                     "<html>/news/a</html>")
        with pytest.raises(FetchError, match="http 404"):
            fetcher.fetch(FeedEntry(link=f"{site}/missing", feed_url=f"{site}/rss"))
    finally:
        fetcher.close()


@pytest.mark.parametrize(("path", "lasting"), [
    ("/404", True), ("/410", True), ("/403", True), ("/paper.pdf", True), ("/private", True),
    ("/503", False), ("/429", False), ("/408", False)])
def test_a_failure_that_would_happen_again_is_told_from_one_that_may_pass(
        site: str, path: str, lasting: bool) -> None:
    """A page gone, not HTML or disallowed by robots.txt fails the same way when asked again
    (the crawl state then waits longer); a server error or a refusal to answer now may pass."""
    fetcher = PageFetcher(HttpSettings(allow_private=True, retries=0))
    fetcher.open()
    try:
        with pytest.raises(FetchError) as failed:
            fetcher.fetch(FeedEntry(link=site + path, feed_url=f"{site}/rss"))
        assert failed.value.lasting is lasting
    finally:
        fetcher.close()


class RobotsDown(Site):
    robots_status = 503


def test_a_page_behind_a_robots_txt_that_cannot_be_had_may_be_had_later() -> None:
    fetcher = PageFetcher(HttpSettings(allow_private=True, retries=0))
    fetcher.open()
    try:
        with serve(RobotsDown) as down, pytest.raises(
                FetchError, match=r"robots\.txt unreachable") as failed:
            fetcher.fetch(FeedEntry(link=f"{down}/news/a", feed_url=f"{down}/rss"))
        assert failed.value.lasting is False
    finally:
        fetcher.close()


class Delayed(Site):
    robots = b"User-agent: *\nCrawl-delay: 0.3\n"
    asked_at: ClassVar[list[float]] = []


@pytest.mark.parametrize(("site_class", "spacing"), [(Delayed, 0.3), (Site, 0.0)])
def test_the_fetcher_keeps_a_host_to_its_crawl_delay(site_class: type[Site],
                                                     spacing: float) -> None:
    """Site discovery asks through `PageFetcher.get`: each request waits the Crawl-delay the
    host's robots.txt asks after the one before (it kept only --per-host-delay)."""
    fetcher = PageFetcher(HttpSettings(allow_private=True, retries=0))
    fetcher.open()
    site_class.asked_at.clear()
    try:
        with serve(site_class) as site:
            for path in ("/news/a", "/missing", "/news/b"):  # a failure waits too
                with contextlib.suppress(FetchError):
                    fetcher.get(site + path)
        gaps = [later - earlier for earlier, later in itertools.pairwise(site_class.asked_at)]
        assert len(gaps) == 2 and all(gap >= spacing for gap in gaps), gaps
        assert spacing or max(gaps) < 0.25, gaps
    finally:
        fetcher.close()


def test_a_non_public_address_is_refused_before_robots_txt_is_asked() -> None:
    fetcher = PageFetcher(HttpSettings())
    fetcher.open()
    try:
        with pytest.raises(FetchError, match="non-public address"):
            fetcher.get("http://127.0.0.1:9/a")
        assert len(fetcher.robots) == 0
    finally:
        fetcher.close()


def test_pages_are_keyed_by_their_hosts_slots_in_turn() -> None:
    links = [f"https://news.example/{i}" for i in range(4)] + ["https://other.example/0"]
    entries = [FeedEntry(link=link, feed_url="f") for link in links]
    with beam.Pipeline(runner=FnApiRunner()) as pipeline:
        keys = (pipeline | beam.Create(entries) | key_by_slot(2)
                | beam.Map(lambda keyed: keyed[0].rsplit("#", 1)[0]))
        assert_that(keys, equal_to(["news.example"] * 4 + ["other.example"]))


def test_fetched_pages_go_on_and_failures_leave_as_dead_letters(site: str) -> None:
    entries = [FeedEntry(link=f"{site}/news/{i}", feed_url=f"{site}/rss") for i in range(3)]
    entries.append(FeedEntry(link=f"{site}/missing", feed_url=f"{site}/rss"))
    with beam.Pipeline(runner=FnApiRunner()) as pipeline:
        fetched = (pipeline | beam.Create(entries) | key_by_slot(2)
                   | beam.ParDo(FetchPages(SETTINGS)).with_outputs(DEAD_LETTER, main="pages"))
        assert_that(fetched.pages | "Urls" >> beam.Map(lambda page: page.url),
                    equal_to([entry.link for entry in entries[:3]]), label="pages")
        assert_that(fetched[DEAD_LETTER] | beam.Map(
            lambda letter: (letter.url, letter.reason, letter.lasting)),
            equal_to([(f"{site}/missing", "http 404", True)]), label="letters")
