"""URL identity: the canonical form of an address, tracking parameters off."""

from __future__ import annotations

import pytest

from newswire.schemas.urls import absolute, canonical_url, site


def test_only_tracking_parameters_are_removed() -> None:
    assert canonical_url("HTTP://News.Example:80/news.php?nid=41&utm_source=rss&FBCLID=x"
                         "&gclid=y&page=2#comments") == "http://news.example/news.php?nid=41&page=2"
    assert canonical_url("https://news.example/view?story=1") != canonical_url(
        "https://news.example/view?story=2")


@pytest.mark.parametrize(("url", "canonical"), [
    ("https://news.example", "https://news.example/"),
    ("https://news.example:443/a", "https://news.example/a"),
    ("https://news.example:8443/a", "https://news.example:8443/a"),
    ("http://[2001:DB8::1]:80/a", "http://[2001:db8::1]/a"),
    ("https://ed:pw@News.Example/a", "https://ed:pw@news.example/a"),
    ("https://news.example/a?b=2&a=1&UTM_Medium=x&mc_cid=y", "https://news.example/a?b=2&a=1"),
    ("  https://news.example/a#top  ", "https://news.example/a"),
])
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_a_url_that_cannot_be_parsed_is_kept_as_it_is() -> None:
    assert canonical_url("http://news.example:port/a") == "http://news.example:port/a"


@pytest.mark.parametrize(("url", "name"), [
    ("https://www.bbc.co.uk/news/1", "bbc.co.uk"),
    ("https://news.bbc.co.uk/2", "bbc.co.uk"),
    ("https://a.github.io/x", "a.github.io"),
    ("http://127.0.0.1:8000/a", "127.0.0.1"),
    ("http://localhost/a", "localhost"),
    ("not a url", ""),
])
def test_site(url: str, name: str) -> None:
    assert site(url) == name


@pytest.mark.parametrize(("address", "resolved"), [
    ("/img/a.jpg", "https://news.example/img/a.jpg"),
    ("//cdn.example/a.jpg", "https://cdn.example/a.jpg"),
    ("https://cdn.example/x/../a.jpg", "https://cdn.example/x/../a.jpg"),  # kept as written
    ("http://[", ""),  # a malformed IPv6 host
    ("//[::1", ""),
])
def test_absolute(address: str, resolved: str) -> None:
    assert absolute("https://news.example/2026/a", address) == resolved
    assert absolute("", "//[::1") == ""  # nothing to resolve against, still checked
