"""A page with no article (navigation only) is an extraction dead letter, not an article."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from apache_beam.pvalue import TaggedOutput

from newswire.schemas.article import Article
from newswire.transforms.extraction.extract import ExtractArticles
from newswire.transforms.records import DEAD_LETTER, FeedEntry, Page
from tests.faults.test_sources_feeds import ARTICLE, NAVIGATION

LINKS_ONLY = """<html><head><title>Sections</title></head><body><main><p>
<a href="/world">World news from every desk</a> | <a href="/business">Business</a> |
<a href="/markets">Markets and the economy today</a> | <a href="/sport">Sport</a></p>
</main></body></html>"""


def extract(html: str) -> list[object]:
    url = "https://news.example/story"
    page = Page(entry=FeedEntry(link=url, feed_url="https://news.example/rss"), url=url,
                html=html, fetched_at=datetime(2026, 12, 1, tzinfo=timezone.utc))
    return list(ExtractArticles().process(page))


@pytest.mark.parametrize("html", [NAVIGATION, LINKS_ONLY])
def test_a_page_of_links_only_is_an_extraction_dead_letter(html: str) -> None:
    [out] = extract(html)
    assert isinstance(out, TaggedOutput) and out.tag == DEAD_LETTER
    assert (out.value.stage, out.value.unit) == ("extract", "entry")
    assert out.value.reason.startswith("no article")


JAPANESE = ("港湾委員会は火曜日、二年間の改修を終えた古い桟橋の市場を再開することを決めた。"
            "商人たちは多くの客が来ると期待している。")
ARTICLE_JA = f"""<html lang="ja"><head><title>桟橋の市場が再開</title></head><body><article>
<h1>桟橋の市場が再開</h1><p>{JAPANESE}</p><p>{JAPANESE}</p></article></body></html>"""


@pytest.mark.parametrize(("html", "text"), [(ARTICLE, "harbour board"),
                                            (ARTICLE_JA, "港湾委員会")])
def test_an_article_still_extracts(html: str, text: str) -> None:
    """Prose is counted in characters: Japanese puts no spaces between its words."""
    [out] = extract(html)
    assert isinstance(out, Article) and text in out.body
