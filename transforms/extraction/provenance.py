"""Credit what listed an entry: fields extraction took from it came from a sitemap or a WARC
record as often as from a feed, and `provenance` should say which."""

from __future__ import annotations

from newswire.schemas.article import Article
from newswire.transforms.extraction.extract import ExtractArticles, checked, read_page
from newswire.transforms.records import DeadLetter, FeedEntry, Page

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


def read_listed_page(page: Page) -> Article | DeadLetter:
    """`read_page`, with the article's entry-sourced fields credited to their source, and
    `checked` against the article schema."""
    return read_page(page, lambda article: checked(credit_source(article, page.entry)))


def extract_listed_articles(processes: int = 0) -> ExtractArticles:
    """`ExtractArticles` reading with `read_listed_page`: listed pages to valid articles."""
    return ExtractArticles(processes, read_listed_page)
