"""Extraction: one HTML page (and its feed entry) to one Article in the seed schema.

The page is parsed once; trafilatura gets that tree for the body, and our metadata readers take
the fields it does not give. Each field records in `provenance` which source it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

import apache_beam as beam
import lxml.html
import trafilatura
from apache_beam.metrics import Metrics
from courlan import normalize_url
from htmldate import find_date
from lxml.html import HtmlElement

from schemas.article import Article, LeadImage
from schemas.credits import join_caption, parse_credits_line
from transforms.images import lead_image
from transforms.metadata import PageMetadata, names, parse_datetime, read_metadata
from transforms.records import DEAD_LETTER, DeadLetter, FeedEntry, Page

_BYLINE_PREFIX = re.compile(r"^\s*(?:by|words by)\s+", re.IGNORECASE)
_NAME_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*")
_TITLE_SUFFIX = re.compile(r"\s+[|\-\u2013\u2014:]\s+[^|\-\u2013\u2014:]+$")


class ExtractionError(ValueError):
    """The page holds no article we can extract."""


def extract_article(html: str, url: str, entry: FeedEntry | None = None,
                    fetched_at: datetime | None = None) -> Article:
    """Extract the article at `url` from its HTML; raises ExtractionError if there is none."""
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError) as error:
        raise ExtractionError(f"unparseable HTML: {error}") from None
    meta = read_metadata(tree)
    provenance: dict[str, str] = {}

    image, image_sources = lead_image(tree, meta, url, entry)
    provenance.update(image_sources)
    paragraphs = _body_paragraphs(tree, url, image)
    credits = parse_credits_line(paragraphs[-1]) if paragraphs else None
    if credits:
        paragraphs.pop()
    if not paragraphs:
        raise ExtractionError("no article text found")

    title = _pick(provenance, "title", [
        ("json-ld", meta.jsonld.get("headline")), ("h1", meta.h1), ("og", meta.og.get("og:title")),
        ("feed", entry and entry.title), ("title-tag", _TITLE_SUFFIX.sub("", meta.title_tag)),
    ])
    outlet = _pick(provenance, "outlet", [
        ("json-ld", next(iter(names(meta.jsonld.get("publisher"))), "")),
        ("og", meta.og.get("og:site_name")), ("meta", meta.meta.get("application-name")),
        ("feed", entry and _TITLE_SUFFIX.sub("", entry.feed_title)),
        ("domain", urlsplit(url).hostname or ""),
    ])
    published = _pick_time(provenance, "published_at", [
        ("json-ld", meta.jsonld.get("datePublished")),
        ("og", meta.og.get("article:published_time")),
        ("time", meta.time),
        ("feed", entry and entry.published),
        ("htmldate", lambda: find_date(tree, original_date=True, outputformat="%Y-%m-%dT%H:%M:%S")),
        ("first-seen", fetched_at),
    ])
    updated = _pick_time(provenance, "updated_at", [
        ("json-ld", meta.jsonld.get("dateModified")),
        ("og", meta.og.get("article:modified_time")),
        ("feed", entry and entry.updated),
    ])
    canonical = meta.canonical or meta.og.get("og:url") or url
    return Article(
        url=url,
        canonical_url=canonical_url(urljoin(url, canonical)),
        title=title,
        outlet=outlet,
        published_at=published,
        updated_at=updated if updated and published and updated > published else None,
        authors=_authors(tree, meta, entry),
        image=image,
        credits=credits,
        body="\n\n".join(paragraphs),
        summary=meta.jsonld.get("description") or meta.og.get("og:description")
        or meta.meta.get("description") or (entry.summary if entry else ""),
        language=str(meta.jsonld.get("inLanguage") or meta.language).split("-")[0].lower(),
        tags=_tags(meta, entry),
        source_feed=entry.feed_url if entry else "",
        fetched_at=fetched_at,
        provenance=provenance,
    )


def canonical_url(url: str) -> str:
    """The URL that identifies a story: normalised, tracking parameters and fragment removed."""
    try:
        return normalize_url(url, strict=True)
    except ValueError:
        return url


def _body_paragraphs(tree: HtmlElement, url: str, image: LeadImage | None) -> list[str]:
    """Markdown paragraphs of the main text, without the heading, caption or byline."""
    document = trafilatura.bare_extraction(
        tree, url=url, include_links=True, include_formatting=True, include_comments=False,
        include_tables=False, include_images=False, with_metadata=False,
    )
    text = document.text if document else ""
    leaks = {""}
    if image:
        leaks |= {image.caption, image.credit, join_caption(image.caption, image.credit)}
    paragraphs = []
    for block in (b.strip() for b in text.split("\n\n")):
        if block.startswith("#") or block in leaks or _BYLINE_PREFIX.match(block):
            continue
        paragraphs.append(block)
    return paragraphs


def _pick(provenance: dict[str, str], field: str, candidates: list[tuple[str, Any]]) -> str:
    for source, value in candidates:
        if value and str(value).strip():
            provenance[field] = source
            return " ".join(str(value).split())
    return ""


def _pick_time(provenance: dict[str, str], field: str,
               candidates: list[tuple[str, Any]]) -> datetime | None:
    """The first candidate that is a valid time; callables are evaluated only when reached."""
    for source, value in candidates:
        value = value() if callable(value) else value
        moment = value if isinstance(value, datetime) else parse_datetime(value)
        if moment:
            provenance[field] = source
            return moment.astimezone(timezone.utc)
    return None


def _authors(tree: HtmlElement, meta: PageMetadata, entry: FeedEntry | None) -> tuple[str, ...]:
    found = names(meta.jsonld.get("author"))
    if not found and meta.meta.get("author"):
        found = [meta.meta["author"]]
    if not found:
        bylines = tree.xpath("//*[contains(@class,'byline')][1]")
        if bylines:
            found = [bylines[0].text_content()]
    if not found and entry:
        found = list(entry.authors)
    cleaned = []
    for value in found:
        for name in _NAME_SPLIT.split(_BYLINE_PREFIX.sub("", " ".join(value.split()))):
            if name and name not in cleaned:
                cleaned.append(name)
    return tuple(cleaned)


def _tags(meta: PageMetadata, entry: FeedEntry | None) -> tuple[str, ...]:
    keywords = meta.jsonld.get("keywords") or meta.og.get("article:tag") or ""
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.split(",")]
    tags = [k for k in keywords if k] or list(entry.tags if entry else ())
    return tuple(dict.fromkeys(tags))


class ExtractArticles(beam.DoFn):
    """Pages to Articles; a page without an article leaves as a dead letter."""

    def __init__(self) -> None:
        self.extracted = Metrics.counter("newswire", "articles_extracted")
        self.failed = Metrics.counter("newswire", "extraction_failed")

    def process(self, page: Page) -> Iterator[Any]:
        try:
            article = extract_article(page.html, page.url, page.entry, page.fetched_at)
        except Exception as error:  # a page must never crash the job: it becomes a dead letter
            reason = str(error) if isinstance(error, ExtractionError) else (
                f"extractor failed: {type(error).__name__}: {error}")
            self.failed.inc()
            yield beam.pvalue.TaggedOutput(
                DEAD_LETTER, DeadLetter.for_entry("extract", reason, page.entry))
            return
        self.extracted.inc()
        yield article

