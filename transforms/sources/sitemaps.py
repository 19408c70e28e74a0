"""Sitemaps (sitemaps.org 0.9 and Google News): detected from the content, read into entries.

A sitemap document is a `urlset` (pages, with Google News `news:news` details where given) or
a `sitemapindex` (other sitemaps), plain or gzip-compressed; `robots.txt` names sitemaps on its
`Sitemap:` lines. Parsing is lxml's `iterparse` over a decompressing stream: every element is
freed once read (comments are not kept), entities are never resolved and nothing is fetched,
and the protocol's limits (50,000 URLs, 50 MB uncompressed) are enforced while decompressing,
so a small gzip cannot expand without bound, in bytes or in memory. A urlset over a limit, or
broken after some URLs, keeps the entries before it (`SitemapTruncated`), so a poller indexes
those and dead-letters the rest.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from apache_beam.metrics import Metrics
from lxml import etree

from newswire.schemas.urls import cleaned_address
from newswire.transforms.dates import parse_datetime
from newswire.transforms.records import DeadLetter, FeedEntry
from newswire.transforms.sources.items import read_item
from newswire.transforms.sources.settings import DEFAULT_MAX_AGE

MAX_URLS = 50_000
MAX_BYTES = 50 * 1024 * 1024
MAX_ITEM_ELEMENTS = 10_000
"""Elements one `<url>` may hold: its own few, and up to 1,000 images of a few each."""
MAX_ROBOTS_SITEMAPS = 50
"""`Sitemap:` lines read from one robots.txt: each is asked for when the run starts, and a
robots.txt listing 100 that hang cost 405 s at `--fetch-timeout 2`."""
SITEMAP = "sitemap"
"""The `FeedEntry.source` of entries a sitemap listed."""

URLSET, INDEX = "urlset", "sitemapindex"
_GZIP_MAGIC = b"\x1f\x8b"
_ROBOTS_LINE = re.compile(r"^\s*(user-agent|disallow|allow|sitemap|crawl-delay)\s*:",
                          re.IGNORECASE | re.MULTILINE)
_SITEMAP_LINE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class SitemapError(ValueError):
    """The document is a broken sitemap or exceeds the protocol's limits."""


class SitemapTooLarge(SitemapError):
    """The document exceeds the protocol's limits (URLs or uncompressed bytes)."""


class SitemapTruncated(SitemapTooLarge):
    """A urlset over a limit: `entries` are those read before it, the message says what was
    left out."""

    def __init__(self, reason: str, entries: list[FeedEntry | DeadLetter]) -> None:
        super().__init__(reason)
        self.entries = entries


@dataclass(frozen=True)
class ChildSitemap:
    """One `<sitemap>` of a sitemap index."""

    url: str
    lastmod: datetime | None = None


class _GunzipReader(io.RawIOBase):
    """A gzip stream read through a decompressor that never yields more than `limit` bytes.

    The decompressor is asked for at most what the reader wants (`max_length`), so memory is
    bounded by the read size whatever the compression ratio; concatenated members are read on.
    """

    def __init__(self, compressed: bytes, limit: int) -> None:
        self._input = compressed
        self._limit = limit
        self._total = 0
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while True:
            chunk = self._inflate.decompress(self._input, len(buffer))
            self._input = self._inflate.unconsumed_tail
            if chunk:
                break
            if self._inflate.eof and self._inflate.unused_data:
                self._input = self._inflate.unused_data
                self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
                continue
            if not self._input:
                return 0
        self._total += len(chunk)
        if self._total > self._limit:
            raise SitemapTooLarge(f"sitemap exceeds {self._limit // (1024 * 1024)} MB "
                                  "uncompressed")
        buffer[: len(chunk)] = chunk
        return len(chunk)


