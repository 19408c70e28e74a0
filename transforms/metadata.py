"""Page metadata read once from the parsed tree: JSON-LD, Open Graph, meta tags, links, times."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from lxml.html import HtmlElement

_ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle",
                  "BlogPosting", "WebPage", "LiveBlogPosting", "OpinionNewsArticle"}


@dataclass
class PageMetadata:
    """The metadata sources of one page, each kept apart so the caller can say which it used."""

    jsonld: dict[str, Any] = field(default_factory=dict)
    og: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    canonical: str = ""
    title_tag: str = ""
    h1: str = ""
    time: str = ""
    language: str = ""


def read_metadata(tree: HtmlElement) -> PageMetadata:
    """Collect every metadata source from a parsed page in one pass over its head."""
    found = PageMetadata()
    for element in tree.iterfind(".//meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop")
        content = element.get("content")
        if not key or content is None:
            continue
        key = key.strip().lower()
        target = found.og if key.startswith(("og:", "article:")) else found.meta
        target.setdefault(key, content.strip())
    for link in tree.iterfind(".//link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            found.canonical = found.canonical or link.get("href").strip()
    found.jsonld = _article_jsonld(tree)
    found.title_tag = _text(tree.find(".//title"))
    found.h1 = _text(tree.find(".//h1"))
    times = tree.xpath("//article//time[@datetime]") or tree.xpath("//time[@datetime]")
    found.time = times[0].get("datetime", "") if times else ""
    found.language = (tree.get("lang") or "").split("-")[0].lower()
    return found


def _article_jsonld(tree: HtmlElement) -> dict[str, Any]:
    """The first JSON-LD object of an article type, searching @graph and lists."""
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for item in _walk(data):
            types = item.get("@type")
            types = set(types) if isinstance(types, list) else {types}
            if types & _ARTICLE_TYPES:
                return item
    return {}


def _walk(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [item for element in data for item in _walk(element)]
    if isinstance(data, dict):
        return [data, *_walk(data.get("@graph", []))]
    return []


def _text(element: HtmlElement | None) -> str:
    return " ".join(element.text_content().split()) if element is not None else ""


def names(value: Any) -> list[str]:
    """Names from a JSON-LD person/organisation value: a string, an object or a list of them."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, dict):
        return names(value.get("name"))
    if isinstance(value, list):
        return [name for item in value for name in names(item)]
    return []


def parse_datetime(value: str | None) -> datetime | None:
    """An ISO-8601 timestamp in UTC; a naive one is taken as UTC. None if unparseable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
