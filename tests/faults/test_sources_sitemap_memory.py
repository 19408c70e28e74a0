"""Sitemap bombs: a small gzip that expands to hundreds of thousands of empty elements or
comments (a 1 MB one to 13 million drove a run to 1.85 GB), a `<url>` stuffed with elements,
and 60 MB of whitespace after a few URLs. Memory stays flat, and the URLs before the bomb are
kept."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest

from newswire.transforms.sources.sitemaps import SitemapTruncated, read_urlset

HEAD = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + b"".join(b"<url><loc>https://a.example/%d</loc></url>" % n for n in range(3)))
BOMBS = {"elements": b"<x/>", "comments": b"<!---->"}
COUNT = 800_000  # about 100 MB of parsed elements when they are all kept, seconds to read

# Run apart, so the growth of the peak resident size is this parse's alone: libxml2's nodes
# are C memory, which tracemalloc does not see.
_MEASURE = """
import gzip, json, resource, sys
from newswire.transforms.sources.sitemaps import read_urlset
document = gzip.compress(sys.stdin.buffer.read())
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
entries = read_urlset(document, "https://a.example/sitemap.xml", max_age=1e9)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"entries": len(entries), "grown": peak - before}))
"""


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_a_sitemap_bomb_is_read_in_flat_memory(kind: str) -> None:
    document = HEAD + BOMBS[kind] * COUNT + b"</urlset>"
    assert len(gzip.compress(document)) < 20_000
    measured = json.loads(subprocess.run([sys.executable, "-c", _MEASURE], input=document,
                                         capture_output=True, check=True).stdout)
    assert measured["entries"] == 3
    assert measured["grown"] < 20 * 2**20, f"{measured['grown'] / 2**20:.0f} MB"


def test_a_url_stuffed_with_elements_is_refused_and_the_urls_before_are_kept() -> None:
    document = HEAD + b"<url><loc>https://a.example/z</loc>" + b"<x/>" * 20_000 + b"</url></urlset>"
    with pytest.raises(SitemapTruncated, match="more than 10000 elements") as cut:
        read_urlset(gzip.compress(document), "https://a.example/sitemap.xml", max_age=1e9)
    assert [entry.link for entry in cut.value.entries] == [f"https://a.example/{n}"
                                                           for n in range(3)]


def test_a_whitespace_bomb_keeps_the_urls_read_before_it() -> None:
    document = gzip.compress(HEAD + b" " * (60 * 2**20) + b"</urlset>")
    assert len(document) < 100_000
    with pytest.raises(SitemapTruncated) as cut:
        read_urlset(document, "https://a.example/sitemap.xml", max_age=1e9)
    assert len(cut.value.entries) == 3
