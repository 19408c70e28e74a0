"""Which story a page is: distinct stories addressed by a query parameter stay distinct, and a
page's canonical URL decides its identity only within its own site."""

from __future__ import annotations

import pytest

from newswire.transforms.fetching.urls import canonical_url
from newswire.transforms.index.client import EsConnection
from tests.faults.hostile import HTML, XML, rss, run_job, serve_routes, story

QUERY_ADDRESSED = ("/view?story=1", "/view?story=2", "/article.aspx?articleid=31",
                   "/article.aspx?articleid=32", "/news.php?nid=41", "/news.php?nid=42")


def test_only_tracking_parameters_are_removed() -> None:
    assert canonical_url("HTTP://News.Example:80/news.php?nid=41&utm_source=rss&FBCLID=x"
                         "&gclid=y&page=2#comments") == "http://news.example/news.php?nid=41&page=2"
    assert canonical_url("https://news.example/view?story=1") != canonical_url(
        "https://news.example/view?story=2")


@pytest.mark.es
@pytest.mark.timeout(300)
def test_stories_addressed_by_a_query_parameter_are_all_indexed(
        es_connection: EsConnection) -> None:
    """Six stories, each naming itself as canonical: once 3 indexed and 3 dropped as
    duplicates of the others."""
    routes = {"/feed.xml": (200, XML, rss(*(f"{{base}}{path}" for path in QUERY_ADDRESSED)))}
    for path in QUERY_ADDRESSED:
        routes[path] = (200, HTML, story(path, canonical=f"{{base}}{path}"))
    with serve_routes(routes) as site:
        summary, articles, _ = run_job(es_connection, [f"{site}/feed.xml"])
    print(summary.render())
    assert sorted(article["canonical_url"] for article in articles) == sorted(
        f"{site}{path}" for path in QUERY_ADDRESSED)
    assert (summary.created, summary.duplicates_dropped, summary.dead_letters) == (6, 0, 0)
    assert summary.balanced
