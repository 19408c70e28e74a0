"""URL identity: the canonical form of an address, tracking parameters off."""

from __future__ import annotations

import re

import pytest

from newswire.schemas.fields import URL_PATTERN
from newswire.schemas.urls import absolute, canonical_url, cleaned_address, site


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
    (" /img/a b.jpg\n", "https://news.example/img/a%20b.jpg"),  # as a browser reads it
    ("https://cdn.example/a\n/b\tc.jpg", "https://cdn.example/a/bc.jpg"),
    ("HTTPS://cdn.example/a.jpg", "https://cdn.example/a.jpg"),
    ("javascript:alert(1)", ""),  # no web address
    ("data:image/gif;base64,R0lGOD", ""),
    ("mailto:desk@news.example", ""),
    ("ftp://files.example/a.jpg", ""),
    ("", ""),
    ("  ", ""),
])
def test_absolute(address: str, resolved: str) -> None:
    assert absolute("https://news.example/2026/a", address) == resolved
    assert absolute("", "//[::1") == ""  # nothing to resolve against, still checked


@pytest.mark.parametrize("address", [
    "/a b.jpg", "/a\u00a0b.jpg", "/a\u2003b\x0b.jpg", "\x00/a.jpg\x1f", "//cdn.example/ a .jpg"])
def test_an_absolute_address_is_one_the_article_schema_takes_as_a_url(address: str) -> None:
    """An image or canonical address with a space once made the whole article a dead letter."""
    assert re.fullmatch(URL_PATTERN, absolute("https://news.example/2026/a", address))


def test_a_cleaned_address_keeps_what_is_no_space_as_written() -> None:
    assert cleaned_address("\thttp://[oops/a b\r\n") == "http://[oops/a%20b"
    assert cleaned_address("javascript:alert(1)") == "javascript:alert(1)"
