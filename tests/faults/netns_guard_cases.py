"""The address guard's cases; run only inside a network namespace, by test_net_guard.py.

Every URL here would, with a broken guard, send its request to a loopback server standing in for
an internal service, or to PUBLIC, a global address that exists only on this namespace's `lo`.
Nothing can leave the machine from here, whatever the guard does. Each case asserts the request
was refused and the internal server saw nothing.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import pytest

from newswire.transforms.fetching.fetch import PageFetcher
from newswire.transforms.fetching.http import FetchError, HttpClient
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.records import FeedEntry
from tests.loopback import reply, serve

PUBLIC = os.environ.get("NEWSWIRE_NETNS_PUBLIC", "")
if not PUBLIC or [name for _, name in socket.if_nameindex()] != ["lo"]:
    pytest.fail("these cases run only inside a network namespace with nothing but lo "
                "(see tests/faults/test_net_guard.py)", pytrace=False)


class Internal(BaseHTTPRequestHandler):
    """The service the guard protects: any request reaching it is a failure."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Internal.hits.append(self.path)
        reply(self, 200, b"internal secret", {"Content-Type": "text/html"})

    def log_message(self, *_: object) -> None:
        pass


class Public(BaseHTTPRequestHandler):
    """A public site whose redirects, robots.txt included, point at the internal service."""

    internal: ClassVar[str] = ""

    def do_GET(self) -> None:
        if self.path in ("/to-internal", "/robots.txt"):
            reply(self, 302, b"", {"Location": f"{Public.internal}/secret"})
        elif self.path == "/unavailable":
            reply(self, 503, b"", {"Connection": "close"})
        else:
            reply(self, 200, b"<html><body><p>public page</p></body></html>",
                  {"Content-Type": "text/html", "Connection": "close"})

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def internal() -> Iterator[str]:
    with serve(Internal) as url:
        Public.internal = url
        yield url


@pytest.fixture(scope="module")
def public(internal: str) -> Iterator[str]:
    """On the internal service's port, so a rebinding name means one or the other."""
    with serve(Public, host=PUBLIC, port=int(port(internal))) as url:
        yield url


@pytest.fixture(autouse=True)
def no_hits_yet() -> Iterator[None]:
    Internal.hits.clear()
    yield
    assert Internal.hits == [], "a request reached the internal service"


def strict(**overrides: Any) -> HttpClient:
    client = HttpClient(HttpSettings(backoff=0.01, **overrides))
    client.open()
    return client


def port(url: str) -> str:
    return url.rsplit(":", 1)[1]


# {internal} is the loopback base URL, {port} its port, {public} the public address.
TRICKS = [
    "{internal}\\@{public}/../x",           # urllib3 reads host 127.0.0.1, urlsplit the public one
    "{internal}\\\\@{public}/x",
    "{internal}%5C@{public}/x",              # the backslash percent-encoded
    "http://{public}\\@127.0.0.1:{port}/x",
    "http://127.0.0.1:{port}@{public}/x",    # credentials-shaped host
    "http://{public}@127.0.0.1:{port}/x",
    "http://{public}:80@127.0.0.1:{port}/x",
    "http://127.0.0.1%3A{port}@{public}/x",
    "http://127.0.0.1:{port}#@{public}/x",
    "http://127.0.0.1:{port}?@{public}/x",
    "http://{public}\t@127.0.0.1:{port}/x",  # whitespace urlsplit strips and urllib3 does not
    "http://{public}\n@127.0.0.1:{port}/x",
    "http://127.0.0.1:{port} @{public}/x",
    "HTTP://127.0.0.1:{port}/x",
    "http://2130706433:{port}/x",            # 127.0.0.1 as one decimal number
    "http://0177.0.0.1:{port}/x",            # octal
    "http://0x7f.1:{port}/x",                # hex, short form
    "http://127.1:{port}/x",
    "http://0.0.0.0:{port}/x",
    "http://[::ffff:127.0.0.1]:{port}/x",    # IPv4-mapped IPv6
    "http://[::ffff:7f00:1]:{port}/x",
    "http://[::1]:{port}/x",
    "http://localhost:{port}/x",
    "http://LOCALHOST.:{port}/x",
    "http://%31%32%37.0.0.1:{port}/x",       # percent-encoded host
]


@pytest.mark.parametrize("trick", TRICKS)
def test_tricky_urls_never_reach_an_internal_address(trick: str, internal: str,
                                                     public: str) -> None:
    url = trick.format(internal=internal, port=port(internal), public=PUBLIC)
    with pytest.raises(FetchError):
        strict(retries=0).get(url)


@pytest.mark.parametrize("trick", TRICKS[:4])
def test_a_feed_link_with_a_trick_is_refused_for_page_and_robots_txt(
        trick: str, internal: str, public: str) -> None:
    """feedparser keeps the backslash in `<link>`: page fetch and robots.txt both refuse it."""
    url = trick.format(internal=internal, port=port(internal), public=PUBLIC)
    fetcher = PageFetcher(HttpSettings(retries=0))
    fetcher.open()
    with pytest.raises(FetchError):
        fetcher.fetch(FeedEntry(link=url, feed_url=f"{public}/feed"))


def test_the_public_stand_in_is_reachable(public: str) -> None:
    """The control: the strict client does fetch a public address, so refusals above mean it."""
    assert b"public page" in strict().get(f"{public}/page").body


def test_a_redirect_to_an_internal_address_is_refused(public: str) -> None:
    with pytest.raises(FetchError, match=r"refused non-public address 127\.0\.0\.1"):
        strict().get(f"{public}/to-internal")


def test_a_robots_txt_redirect_to_an_internal_address_is_not_followed(public: str) -> None:
    fetcher = PageFetcher(HttpSettings(retries=0))
    fetcher.open()
    page = fetcher.fetch(FeedEntry(link=f"{public}/page", feed_url=f"{public}/feed"))
    assert "public page" in page.html


class Rebinding:
    """getaddrinfo for `rebind.test` answering PUBLIC first and 127.0.0.1 ever after."""

    def __init__(self) -> None:
        self.real = socket.getaddrinfo
        self.answers: list[str] = []

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return self.real(host, port, *args, **kwargs)
        address = PUBLIC if not self.answers else "127.0.0.1"
        self.answers.append(address)
        return self.real(address, port, *args, **kwargs)


def test_dns_rebinding_cannot_reach_loopback(monkeypatch: pytest.MonkeyPatch, internal: str,
                                             public: str) -> None:
    """One lookup serves the check and the connection: the second answer is never used."""
    rebinding = Rebinding()
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    assert b"public page" in strict().get(f"http://rebind.test:{port(public)}/page").body


def test_dns_rebinding_between_retries_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                  public: str) -> None:
    """The first answer (public) says 503 and closes; the retry's fresh lookup says loopback."""
    rebinding = Rebinding()
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with pytest.raises(FetchError, match=r"refused non-public address 127\.0\.0\.1"):
        strict(retries=2).get(f"http://rebind.test:{port(public)}/unavailable")
    assert rebinding.answers == [PUBLIC, "127.0.0.1"]
