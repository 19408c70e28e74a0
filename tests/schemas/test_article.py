"""The article model: its dict form, derived fields and fingerprint."""

from __future__ import annotations

from datetime import datetime, timezone

from newswire.schemas.article import Article


def test_to_dict_and_from_dict_are_inverse(article: Article) -> None:
    assert Article.from_dict(article.to_dict()) == article


def test_derived_fields(article: Article) -> None:
    doc = article.to_dict()
    assert doc["id"] == article.id and len(article.id) == 20
    assert "[disregarding heavy losses]" not in doc["text"]
    assert "disregarding heavy losses" in doc["text"]
    assert doc["published_at"] == "2023-10-26T21:07:00Z"
    assert article.version == (datetime(2023, 10, 27, 8, tzinfo=timezone.utc)
                               - datetime(1900, 1, 1, tzinfo=timezone.utc)).total_seconds() * 1000


def test_the_fingerprint_follows_the_content(article: Article) -> None:
    assert article.replace(fetched_at=datetime.now(timezone.utc)).fingerprint == article.fingerprint
    assert article.replace(body=article.body + "\n\nMore.").fingerprint != article.fingerprint
