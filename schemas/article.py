"""The article record: the one model the pipeline, the index and the seed format share."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any

from newswire.schemas.urls import canonical_url, site

EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
"""The earliest date an article may carry; versions count milliseconds from it."""
FUTURE_SLACK = timedelta(days=1)
"""How far past its fetch (or now) an article's date may lie: time zones gone wrong, not 2100."""


@dataclass(frozen=True)
class LeadImage:
    """The article's lead picture, with its caption and photo credit kept apart."""

    url: str
    alt: str = ""
    caption: str = ""
    credit: str = ""


@dataclass(frozen=True)
class Credits:
    """The closing credits line (`Reporting by ...; Editing by ...`) split into its roles."""

    raw: str
    reporting: tuple[str, ...] = ()
    additional_reporting: tuple[str, ...] = ()
    writing: tuple[str, ...] = ()
    editing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    """One normalised news article.

    `body` is markdown paragraphs separated by blank lines, inline links kept. The document id
    derives from the canonical URL (on the page's own site: `key`), so the same story always
    lands on the same index document.
    `id`, `text` and `fingerprint` are worked out once per Article (dedup, sketching, checking
    and indexing each ask for them); `replace` gives a new Article, which works out its own.
    """

    url: str
    title: str
    outlet: str
    published_at: datetime | None
    body: str
    canonical_url: str = ""
    updated_at: datetime | None = None
    authors: tuple[str, ...] = ()
    image: LeadImage | None = None
    credits: Credits | None = None
    summary: str = ""
    language: str = ""
    tags: tuple[str, ...] = ()
    source_feed: str = ""
    fetched_at: datetime | None = None
    provenance: dict[str, str] = field(default_factory=dict)
    cluster_id: str = ""
    duplicate_of: str = ""
    lsh_bands: tuple[str, ...] = ()
    minhash: str = ""

    @cached_property
    def key(self) -> str:
        """The deduplication key: the canonical URL when it is on the page's own site, else the
        page's own URL (tracking parameters removed). A page cannot take another site's story
        by naming it canonical; `canonical_url` keeps what it claimed."""
        if not self.canonical_url:
            return self.url
        if site(self.canonical_url) == site(self.url):
            return self.canonical_url
        return canonical_url(self.url)

    @cached_property
    def id(self) -> str:
        """A deterministic document id: the same story always gets the same id."""
        return document_id(self.key)

    @cached_property
    def text(self) -> str:
        """The body as plain text: markdown links reduced to their anchor text."""
        return markdown_to_text(self.body)

    @cached_property
    def fingerprint(self) -> str:
        """A hash of what a reader sees, to tell a changed article from a re-fetched one.

        Link targets are left out: they are resolved against the URL the page was fetched
        from, so byte-identical copies of a page under two URLs must hash alike.
        """
        content = "\n".join([self.title, self.text, self.credits.raw if self.credits else ""])
        return hashlib.sha256(content.encode()).hexdigest()[:32]

    @property
    def version(self) -> int:
        """A monotonic version for the index: milliseconds from EARLIEST to the last-modified
        time, never past the fetch, so a page dated ahead of its fetch cannot outrank the
        corrections that follow it; 0 when undated. Never negative, as the index requires."""
        moment = self.updated_at or self.published_at
        if moment is None:
            return 0
        if self.fetched_at:
            moment = min(moment, self.fetched_at)
        return max(0, (moment - EARLIEST) // timedelta(milliseconds=1))

    @staticmethod
    def moment_of(version: int) -> datetime:
        """The time a version stands for (the inverse of `version` for a dated article)."""
        return EARLIEST + timedelta(milliseconds=version)

    def replace(self, **changes: Any) -> Article:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the index document and the `--format json` output.

        Its fields are those of `newswire.schemas.fields.ARTICLE_FIELDS`, in that order.
        """
        return {
            "id": self.id,
            "url": self.url,
            "canonical_url": self.canonical_url or self.url,
            "title": self.title,
            "outlet": self.outlet,
            "published_at": _iso(self.published_at),
            "updated_at": _iso(self.updated_at),
            "authors": list(self.authors),
            "image": dataclasses.asdict(self.image) if self.image else None,
            "credits": _credits_dict(self.credits),
            "body": self.body,
            "text": self.text,
            "summary": self.summary,
            "language": self.language,
            "tags": list(self.tags),
            "source_feed": self.source_feed,
            "fetched_at": _iso(self.fetched_at),
            "fingerprint": self.fingerprint,
            "provenance": dict(self.provenance),
            "cluster_id": self.cluster_id or None,
            "duplicate_of": self.duplicate_of or None,
            "lsh_bands": list(self.lsh_bands),
            "minhash": self.minhash or None,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Article:
        """The inverse of `to_dict`; derived fields (id, text, fingerprint) are recomputed."""
        image = doc.get("image")
        credits = doc.get("credits")
        return cls(
            url=doc["url"],
            title=doc.get("title", ""),
            outlet=doc.get("outlet", ""),
            published_at=_parse_iso(doc.get("published_at")),
            body=doc.get("body", ""),
            canonical_url=doc.get("canonical_url", ""),
            updated_at=_parse_iso(doc.get("updated_at")),
            authors=tuple(doc.get("authors") or ()),
            image=LeadImage(**image) if image else None,
            credits=Credits(**{k: tuple(v) if isinstance(v, list) else v
                               for k, v in credits.items()}) if credits else None,
            summary=doc.get("summary", ""),
            language=doc.get("language", ""),
            tags=tuple(doc.get("tags") or ()),
            source_feed=doc.get("source_feed", ""),
            fetched_at=_parse_iso(doc.get("fetched_at")),
            provenance=dict(doc.get("provenance") or {}),
            cluster_id=doc.get("cluster_id") or "",
            duplicate_of=doc.get("duplicate_of") or "",
            lsh_bands=tuple(doc.get("lsh_bands") or ()),
            minhash=doc.get("minhash") or "",
        )


def document_id(key: str) -> str:
    """The index id for a dedup key: 20 hex digits of its SHA-256."""
    return hashlib.sha256(key.encode()).hexdigest()[:20]


_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def markdown_to_text(markdown: str) -> str:
    """Plain text of our body markdown: links become their anchor text."""
    return _MD_LINK.sub(r"\1", markdown)


def _credits_dict(credits: Credits | None) -> dict[str, Any] | None:
    if credits is None:
        return None
    return {k: list(v) if isinstance(v, tuple) else v
            for k, v in dataclasses.asdict(credits).items()}


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if moment else None


def _parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
