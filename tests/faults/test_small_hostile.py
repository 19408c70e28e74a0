"""Small things hostile input showed: an upper-case scheme, and IPv6 in the credentials advice."""

from __future__ import annotations

import pytest

from newswire.transforms.index.client import EsConnection
from tests.faults.hostile import HTML, XML, run_job, serve_routes, story


def test_the_credentials_advice_keeps_an_ipv6_hosts_brackets() -> None:
    """It said "give http://::1:9200", which is no URL."""
    with pytest.raises(ValueError, match=r"give http://\[::1\]:9200 and set") as refused:
        EsConnection("http://elastic:s3cr3t@[::1]:9200")
    assert "s3cr3t" not in str(refused.value)


@pytest.mark.es
@pytest.mark.timeout(300)
def test_a_link_with_an_upper_case_scheme_is_indexed(es_connection: EsConnection) -> None:
    """`HTTP://...` in a sitemap failed the article schema's URL pattern (a validate dead
    letter); feed readers had resolved it already."""
    routes = {"/shouted": (200, HTML, story("shouted"))}
    with serve_routes(routes) as site:
        shouted = site.replace("http://", "HTTP://") + "/shouted"
        routes["/feed.xml"] = (200, XML, b'<urlset xmlns="http://www.sitemaps.org/schemas/'
                               b'sitemap/0.9"><url><loc>' + shouted.encode() + b"</loc></url>"
                               b"</urlset>")
        summary, articles, letters = run_job(es_connection, [f"{site}/feed.xml"])
    assert [article["url"] for article in articles] == [f"{site}/shouted"]
    assert letters == [] and summary.created == 1
