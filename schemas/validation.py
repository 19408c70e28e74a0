"""The article's JSON Schema, generated from its field table, and validation that names the
offending field."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from newswire.schemas.article import EARLIEST, FUTURE_SLACK, Article
from newswire.schemas.fields import ARTICLE_FIELDS, Field, Kind

TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"


class InvalidArticle(ValueError):
    """A record that breaks the schema; `field` is its dotted path, e.g. `image.url`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field or '(record)'}: {message}")
        self.field = field


def article_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an article document, from `ARTICLE_FIELDS`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://newswire.dev/schemas/article.schema.json",
        "title": "newswire article",
        "description": "One normalised news article, as indexed and as printed by --format json.",
        **_object(ARTICLE_FIELDS),
    }


def _object(fields: tuple[Field, ...]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False}
    if required := [item.name for item in fields if item.required]:
        schema["required"] = required
    schema["properties"] = {item.name: _property(item) for item in fields}
    return schema


def _property(item: Field) -> dict[str, Any]:
    schema = _object(item.fields) if item.kind is Kind.OBJECT else _string(item)
    if item.many:
        schema = {"type": "array", "items": schema}
    if item.nullable:
        schema["type"] = [schema["type"], "null"]
    return schema


def _string(item: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if item.kind is Kind.TIME:
        schema.update(format="date-time", pattern=TIME_PATTERN)
    if item.pattern:
        schema["pattern"] = item.pattern
    if item.non_empty:
        schema["minLength"] = 1
    return schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(article_schema())


def validate_document(document: dict[str, Any]) -> None:
    """Raise InvalidArticle for the first problem in an index document, by field path."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        raise InvalidArticle(".".join(str(p) for p in error.absolute_path), error.message)


def date_bounds(fetched_at: datetime | None) -> tuple[datetime, datetime]:
    """The span an article's dates fall in: from EARLIEST to FUTURE_SLACK past its fetch (or
    now). A date outside is a mistake, and as a version it would misorder the article."""
    return EARLIEST, (fetched_at or datetime.now(timezone.utc)) + FUTURE_SLACK


def validate_dates(article: Article) -> None:
    """Raise InvalidArticle for a date outside `date_bounds`."""
    earliest, latest = date_bounds(article.fetched_at)
    for name in ("published_at", "updated_at"):
        moment: datetime | None = getattr(article, name)
        if moment and not earliest <= moment <= latest:
            raise InvalidArticle(name, f"{moment.isoformat()} is not between "
                                       f"{earliest.date()} and {latest.isoformat()}")


def validate(article: Article) -> Article:
    """Validate an Article and hand it back, for use inside a Map."""
    validate_document(article.to_dict())
    validate_dates(article)
    return article
