"""Boilerplate, byline and timestamp lines, and markdown read as plain text."""

from __future__ import annotations

import pytest

from newswire.transforms.extraction.boilerplate import (
    is_boilerplate,
    is_byline_or_timestamp,
    is_timestamp,
    plain,
)


@pytest.mark.parametrize("line", [
    "The newspaper said the reporter had breached its editorial standards.",
    "Officials said the licensing rights would be sold at auction next month.",
    "Residents may send comments to harbour@council.example until the end of March.",
    "(The harbour master declined to comment on the repairs.)",
    "With reports of storms to the north, the ferries stayed in port.",
    "The council said the quay was reserved for subscribers of the ferry pass.",
])
def test_sentences_that_mention_standards_are_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(line)


@pytest.mark.parametrize("line", [
    "Do you have a story to tell? Email: desk@courier.example",
    "Ana Ruiz ana.ruiz@courier.example",
    "Ihre Meinung ist uns wichtig. Senden Sie uns Ihr Feedback an: briefe@courier.example",
    "READ NEXT: Ferry fares rise again",
    "(dmk)", "(dpa/red)", "Mit Agenturmaterial.", "Mit Material von dpa",
    "With reports from the Courier and the Gazette", "With additional reporting by Ana Ruiz",
    "This article was originally published by the Gazette.",
    "Dieser Artikel ist zuerst bei der Gazette erschienen.",
    "Sign up for breaking news, reviews and more.",
    "Du musst dich einloggen, um einen Kommentar abzugeben.",
    "Il vous reste 57% de cet article \u00e0 lire. "
    "La suite est r\u00e9serv\u00e9e aux abonn\u00e9s.",
])
def test_notes_around_the_story_are_boilerplate(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(("text", "expected"), [
    ("Posted Wednesday, November 18, 2026 9:25 AM", True),
    ("Updated Nov. 20, 2026, 9:15 a.m. ET", True),
    ("November 19, 2026 3:04 PM UTC", True),
    ("2026-11-19", True),
    ("Published 3 hours ago", True),
    ("The council met on November 18, 2026 at 9 a.m. to vote.", False),
    ("Updated guidance", False),
    ("Stand: 22.04.2026, 06:00 Uhr", True),
    ("Giri\u015f:03.07.2026 - 18:24", True),
    ("Stand der Dinge: zw\u00f6lf Boote", False),
])
def test_timestamps(text: str, expected: bool) -> None:
    assert is_timestamp(text) is expected


def test_a_byline_and_timestamp_line_is_recognised_as_a_whole() -> None:
    assert is_byline_or_timestamp("By Jane Doe | Updated May 2, 2025")
    assert is_byline_or_timestamp("Uppdaterad 15.59 | Publicerad 14.14")
    assert not is_byline_or_timestamp("LONDON — The Bank of England held rates on Thursday.")


def test_markdown_plain_text() -> None:
    assert plain("A **bold** [link](https://x.example/a_b) and snake\\_case") == (
        "A bold link and snake_case")
