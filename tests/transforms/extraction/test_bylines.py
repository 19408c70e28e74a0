"""Author names from byline lines, metadata values and the page's byline element."""

from __future__ import annotations

import pytest
from trafilatura.utils import load_html

from newswire.transforms.extraction.bylines import (
    byline_names,
    clean_names,
    dateline_agency,
    is_name,
    page_byline,
)


@pytest.mark.parametrize(("line", "names"), [
    ("By Jane Doe, Staff Writer", ["Jane Doe"]),
    ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
    ("By Ana Ruiz, Tom Becker and Lena Hoffmann", ["Ana Ruiz", "Tom Becker", "Lena Hoffmann"]),
    ("By Jane Doe in London, Reuters", ["Jane Doe"]),
    ("By Jane Doe, Berlin", ["Jane Doe"]),
    ("By Jane Doe, Berlin and John Roe", ["Jane Doe", "John Roe"]),
    ("BY Ludwig van Beethoven", ["Ludwig van Beethoven"]),
    ("By JANE DOE Associated Press", ["JANE DOE"]),
    ("By Jane Doe for The Guardian", ["Jane Doe"]),
    ("By Reuters Staff", []),
    ("By the way.", None),
    ("By Tuesday, officials said the bridge would reopen.", None),
    ("By 2030 the city will need more homes", None),
    ("By the end of the year, prices had doubled", None),
    ("Jane Doe", None),
])
def test_byline_names(line: str, names: list[str] | None) -> None:
    assert byline_names(line) == names


def test_clean_names_from_bylines_and_metadata() -> None:
    assert clean_names(["By Jane Doe, Staff Writer", "Jane Doe", "John Roe and Ann Lee"]) == [
        "Jane Doe", "John Roe", "Ann Lee"]


def test_a_lone_word_after_a_full_name_and_a_comma_is_a_place_or_a_role_not_an_author() -> None:
    assert clean_names(["Ana Ruiz, Kyiv", "Tom Berg, Redakteur"]) == ["Ana Ruiz", "Tom Berg"]
    assert clean_names(["Ana Ruiz, AFP", "Ana Ruiz and Madonna"]) == ["Ana Ruiz", "AFP", "Madonna"]


def test_the_pages_word_for_by_goes_but_not_a_particle_of_a_name() -> None:
    assert clean_names(["Von Ana Ruiz und Ben Ode"], "de") == ["Ana Ruiz", "Ben Ode"]
    assert clean_names(["par Ana Ruiz"], "fr") == ["Ana Ruiz"]
    assert clean_names(["Von der Leyen"], "de") == ["Von der Leyen"]
    assert clean_names(["di Marco Rossi"], "it") == ["Marco Rossi"]
    assert clean_names(["Di Marco Rossi"], "it") == ["Di Marco Rossi"]  # the surname Di Marco


def test_an_agency_a_byline_adds_with_the_pages_word_for_with_is_a_second_author() -> None:
    assert clean_names(["Von Ana Ruiz mit dpa"], "de") == ["Ana Ruiz", "dpa"]
    assert clean_names(["Ana Ruiz con EFE"], "es") == ["Ana Ruiz", "EFE"]
    assert clean_names(["Ana Ruiz mit dpa/AFP"], "de") == ["Ana Ruiz", "dpa", "AFP"]
    assert clean_names(["Ana Ruiz mit Fotos von Tom Berg"], "de") == [
        "Ana Ruiz mit Fotos von Tom Berg"]  # not an agency: left as it is


def test_an_agency_in_capitals_in_parentheses_after_a_name_is_a_second_author() -> None:
    assert clean_names(["Ana Ruiz (AFP)"], "de") == ["Ana Ruiz", "AFP"]
    assert clean_names(["Von Ana Ruiz (SDA)"], "de") == ["Ana Ruiz", "SDA"]
    assert clean_names(["Ana Ruiz (APA/AFP)"]) == ["Ana Ruiz", "APA", "AFP"]
    assert clean_names(["Ana Ruiz (ar)"]) == ["Ana Ruiz"]  # the desk's initials: dropped


