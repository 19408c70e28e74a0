"""Scoring one extracted article against hand-checked truth, field by field.

The rules are those of the labelled-pages format (`newswire evaluate`): text is compared after
Unicode NFKC, without soft hyphens and zero-width characters, with whitespace and case folded.
Each scorer returns its metrics for one page, or None when the truth has no value for the field
(such pages do not count for it).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_TOKEN = re.compile(r"\w+")
_BY = re.compile(r"^(?:by|von|par|por)\s+")
_WITHIN = 60.0  # seconds


@dataclass(frozen=True)
class Extracted:
    """The scored fields of one page as an extractor gave them."""

    title: str = ""
    published: datetime | None = None
    authors: tuple[str, ...] = ()
    body: str = ""
    caption: str = ""
    credit: str = ""


# Each field's metrics, the first being the one pages are ranked by in a "worst pages" list.
METRICS: dict[str, tuple[str, ...]] = {
    "title": ("exact", "f1"),
    "published": ("within_60s", "same_day"),
    "authors": ("f1",),
    "body": ("f1",),
    "caption": ("f1", "exact"),
    "credit": ("exact", "f1"),
}
# The metric that orders pages from worst to best (a continuous one where there is one).
RANKED_BY = {"title": "f1", "published": "within_60s", "authors": "f1", "body": "f1",
             "caption": "f1", "credit": "f1"}


def normalize(text: str | None) -> str:
    """Text as compared: NFKC, invisible characters removed, whitespace and case folded."""
    text = unicodedata.normalize("NFKC", text or "").translate(_INVISIBLE)
    return " ".join(text.casefold().split())


def tokens(text: str | None) -> list[str]:
    """The word tokens of normalised text (punctuation and markup signs are not tokens)."""
    return _TOKEN.findall(normalize(text))


def f1(expected: list[str] | set[str], got: list[str] | set[str]) -> float:
    """F1 of two bags (or sets) of items; 1.0 when both are empty."""
    want, have = Counter(expected), Counter(got)
    if not want and not have:
        return 1.0
    common = sum((want & have).values())
    if not common:
        return 0.0
    precision, recall = common / sum(have.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def text_scores(expected: str | None, got: str) -> dict[str, float] | None:
    """Exact match and token F1 of a text field."""
    if not normalize(expected):
        return None
    return {"exact": float(normalize(expected) == normalize(got)),
            "f1": f1(tokens(expected), tokens(got))}


def published_scores(expected: str | datetime | None,
                     got: datetime | None) -> dict[str, float] | None:
    """Whether the time is within 60 seconds of the truth, and on the same UTC day."""
    truth = parse_time(expected)
    if truth is None:
        return None
    if got is None:
        return {"within_60s": 0.0, "same_day": 0.0}
    got = got if got.tzinfo else got.replace(tzinfo=timezone.utc)
    return {"within_60s": float(abs((got - truth).total_seconds()) <= _WITHIN),
            "same_day": float(got.astimezone(timezone.utc).date() == truth.date())}


def author_scores(expected: list[str] | None, got: tuple[str, ...]) -> dict[str, float] | None:
    """F1 of the sets of names, a leading By/Von/Par/Por ignored."""
    want = {_name(name) for name in expected or ()} - {""}
    if not want:
        return None
    return {"f1": f1(want, {_name(name) for name in got} - {""})}


def body_scores(expected: str | None, got: str) -> dict[str, float] | None:
    """Token F1 of the body against the whole truth body."""
    if not normalize(expected):
        return None
    return {"f1": f1(tokens(expected), tokens(got))}


def score_page(truth: dict, got: Extracted | None) -> dict[str, dict[str, float]]:
    """Every counted field's metrics for one page; a failed extraction (None) scores zero."""
    got = got or Extracted()
    scored = {
        "title": text_scores(truth.get("title"), got.title),
        "published": published_scores(truth.get("published"), got.published),
        "authors": author_scores(truth.get("authors"), got.authors),
        "body": body_scores(truth.get("body"), got.body),
        "caption": text_scores(truth.get("image_caption"), got.caption),
        "credit": text_scores(truth.get("image_credit"), got.credit),
    }
    return {name: metrics for name, metrics in scored.items() if metrics is not None}


def parse_time(value: str | datetime | None) -> datetime | None:
    """A truth timestamp (ISO, with offset; a naive one taken as UTC) in UTC."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _name(name: str) -> str:
    return _BY.sub("", normalize(name))
