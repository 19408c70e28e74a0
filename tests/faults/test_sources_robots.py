"""A robots.txt listing a hundred sitemaps: only the first `MAX_ROBOTS_SITEMAPS` are asked for
when the run starts (each may hang for `--fetch-timeout`)."""

from __future__ import annotations

from newswire.transforms.fetching.http import HttpSettings
from newswire.transforms.sources.discover import Discoverer
from newswire.transforms.sources.sitemaps import MAX_ROBOTS_SITEMAPS
from tests.faults.hostile import serve_routes


def test_a_robots_txt_of_a_hundred_sitemaps_is_read_to_the_cap() -> None:
    lines = "".join(f"Sitemap: {{base}}/sitemap-{n}.xml\n" for n in range(100))
    routes = {"/robots.txt": (200, {"Content-Type": "text/plain"},
                              f"User-agent: *\nAllow: /\n{lines}".encode())}
    asked: list[str] = []
    said: list[str] = []
    with serve_routes(routes, asked) as site, Discoverer(
            HttpSettings(allow_private=True, retries=0), say=said.append) as discoverer:
        listed, answer = discoverer.resolve(f"{site}/robots.txt")
    assert answer is None
    assert listed == [f"{site}/sitemap-{n}.xml" for n in range(MAX_ROBOTS_SITEMAPS)]
    assert len([path for path in asked if path.startswith("/sitemap-")]) == MAX_ROBOTS_SITEMAPS
    assert said == [f"{site}/robots.txt: {MAX_ROBOTS_SITEMAPS} sitemaps (the first "
                    f"{MAX_ROBOTS_SITEMAPS} of its Sitemap: lines are read)"]