def test_clean_names_split_on_the_pages_language_and_drop_addresses_and_initials() -> None:
    assert clean_names(["Ana Ruiz und Tom Berg"], "de") == ["Ana Ruiz", "Tom Berg"]
    assert clean_names(["Ana Ruiz/Tom Berg", "Lena Hoffmann / dpa"]) == [
        "Ana Ruiz", "Tom Berg", "Lena Hoffmann", "dpa"]
    assert clean_names(["Ana Ruiz (ar)", "desk@news.example", "ana-ruiz", "48213"]) == [
        "Ana Ruiz"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Ana Ruiz", True),
    ("Ludwig van Beethoven", True),
    ("Tuesday", False),
    ("the harbour master said the quay was busy", False),
])
def test_is_name(text: str, expected: bool) -> None:
    assert is_name(text) is expected


def test_the_page_byline_gives_the_names_of_its_links() -> None:
    tree = load_html("<html><body><article><p class='byline'>By <a href='/ana'>Ana Ruiz</a> "
                     "and <a href='/tom'>Tom Berg</a> <a href='/share'>Share</a></p>"
                     "<p>The harbour reopened.</p></article></body></html>")
    assert page_byline(tree) == ["Ana Ruiz", "Tom Berg"]


@pytest.mark.parametrize("byline", [
    "<p class='byline'>By Ana Ruiz, <time>4 March 2026</time></p>",
    "<p class='byline'>Ana Ruiz | 04.03.2026, 12:00</p>",
    "<p class='byline'>By Ana Ruiz<br>March 4, 2026 at 12:00</p>",
    "<div class='article-author'>Ana Ruiz<span class='role'>Redakteurin</span></div>",
    "<div class='author'>Ana Ruiz | Redakteurin</div>",
    "<div class='author'>Ana Ruiz, Korrespondentin in Berlin</div>",
    "<p class='byline'>Text: Ana Ruiz</p>",
    "<p class='author'>Ana Ruiz (ar)</p>",
    "<div class='byline'><span>Ana Ruiz</span><span>Senior Correspondent</span></div>",
    "<div class='author'>Ana Ruiz, Leitende Redakteurin</div>",
    "<p class='byline'>Ana Ruiz Updated 12:00 GMT</p>",
    "<p class='byline'>Ana Ruiz Stand: 4. M\u00e4rz 2026</p>",
])
def test_a_byline_elements_dates_roles_places_and_labels_are_not_names(byline: str) -> None:
    tree = load_html(f"<html><body><article>{byline}<p>The harbour reopened.</p></article>"
                     "</body></html>")
    assert clean_names(page_byline(tree)) == ["Ana Ruiz"]


def test_an_authors_box_with_a_biography_is_no_byline() -> None:
    biography = "Ana Ruiz writes about harbours, ferries and the people who keep them running. " * 3
    tree = load_html(f"<html><body><article><div class='author'>{biography}</div>"
                     "<p>The harbour reopened.</p></article></body></html>")
    assert page_byline(tree) == []


def test_a_page_without_a_byline_element_gives_no_names() -> None:
    tree = load_html("<html><body><article><p>The harbour reopened.</p></article></body></html>")
    assert page_byline(tree) == []


@pytest.mark.parametrize(("paragraph", "agency"), [
    ("Berlin (dpa) - The harbour reopened on Wednesday.", ["dpa"]),
    ("HARBOUR CITY (AP) \u2014 The harbour reopened on Wednesday.", ["AP"]),
    ("**Wien (APA/AFP):** The harbour reopened on Wednesday.", ["APA/AFP"]),
    ("The harbour (pictured) - reopened on Wednesday.", []),
    ("The harbour reopened on Wednesday (AP).", []),
])
def test_the_agency_a_dateline_names(paragraph: str, agency: list[str]) -> None:
    assert dateline_agency(paragraph) == agency
