"""URL identity: the form of a link that names one story, whatever feed or campaign it came from,
the site a URL is on, and an address as written on a page or in a feed read as a browser reads it.

Only parameters known to track a visit are removed: many sites address their stories by query
(`/view?story=1`, `/article.aspx?articleid=31`, `/news.php?nid=41`), so every other parameter is
kept, as written and in its order.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote_plus, urljoin, urlsplit, urlunsplit

from tld import get_fld

TRACKING_PREFIXES = ("utm_",)
"""Parameters by prefix: Google Analytics' campaign family (`utm_source`, `utm_medium`, ...)."""

TRACKING = frozenset({
    "fbclid",  # Facebook
    "gclid", "dclid", "gbraid", "wbraid", "_ga", "_gl",  # Google Ads, DoubleClick, Analytics
    "msclkid",  # Microsoft Ads
    "yclid",  # Yandex
    "twclid",  # X (Twitter)
    "igshid",  # Instagram
    "mc_cid", "mc_eid",  # Mailchimp
    "mkt_tok",  # Marketo
})
"""Click and campaign identifiers by name (matched without regard to case)."""

DEFAULT_PORTS = {"http": 80, "https": 443}
"""The port each scheme uses when a URL names none."""


def canonical_url(url: str) -> str:
    """The URL that identifies a story: scheme and host in lower case, no default port, no
    fragment, tracking parameters removed; a URL that cannot be parsed is kept as it is."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    scheme = parts.scheme.lower()
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    if parts.username is not None:
        host = f"{parts.netloc.rpartition('@')[0]}@{host}"
    query = "&".join(pair for pair in parts.query.split("&") if pair and not _is_tracking(pair))
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


# What a browser trims off an address (C0 controls and spaces), drops inside it (tabs and line
# breaks), and escapes in it (any other space), as the WHATWG URL standard reads one.
_TRIMMED = "".join(map(chr, range(0x21)))
_DROPPED = re.compile(r"[\t\n\r]")
_SPACE = re.compile(r"\s")


def cleaned_address(address: str) -> str:
    """An address as a browser reads it (`" /a b.jpg\n"` is `/a%20b.jpg`): a page or feed that
    spaces or wraps an address still gives one that can be fetched, and indexed as a URL."""
    address = _DROPPED.sub("", address.strip(_TRIMMED))
    return _SPACE.sub(lambda space: quote(space[0]), address)


def absolute(base: str, address: str) -> str:
    """`address` as an absolute web URL (`cleaned_address`): resolved against `base` (the page's
    URL) where relative, kept as written where it is an absolute http(s) URL; '' where it is
    none (empty, `javascript:`, `data:`, `mailto:`) or cannot be parsed ("http://[", a malformed
    IPv6 host), so that one bad address on a page costs only itself."""
    address = cleaned_address(address)
    try:
        resolved = address if address.startswith(("https://", "http://")) else urljoin(
            base, address)
        scheme = urlsplit(resolved).scheme
    except ValueError:
        return ""
    return resolved if address and scheme.lower() in DEFAULT_PORTS else ""


def _is_tracking(pair: str) -> bool:
    """Whether a query's `name=value` pair is a tracking parameter."""
    name = unquote_plus(pair.partition("=")[0]).strip().lower()
    return name in TRACKING or name.startswith(TRACKING_PREFIXES)


def site(url: str) -> str:
    """The site a URL is on: its registrable domain by the public suffix list (`www.bbc.co.uk`
    and `news.bbc.co.uk` are `bbc.co.uk`; `a.github.io` and `b.github.io` differ), else its
    host (an address, `localhost`, an unlisted suffix); "" if it has no host."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""
    return get_fld(host, fix_protocol=True, fail_silently=True) or host
