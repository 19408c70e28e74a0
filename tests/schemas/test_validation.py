"""Validation against the article's JSON Schema: a valid article passes, a malformed record is
refused naming the field."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from newswire.schemas.article import Article, LeadImage
from newswire.schemas.validation import InvalidArticle, validate, validate_document


def test_a_valid_article_passes(article: Article) -> None:
    assert validate(article) is article


@pytest.mark.parametrize(("change", "field"), [
    ({"title": ""}, "title"),
    ({"url": "ftp://x"}, "url"),
    ({"published_at": "yesterday"}, "published_at"),
    ({"image": {"url": "no scheme", "alt": ""}}, "image.url"),
    ({"credits": {"reporting": ["A"]}}, "credits"),
    ({"authors": ["ok", ""]}, "authors.1"),
    ({"surprise": 1}, ""),
    ({"provenance": {"title": "h1", "byline": "meta"}}, "provenance"),
])
def test_malformed_records_are_rejected_naming_the_field(
        article: Article, change: dict, field: str) -> None:
    doc = {**article.to_dict(), **change}
    with pytest.raises(InvalidArticle) as caught:
        validate_document(doc)
    assert caught.value.field == field
    assert str(caught.value).startswith(field or "(record)")


def test_an_image_needs_a_url() -> None:
    article = Article(url="https://x.example/a", title="T", outlet="O", body="B.",
                      published_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
                      image=LeadImage(url=""))
    with pytest.raises(InvalidArticle, match=r"image\.url"):
        validate(article)
