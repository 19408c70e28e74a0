"""Credit what listed an entry: fields extraction took from it came from a sitemap or a WARC
record as often as from a feed, and `provenance` should say which."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from newswire.schemas.article import Article
from newswire.transforms.extract import ExtractArticles
from newswire.transforms.records import FeedEntry, Page

_FROM_ENTRY = "feed"
"""The provenance extraction gives a field taken from the page's entry."""


def credit_source(article: Article, entry: FeedEntry) -> Article:
    """The article with entry-sourced fields credited to `entry.source`, and the entry's
    language standing in where the page declares none."""
    provenance = {field: entry.source if source == _FROM_ENTRY else source
                  for field, source in article.provenance.items()}
    language = article.language
    if not language and entry.language:
        language = entry.language.split("-")[0]
        provenance["language"] = entry.source
    if provenance == article.provenance and language == article.language:
        return article
    return article.replace(provenance=provenance, language=language)


class ExtractListedArticles(ExtractArticles):
    """`ExtractArticles`, with each article's entry-sourced fields credited to their source."""

    def process(self, page: Page) -> Iterator[Any]:
        for output in super().process(page):
            yield credit_source(output, page.entry) if isinstance(output, Article) else output
