"""The corpus server: placeholders, conditional GET, overlays, and no escape from its root."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from newswire.pipeline.services.seed_server import SeedServer


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_feeds_link_to_the_servers_own_address(seed_server: SeedServer) -> None:
    status, _, body = get(seed_server.url("feeds.opml"))
    assert status == 200
    assert b"{{BASE_URL}}" not in body
    assert seed_server.base_url.encode() in body


def test_etag_and_last_modified_give_304(seed_server: SeedServer) -> None:
    url = seed_server.url("reuters/rss/world.xml")
    _, headers, _ = get(url)
    assert get(url, {"If-None-Match": headers["ETag"]})[0] == 304
    assert get(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert get(url, {"If-None-Match": '"other"'})[0] == 200


def test_missing_files_and_escapes_are_404(seed_server: SeedServer) -> None:
    assert get(seed_server.url("nope.html"))[0] == 404
    assert get(seed_server.url("../../pyproject.toml"))[0] == 404
    assert get(seed_server.url("%2e%2e/%2e%2e/pyproject.toml"))[0] == 404


def test_content_types(seed_server: SeedServer) -> None:
    _, headers, _ = get(seed_server.url("northwind-herald/docs/annual-report.pdf"))
    assert headers["Content-Type"] == "application/pdf"
    _, headers, _ = get(seed_server.url("harbor-gazette/index.rdf"))
    assert headers["Content-Type"].startswith("application/rdf+xml")


def test_an_overlay_replaces_a_page(tmp_path: Path, corpus: Path) -> None:
    (tmp_path / "reuters" / "rss").mkdir(parents=True)
    (tmp_path / "reuters" / "rss" / "world.xml").write_text("<rss>{{BASE_URL}}</rss>")
    with SeedServer(corpus) as server:
        server.add_overlay(tmp_path)
        body = get(server.url("reuters/rss/world.xml"))[2]
        assert body == f"<rss>{server.base_url}</rss>".encode()
        assert get(server.url("feeds.opml"))[0] == 200


@pytest.mark.parametrize("path", ["", "/"])
def test_a_directory_is_not_a_file(seed_server: SeedServer, path: str) -> None:
    assert get(seed_server.base_url + path)[0] == 404
