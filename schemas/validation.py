"""Validation of article records against `article.schema.json`, naming the offending field."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from newswire.schemas.article import EARLIEST, FUTURE_SLACK, Article


class InvalidArticle(ValueError):
    """A record that breaks the schema; `field` is its dotted path, e.g. `image.url`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field or '(record)'}: {message}")
        self.field = field


@cache
def _validator() -> Draft202012Validator:
    schema = json.loads((resources.files("newswire.schemas") / "article.schema.json").read_text())
    return Draft202012Validator(schema)


def validate_document(document: dict[str, Any]) -> None:
    """Raise InvalidArticle for the first problem in an index document, by field path."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        raise InvalidArticle(".".join(str(p) for p in error.absolute_path), error.message)


def validate_dates(article: Article) -> None:
    """Raise InvalidArticle for a date before EARLIEST or past the fetch (or now) by more than
    FUTURE_SLACK: such a date is a mistake, and as a version it would misorder the article."""
    latest = (article.fetched_at or datetime.now(timezone.utc)) + FUTURE_SLACK
    for name in ("published_at", "updated_at"):
        moment: datetime | None = getattr(article, name)
        if moment and not EARLIEST <= moment <= latest:
            raise InvalidArticle(name, f"{moment.isoformat()} is not between "
                                       f"{EARLIEST.date()} and {latest.isoformat()}")


def validate(article: Article) -> Article:
    """Validate an Article and hand it back, for use inside a Map."""
    validate_document(article.to_dict())
    validate_dates(article)
    return article