class _CappedReader(io.RawIOBase):
    """An uncompressed document read with the same size limit as a compressed one."""

    def __init__(self, document: bytes, limit: int) -> None:
        if len(document) > limit:
            raise SitemapTooLarge(f"sitemap exceeds {limit // (1024 * 1024)} MB uncompressed")
        self._stream = io.BytesIO(document)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self._stream.readinto(buffer)


def _open(document: bytes, limit: int = MAX_BYTES) -> io.BufferedReader:
    """The document as a stream, gunzipped if it is gzip, never more than `limit` bytes."""
    raw = (_GunzipReader(document, limit) if document.startswith(_GZIP_MAGIC)
           else _CappedReader(document, limit))
    return io.BufferedReader(raw, 64 * 1024)


def _events(document: bytes, events: tuple[str, ...], limit: int = MAX_BYTES
            ) -> Iterator[tuple[str, etree._Element]]:
    """lxml's pull parser over the document: no entities, no DTD, no network."""
    parser = etree.iterparse(_open(document, limit), events=events, resolve_entities=False,
                             no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)  # not kept in the tree
    try:
        yield from parser
    except zlib.error as error:
        raise SitemapError(f"broken gzip: {error}") from None
    except etree.XMLSyntaxError as error:
        raise SitemapError(f"not well-formed XML: {error}") from None


def sitemap_kind(document: bytes) -> str | None:
    """`urlset` or `sitemapindex` if the document is a sitemap (by its root element), else None."""
    head = document.lstrip()[:1]
    if not document.startswith(_GZIP_MAGIC) and head != b"<":
        return None
    try:
        for _event, element in _events(document, ("start",)):
            name = etree.QName(element).localname
            return name if name in (URLSET, INDEX) else None
    except (SitemapError, OSError):
        return None
    return None


def is_robots_txt(text: str) -> bool:
    """Whether a plain-text document reads as robots.txt rather than a list of feed URLs."""
    return bool(_ROBOTS_LINE.search(text))


def robots_sitemaps(text: str) -> list[str]:
    """The sitemap URLs a robots.txt names on its `Sitemap:` lines, in order, once each: the
    first `MAX_ROBOTS_SITEMAPS`."""
    return list(dict.fromkeys(_SITEMAP_LINE.findall(text)))[:MAX_ROBOTS_SITEMAPS]


def _children(element: etree._Element) -> dict[str, etree._Element]:
    """An element's children by local name (the first of each), whatever their namespace."""
    found: dict[str, etree._Element] = {}
    for child in element.iterchildren(etree.Element):
        found.setdefault(etree.QName(child).localname, child)
    return found


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _time(element: etree._Element | None) -> datetime | None:
    value = _text(element)
    return parse_datetime(value) if value else None


def _items(document: bytes, tag: str) -> Iterator[etree._Element]:
    """Each `<url>` or `<sitemap>` of a sitemap: the first `MAX_URLS`, then SitemapTooLarge
    saying how many there were.

    Memory stays bounded whatever the document holds: every element is freed once read (an
    item once used, anything outside items at its end), and removed from its parent too, since
    a cleared element still takes its place there; an item of more than `MAX_ITEM_ELEMENTS`
    elements is refused.
    """
    count = 0
    inside = 0  # elements open or read within the current item, the item itself included
    for event, element in _events(document, ("start", "end")):
        is_item = etree.QName(element).localname == tag
        if event == "start":
            if inside or is_item:
                inside += 1
                if inside > MAX_ITEM_ELEMENTS:
                    raise SitemapError(f"a <{tag}> of more than {MAX_ITEM_ELEMENTS} elements")
            continue
        if is_item:
            count += 1
            if count <= MAX_URLS:
                yield element
            inside = 0
        if not inside:
            _free(element)
    if count > MAX_URLS:
        raise SitemapTooLarge(f"sitemap lists {count} URLs, more than the protocol's "
                              f"{MAX_URLS}")


