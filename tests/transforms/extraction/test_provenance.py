"""Fields taken from an entry are credited to what listed it: a feed, a sitemap, a WARC record."""

from __future__ import annotations

from datetime import datetime, timezone

from newswire.schemas.article import Article
from newswire.transforms.extraction.provenance import credit_source
from newswire.transforms.records import FeedEntry

ARTICLE = Article(url="https://a.example/1", title="T", outlet="O",
                  published_at=datetime(2026, 11, 30, tzinfo=timezone.utc), body="B",
                  provenance={"title": "feed", "outlet": "og", "published_at": "feed"})


def test_entry_fields_are_credited_to_the_sitemap_and_its_language_fills_in() -> None:
    entry = FeedEntry(link=ARTICLE.url, feed_url="https://a.example/news.xml", language="en-GB",
                      source="sitemap")
    credited = credit_source(ARTICLE, entry)
    assert credited.provenance == {"title": "sitemap", "outlet": "og",
                                   "published_at": "sitemap", "language": "sitemap"}
    assert credited.language == "en"


def test_the_page_s_own_language_wins() -> None:
    entry = FeedEntry(link=ARTICLE.url, feed_url="w.warc.gz", language="de", source="warc")
    credited = credit_source(ARTICLE.replace(language="fr"), entry)
    assert credited.language == "fr"
    assert credited.provenance["title"] == "warc" and "language" not in credited.provenance


def test_feed_entries_are_left_as_they_are() -> None:
    entry = FeedEntry(link=ARTICLE.url, feed_url="https://a.example/rss.xml")
    assert credit_source(ARTICLE, entry) is ARTICLE
