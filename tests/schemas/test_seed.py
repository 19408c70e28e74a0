"""The seed format: byte-exact round trips, the caption split, and errors that name the line."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from newswire.schemas import seed
from newswire.schemas.article import Article, LeadImage
from newswire.schemas.seed import SeedFormatError
from tests import REPO

SEED = REPO / "seeds" / "000_096ae25def07195c.txt"
SHARED_SEED = REPO.parent / "shared" / "seeds" / SEED.name


def corpus_documents() -> list[Path]:
    root = SEED.parent / "corpus"
    return sorted(p for p in root.rglob("*.txt") if p.name != "feeds.txt")


def test_the_seed_round_trips_byte_for_byte() -> None:
    text = SEED.read_text()
    assert seed.render(seed.parse(text)) == text


def test_the_bundled_seed_is_the_shared_original() -> None:
    if not SHARED_SEED.exists():
        pytest.skip("no shared/ checkout beside this repository")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_the_seed_fields() -> None:
    article = seed.parse(SEED.read_text())
    assert article.title == "White House: Russia is executing soldiers who refuse to follow orders"
    assert article.outlet == "Reuters"
    assert article.published_at == datetime(2023, 10, 26, 21, 7, tzinfo=timezone.utc)
    assert article.image is not None
    assert article.image.credit == "REUTERS/Alexey Pavlishak/File Photo"
    assert article.image.caption.endswith("Crimea, April 25, 2023.")
    assert article.image.alt.startswith("Russian conscripts depart")
    assert article.credits is not None
    assert article.credits.reporting == ("Steve Holland", "Jeff Mason")
    assert article.credits.additional_reporting == ("Ronald Popeski", "Arshad Mohammed")
    assert article.credits.editing == ("Daniel Wallis",)
    assert "[disregarding heavy losses](https://www.reuters.com/" in article.body
    assert len(article.body.split("\n\n")) == 9


@pytest.mark.parametrize("path", corpus_documents(), ids=lambda p: p.stem[:40])
def test_every_corpus_document_round_trips(path: Path) -> None:
    text = path.read_text()
    assert seed.render(seed.parse(text)) == text


def test_an_image_without_caption_writes_its_alt_text() -> None:
    article = Article(url="https://x.example/a", title="T", outlet="O", body="Body.",
                      published_at=datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc),
                      image=LeadImage(url="https://x.example/i.jpg", alt="A harbour"))
    text = seed.render(article)
    assert text.split("\n\n")[4] == "A harbour"
    assert seed.render(seed.parse(text)) == text


@pytest.mark.parametrize(("text", "line", "words"), [
    ("Title\n**O**", 1, "title"),
    ("# T\nOutlet", 2, "outlet"),
    ("# T\n**O**\n\n**2023-13-01 10:00**\n\n**https://x**\n\nBody", 4, "timestamp"),
    ("# T\n**O**\n\n**2023-10-01 10:00**\n\nhttps://x\n\nBody", 6, "URL"),
    ("# T\n**O**\n\n**2023-10-01 10:00**\n\n**https://x**\n\n\nBody", 8, "blank"),
    ("# T\n**O**\n\n**2023-10-01 10:00**\n\n**https://x**\n\n![a](https://i)", 8, "caption"),
])
def test_malformed_documents_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(SeedFormatError) as caught:
        seed.parse(text)
    assert caught.value.line == line
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"line {line}:")
