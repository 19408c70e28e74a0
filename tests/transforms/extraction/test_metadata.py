"""Page metadata: which JSON-LD object is the article, meta tags, links, times, names."""

from __future__ import annotations

import pytest
from trafilatura.utils import load_html

from newswire.transforms.extraction.metadata import (
    names,
    organisations,
    read_metadata,
    sections,
)
from tests.transforms.extraction.markup import NEWS, jsonld, page


def metadata(head: str) -> dict:
    return read_metadata(load_html(page(head))).jsonld


WEBPAGE = {"@type": "WebPage", "name": "Courier", "datePublished": "2020-01-01T00:00:00Z"}


def test_a_news_article_beats_a_web_page_before_it() -> None:
    assert metadata(jsonld(WEBPAGE) + jsonld(NEWS))["headline"] == "Harbour reopens"


@pytest.mark.parametrize("data", [
    {"@context": "https://schema.org", "@graph": [WEBPAGE, NEWS]},
    {**WEBPAGE, "mainEntity": NEWS},
    [WEBPAGE, {**NEWS, "@type": ["NewsArticle", "Thing"]}],
    [WEBPAGE, {**NEWS, "@type": "https://schema.org/ReportageNewsArticle"}],
])
def test_the_article_is_found_in_graphs_main_entities_and_lists(data: object) -> None:
    assert metadata(jsonld(data))["headline"] == "Harbour reopens"


def test_a_web_page_is_used_when_there_is_no_article() -> None:
    assert metadata(jsonld(WEBPAGE))["name"] == "Courier"


@pytest.mark.parametrize("wrap", [
    "//<![CDATA[\n{}\n//]]>", "<!--{}-->", "/* <![CDATA[ */{}/* ]]> */"])
def test_wrapped_json_ld_is_read(wrap: str) -> None:
    assert metadata(jsonld(NEWS, wrap))["headline"] == "Harbour reopens"


def test_meta_tags_links_title_heading_time_and_language_are_each_kept_apart() -> None:
    html = ("<html lang='de-AT'><head><title>Harbour reopens | Courier</title>"
            "<meta property='og:title' content=' Harbour reopens '>"
            "<meta property='article:published:time' content='2026-03-04T12:00:00Z'>"
            "<meta name='author' content='Ana Ruiz'>"
            "<link rel='alternate' href='https://news.example/amp'>"
            "<link rel='Canonical' href='https://news.example/harbour'></head><body>"
            "<time datetime='2026-01-01'>sidebar</time><article><h1>Harbour reopens</h1>"
            "<time datetime='2026-03-04T12:00:00Z'>4 March</time></article></body></html>")
    found = read_metadata(load_html(html))
    assert found.og == {"og:title": "Harbour reopens",
                        "article:published_time": "2026-03-04T12:00:00Z"}
    assert found.meta == {"author": "Ana Ruiz"}
    assert found.canonical == "https://news.example/harbour"
    assert (found.title_tag, found.h1) == ("Harbour reopens | Courier", "Harbour reopens")
    assert found.time == "2026-03-04T12:00:00Z"  # the time in the article beats an earlier one
    assert found.language == "de"


def test_repeated_tags_are_joined_and_a_link_yields_to_a_text_value() -> None:
    head = ("<meta property='article:tag' content='harbour'><meta property='article:tag' "
            "content='storms'><meta property='article:author' content='https://social.example/a'>"
            "<meta property='article:author' content='Ana Ruiz'>")
    found = read_metadata(load_html(page(head)))
    assert found.og["article:tag"] == "harbour, storms"
    assert found.og["article:author"] == "Ana Ruiz"


@pytest.mark.parametrize("times", [
    "Updated <time datetime='2026-03-06T09:00:00Z'>6 March</time> Published "
    "<time class='published' datetime='2026-03-04T12:00:00Z'>4 March</time>",
    "<time itemprop='dateModified' datetime='2026-03-06T09:00:00Z'>6 March</time>"
    "<time itemprop='datePublished' datetime='2026-03-04T12:00:00Z'>4 March</time>",
    "<span class='date-updated'><time datetime='2026-03-06T09:00:00Z'>6 March</time></span>"
    "<time datetime='2026-03-04T12:00:00Z'>4 March</time>",
])
def test_the_time_marked_as_the_publication_beats_an_update_before_it(times: str) -> None:
    assert read_metadata(load_html(page(body=times))).time == "2026-03-04T12:00:00Z"


