"""General extraction rules found on real publishers' pages, each on a minimal page of our own:
which JSON-LD object is the article, titles, times, bylines, the body, captions and credits."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from trafilatura.utils import load_html

from newswire.transforms.extract import extract_article
from newswire.transforms.metadata import read_metadata

URL = "https://news.example/2026/03/harbour"
STORY = ("<p>The harbour reopened on Wednesday after a winter of repairs to its stone walls, "
         "which the storms of January had breached in three places.</p><p>Fishing boats "
         "returned first, followed by the ferry that links the two islands, and by noon the "
         "quay was as busy as before, the harbour master said.</p>")


def page(head: str = "", body: str = STORY, lang: str = "en") -> str:
    return (f"<html lang='{lang}'><head><title>Harbour reopens | Courier</title>{head}</head>"
            f"<body><article>{body}</article></body></html>")


def jsonld(data: object, wrap: str = "{}") -> str:
    return f"<script type='application/ld+json'>{wrap.format(json.dumps(data))}</script>"


def metadata(head: str) -> dict:
    return read_metadata(load_html(page(head))).jsonld


# --- which JSON-LD object is the article -----------------------------------------------------

WEBPAGE = {"@type": "WebPage", "name": "Courier", "datePublished": "2020-01-01T00:00:00Z"}
NEWS = {"@type": "NewsArticle", "headline": "Harbour reopens",
        "datePublished": "2026-03-04T12:00:00Z"}


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


def test_html_entities_in_json_ld_strings_are_decoded() -> None:
    head = jsonld({**NEWS, "headline": "&#8216;Harbour&#8217; reopens &amp; rebuilds"})
    article = extract_article(page(head), URL)
    assert article.title == "\u2018Harbour\u2019 reopens & rebuilds"
    assert article.published_at == datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
