"""End to end: a whole local run never requests what the site's robots.txt disallows by
RFC 9309's wildcards and `$`, and ends those entries as fetch dead letters."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.job import lifecycle
from newswire.transforms.index.client import EsConnection
from tests.conftest import drop_index
from tests.loopback import reply, serve

pytestmark = pytest.mark.es

ROBOTS = "User-agent: *\nDisallow: /*?print=\nDisallow: /*.pdf$\n"
ALLOWED = ["/story-1.html", "/story-2.html?page=2"]
DISALLOWED = ["/story-3.html?print=1", "/files/report.pdf"]
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
</head><body><article><h1>{title}</h1>
<p>The first paragraph of the story called {title}, long enough to be read as an article.</p>
<p>A second paragraph follows with more detail about what happened and who said what.</p>
<p>The third paragraph closes the story with what is expected to happen next week.</p>
</article></body></html>"""


class Site(BaseHTTPRequestHandler):
    """robots.txt, one feed listing every path above, and a page at any other path; every
    request is counted by path."""

    requested: ClassVar[list[str]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_GET(self) -> None:
        with Site.lock:
            Site.requested.append(self.path)
        base = f"http://{self.headers['Host']}"
        if self.path == "/robots.txt":
            reply(self, 200, ROBOTS.encode(), {"Content-Type": "text/plain"})
        elif self.path == "/feed.xml":
            items = "".join(f"<item><title>Story {i}</title><link>{base}{path}</link>"
                            f"<guid>robots-{i}</guid></item>"
                            for i, path in enumerate(ALLOWED + DISALLOWED))
            feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}' \
                   "</channel></rss>"
            reply(self, 200, feed.encode(), {"Content-Type": "application/rss+xml"})
        else:
            page = PAGE.format(title=f"Story at {self.path}").encode()
            reply(self, 200, page, {"Content-Type": "text/html; charset=utf-8"})

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    Site.requested = []
    with serve(Site) as url:
        yield url


def test_a_job_never_requests_a_page_robots_txt_disallows(
        site: str, es_connection: EsConnection) -> None:
    index = f"test-robots-{uuid.uuid4().hex[:8]}"
    aliases = {"index": index, "dead_letter_index": f"{index}-dead",
               "history_index": f"{index}-history"}
    try:
        summary = lifecycle.run(PipelineOptions(
            feeds=[f"{site}/feed.xml"], es_url=es_connection.url,
            allow_private_addresses=True, **aliases), say=lambda _: None)
    finally:
        for alias in aliases.values():
            drop_index(es_connection, alias)
    assert not set(DISALLOWED) & set(Site.requested)
    assert set(ALLOWED) <= set(Site.requested)
    assert summary.pages_fetched == len(ALLOWED)
    assert summary.dead_letters_by_stage.get("fetch") == len(DISALLOWED)
    assert summary.balanced
