"""Which story a page is: distinct stories addressed by a query parameter stay distinct, and a
page's canonical URL decides its identity only within its own site."""

from __future__ import annotations

import pytest

from newswire.schemas.article import document_id
from newswire.transforms.index.client import EsConnection
from tests.faults.hostile import HTML, XML, rss, run_job, serve_routes, story

QUERY_ADDRESSED = ("/view?story=1", "/view?story=2", "/article.aspx?articleid=31",
                   "/article.aspx?articleid=32", "/news.php?nid=41", "/news.php?nid=42")


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


@pytest.mark.es
@pytest.mark.timeout(300)
def test_a_page_naming_another_sites_story_canonical_does_not_take_it_over(
        es_connection: EsConnection) -> None:
    """Site B (127.0.0.2) serves a later page naming site A's story as canonical: once it
    replaced A's article, content and URL, as an "update". A's article stays A's; B's page
    is indexed under its own URL, keeping what it claimed."""
    a_routes = {"/feed.xml": (200, XML, rss("{base}/view?story=1"))}
    b_routes = {"/feed.xml": (200, XML, rss("{base}/copy?story=1"))}
    with serve_routes(a_routes) as site_a, serve_routes(b_routes, host="127.0.0.2") as site_b:
        original, claim = f"{site_a}/view?story=1", f"{site_b}/copy?story=1"
        a_routes["/view?story=1"] = (200, HTML, story(
            "original", title="The original", canonical=original,
            published="2026-11-30T08:00:00Z"))
        b_routes["/copy?story=1"] = (200, HTML, story(
            "impostor", title="The impostor", canonical=original,
            published="2026-11-30T09:00:00Z"))
        summary, articles, _ = run_job(es_connection, [f"{site_a}/feed.xml",
                                                       f"{site_b}/feed.xml"])
    print(summary.render())
    by_id = {article["id"]: article for article in articles}
    assert by_id[document_id(original)]["title"] == "The original"
    assert by_id[document_id(original)]["url"] == original
    impostor = by_id[document_id(claim)]
    assert (impostor["title"], impostor["url"], impostor["canonical_url"]) == (
        "The impostor", claim, original)
    assert (summary.created, summary.updated, summary.duplicates_dropped) == (2, 0, 0)
