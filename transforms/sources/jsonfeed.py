"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) read into the same entries as RSS."""

from __future__ import annotations

import codecs
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from newswire.schemas.urls import absolute, cleaned_address
from newswire.transforms.dates import parse_datetime
from newswire.transforms.records import DeadLetter, FeedEntry
from newswire.transforms.sources.items import read_item

_VERSION = re.compile(r"^https?://jsonfeed\.org/version/1(\.\d+)?/?$")
_JSON_TYPES = {"application/feed+json", "application/json"}


def is_json_feed(content_type: str, body: bytes) -> bool:
    """Whether to read a feed response as JSON Feed, the only JSON feed format.

    The body decides when it opens like JSON or markup, since servers mislabel feeds; the
    media type decides otherwise. Non-feed JSON counts too, so its reader can say what is wrong.
    """
    start = body.removeprefix(codecs.BOM_UTF8).lstrip()[:1]
    if start in (b"{", b"<"):
        return start == b"{"
    return content_type.split(";")[0].strip().lower() in _JSON_TYPES


def entries_from_json_feed(document: bytes, feed_url: str) -> list[FeedEntry | DeadLetter]:
    """Parse a JSON Feed into entries (an item that cannot be read into its dead letter);
    raises ValueError if the document is not one."""
    try:
        feed = json.loads(document)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"not a JSON Feed: invalid JSON: {error}") from None
    if not isinstance(feed, dict):
        raise ValueError(f"not a JSON Feed: top level is a {type(feed).__name__}, not an object")
    version = feed.get("version")
    if not isinstance(version, str) or not _VERSION.match(version):
        raise ValueError(f"not a JSON Feed: version {version!r} is not a jsonfeed.org version")
    items = feed.get("items", [])
    if not isinstance(items, list):
        raise ValueError("not a JSON Feed: `items` is not a list")
    feed_title = _text(feed, "title")
    feed_authors = _authors(feed)
    return [read_item(item, lambda item: _entry(item, feed_url, feed_title, feed_authors),
                      feed_url, json.dumps) for item in items if isinstance(item, dict)]


def _entry(item: dict[str, Any], feed_url: str, feed_title: str,
           feed_authors: tuple[str, ...]) -> FeedEntry:
    """One item; like the RSS reader, a lone modified date stands in for the published one."""
    published, updated = _time(item, "date_published"), _time(item, "date_modified")
    link = _text(item, "url") or _text(item, "external_url")
    image = _text(item, "image") or _text(item, "banner_image")
    return FeedEntry(
        link=urljoin(feed_url, cleaned_address(link)) if link else "",
        feed_url=feed_url,
        feed_title=feed_title,
        title=_text(item, "title"),
        entry_id=_id(item.get("id")),
        published=published or updated,
        updated=updated if published else None,
        summary=_text(item, "summary") or _text(item, "content_text"),
        authors=_authors(item) or feed_authors,
        tags=_tags(item),
        image_url=absolute(feed_url, image),
    )


def _text(obj: dict[str, Any], key: str) -> str:
    """A string member, stripped; anything else (missing, null, a number) reads as empty."""
    value = obj.get(key)
    return value.strip() if isinstance(value, str) else ""


def _id(value: Any) -> str:
    """The spec asks readers to coerce a non-string id (1.0 feeds used numbers) to a string."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


def _time(item: dict[str, Any], key: str) -> datetime | None:
    """An RFC 3339 member as an aware UTC datetime; None if missing or unparseable."""
    value = item.get(key)
    return parse_datetime(value.upper()) if isinstance(value, str) else None


def _tags(item: dict[str, Any]) -> tuple[str, ...]:
    """The item's tags that are non-empty strings."""
    tags = item.get("tags")
    if not isinstance(tags, list):
        return ()
    return tuple(tag.strip() for tag in tags if isinstance(tag, str) and tag.strip())


def _authors(obj: dict[str, Any]) -> tuple[str, ...]:
    """Author names from 1.1's `authors` list, else 1.0's single `author` object."""
    authors = obj.get("authors")
    if not isinstance(authors, list):
        authors = [obj.get("author")]
    return tuple(name for a in authors if isinstance(a, dict) and (name := _text(a, "name")))
