"""ReplayDeadLetters: letters read back from the index, and the graph they run through."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import apache_beam as beam

from newswire.pipeline.config import IngestConfig
from newswire.pipeline.job.replay import Letter, ReplayDeadLetters, read_letter, readable
from newswire.schemas.article import Article
from newswire.transforms.records import DeadLetter, FeedEntry
from tests.pipeline.job.graphs import step_names, top

ENTRY = FeedEntry(link="https://news.example/a", feed_url="https://news.example/rss",
                  title="Harbour reopens")
ARTICLE = Article(url="https://news.example/b", title="Ferry returns", outlet="Courier",
                  published_at=datetime(2026, 3, 4, 12, tzinfo=timezone.utc),
                  body="The ferry returned on Wednesday.")


def hit(id_: str, letter: DeadLetter) -> dict:
    return {"_id": id_, "_source": letter.to_dict()}


FETCH = hit("l1", DeadLetter.for_entry("fetch", "http 503", ENTRY))
INDEX = hit("l2", DeadLetter(stage="index", reason="mapping conflict", unit="entry",
                             url=ARTICLE.url, input=json.dumps(ARTICLE.to_dict()),
                             key=ARTICLE.id))


def test_a_fetch_letter_gives_back_its_feed_entry() -> None:
    assert read_letter(FETCH) == Letter("l1", "fetch", ENTRY)


def test_an_index_letter_gives_back_its_article() -> None:
    letter = read_letter(INDEX)
    assert (letter.id, letter.stage) == ("l2", "index")
    assert isinstance(letter.source, Article) and letter.source.id == ARTICLE.id


def test_letters_that_cannot_be_read_are_skipped_each_with_a_line() -> None:
    said: list[str] = []
    no_stage = {"_id": "l3", "_source": {"input": "{}"}}
    garbled = {"_id": "l4", "_source": {**FETCH["_source"], "input": "{not json"}}
    letters = readable([FETCH, no_stage, garbled, INDEX], said.append)
    assert [letter.id for letter in letters] == ["l1", "l2"]
    assert said[0] == "skipping dead letter l3: no 'stage' field"
    assert said[1].startswith("skipping dead letter l4: its input cannot be read (JSONDecodeError")


def test_entries_are_fetched_again_and_articles_indexed_again() -> None:
    pipeline = beam.Pipeline()
    _ = pipeline | "Replay" >> ReplayDeadLetters([read_letter(FETCH), read_letter(INDEX)],
                                                 IngestConfig())
    assert top(step_names(pipeline, "Replay")) == {
        "Entries", "CountEntries", "KeyBySlot", "FetchPages", "Extract", "Articles",
        "CountArticles", "Validate", "AllArticles", "IndexArticles", "AllDeadLetters",
        "IndexDeadLetters"}