def _free(element: etree._Element) -> None:
    """Free a parsed element, and the (cleared) siblings before it that still hold a place."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def read_index(document: bytes) -> list[ChildSitemap]:
    """The sitemaps a sitemap index lists, with their last-modified times."""
    children = []
    for item in _items(document, "sitemap"):
        fields = _children(item)
        if loc := _text(fields.get("loc")):
            children.append(ChildSitemap(loc, _time(fields.get("lastmod"))))
    return children


def fresh_children(children: list[ChildSitemap], max_age: float, now: float) -> list[str]:
    """The children modified within `max_age` seconds of `now` (or not saying when)."""
    horizon = datetime.fromtimestamp(now - max_age, tz=timezone.utc)
    return [child.url for child in children if child.lastmod is None or child.lastmod >= horizon]


def read_urlset(document: bytes, sitemap_url: str, max_age: float = DEFAULT_MAX_AGE,
                now: float | None = None) -> list[FeedEntry | DeadLetter]:
    """A urlset's entries; those last modified (or published) over `max_age` ago are skipped.

    Skipped entries are counted (`sitemap_entries_too_old`); they are not entries of the run.
    A `<url>` that cannot be read is its dead letter (`sources.items`). Past a limit, or where
    the document breaks after some URLs (a text node of 10 MB of whitespace), SitemapTruncated
    holds the entries of the URLs before it.
    """
    reference = datetime.now(timezone.utc) if now is None else datetime.fromtimestamp(
        now, tz=timezone.utc)
    horizon = reference - timedelta(seconds=max_age)
    entries, too_old = [], 0
    try:
        for item in _items(document, "url"):
            entry = read_item(item, lambda item: _entry(item, sitemap_url), sitemap_url,
                              _markup)
            moment = (entry.updated or entry.published) if isinstance(entry, FeedEntry) else None
            if moment is not None and moment < horizon:
                too_old += 1
            else:
                entries.append(entry)
    except SitemapError as error:  # over a limit, or broken past the URLs read: keep those
        if not isinstance(error, SitemapTooLarge) and not entries and not too_old:
            raise
        raise SitemapTruncated(f"{error}: only the first {len(entries) + too_old} URLs were "
                               "read", entries) from None
    finally:
        if too_old:
            Metrics.counter("newswire", "sitemap_entries_too_old").inc(too_old)
    return entries


def _markup(item: etree._Element) -> str:
    return etree.tostring(item, encoding="unicode")


def _entry(item: etree._Element, sitemap_url: str) -> FeedEntry:
    """One `<url>`: its loc and lastmod, and the Google News and image details if present."""
    fields = _children(item)
    news = _children(fields["news"]) if "news" in fields else {}
    publication = _children(news["publication"]) if "publication" in news else {}
    image = _children(fields["image"]) if "image" in fields else {}
    keywords = _text(news.get("keywords"))
    return FeedEntry(
        link=cleaned_address(_text(fields.get("loc"))),
        feed_url=sitemap_url,
        feed_title=_text(publication.get("name")),
        title=_text(news.get("title")),
        published=_time(news.get("publication_date")),
        updated=_time(fields.get("lastmod")),
        tags=tuple(word.strip() for word in keywords.split(",") if word.strip()),
        image_url=_text(image.get("loc")),
        image_caption=_text(image.get("caption")),
        language=_text(publication.get("language")).lower(),
        source=SITEMAP,
    )


def read_sitemap(document: bytes, sitemap_url: str, max_age: float = DEFAULT_MAX_AGE,
                 now: float | None = None) -> list[FeedEntry | DeadLetter]:
    """A polled sitemap's entries. Indexes are expanded into their sitemaps when the run
    starts (`sources.discover`), so one here is nested, which the protocol forbids."""
    if sitemap_kind(document) == INDEX:
        raise SitemapError("a sitemap index where a sitemap was expected (nested indexes are "
                           "not followed)")
    return read_urlset(document, sitemap_url, max_age, now)