def test_the_heading_in_the_article_is_the_pages_heading_not_a_logo_before_it() -> None:
    def heading(body: str) -> str:
        return read_metadata(load_html(f"<html><body>{body}</body></html>")).h1

    assert heading("<header><h1>Courier</h1></header><article><h1>Harbour</h1></article>") == (
        "Harbour")
    assert heading("<header><h1>Harbour</h1></header><main><h1>Ferries</h1></main>") == "Harbour"


def test_a_heading_in_a_login_dialog_is_not_the_pages_heading() -> None:
    body = "<div class='login-modal'><h1>Sign in</h1></div><h1>Harbour reopens</h1>"
    assert read_metadata(load_html(page(body=body))).h1 == "Harbour reopens"


@pytest.mark.parametrize(("heading", "text"), [
    ("<span class='kicker'>Storm season</span>Harbour reopens", "Storm season Harbour reopens"),
    ("Storm season<span>Harbour reopens</span>", "Storm season Harbour reopens"),
    ("Harbour<b>master</b> and <a href='/x'>Ana Ruiz</a>, in 2026",
     "Harbourmaster and Ana Ruiz, in 2026"),
    ("A 40 km<sup>2</sup> bay<!-- ad -->Reopens", "A 40 km2 bayReopens"),
])
def test_a_headings_elements_part_words_only_where_a_capital_or_digit_follows(
        heading: str, text: str) -> None:
    """A kicker's element then the headline, with no space between, reads as two words (a
    page showing them on two lines); an element inside a word or before a comma does not."""
    assert read_metadata(load_html(page(body=f"<h1>{heading}</h1>"))).h1 == text


def test_json_ld_objects_with_an_id_are_kept_for_references() -> None:
    graph = {"@graph": [NEWS, {"@type": "Person", "@id": "#ana", "name": "Ana Ruiz"}]}
    found = read_metadata(load_html(page(jsonld(graph))))
    assert found.jsonld["headline"] == "Harbour reopens"
    assert found.jsonld_nodes["#ana"]["name"] == "Ana Ruiz"


def test_broken_json_ld_is_skipped() -> None:
    head = "<script type='application/ld+json'>{\"@type\": \"NewsArticle\",</script>"
    assert read_metadata(load_html(page(head))).jsonld == {}


@pytest.mark.parametrize(("value", "expected"), [
    ("Ana Ruiz", ["Ana Ruiz"]),
    ("  ", []),
    ({"@type": "Person", "name": "Ana Ruiz"}, ["Ana Ruiz"]),
    ({"givenName": "Ana", "familyName": "Ruiz"}, ["Ana Ruiz"]),
    ([{"name": "Ana Ruiz"}, "Tom Berg", 7], ["Ana Ruiz", "Tom Berg"]),
    ({"@id": "#tom"}, ["Tom Berg"]),
    ({"@id": "#nobody"}, []),
])
def test_names_from_json_ld_values(value: object, expected: list[str]) -> None:
    assert names(value, {"#tom": {"@type": "Person", "name": "Tom Berg"}}) == expected


def test_organisations_are_told_apart_from_people() -> None:
    value = [{"@type": "Person", "name": "Ana Ruiz"},
             {"@type": ["NewsMediaOrganization"], "name": "Courier"},
             {"@type": "Organization", "name": "Wire"}, "Tom Berg"]
    assert organisations(value) == {"Courier", "Wire"}
    assert organisations({"@type": "Person", "name": "Ana Ruiz"}) == set()


def test_sections_come_from_json_ld_and_section_or_category_tags() -> None:
    head = (jsonld({**NEWS, "articleSection": ["Sport", " Local  news "]})
            + "<meta property='article:section' content='Sport'>"
            "<meta name='parsely-section' content='Harbour'>"
            "<meta name='content_category' content='Ports'>"
            "<meta name='categories' content='not a section tag'>")
    found = sections(read_metadata(load_html(page(head))))
    assert found == ["Sport", "Local news", "Sport", "Harbour", "Ports"]
