"""The job's graph: which steps IngestFeeds builds for batch, streaming, a WARC replay, a crawl
state, progress counts and dead-letter files, and the small steps it is made of."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pvalue import TaggedOutput

from newswire.pipeline.config import IngestConfig
from newswire.pipeline.job.graph import (
    IngestFeeds,
    ValidateArticles,
    article_document,
    with_dead_letters,
)
from newswire.schemas.article import Article
from newswire.transforms.records import DEAD_LETTER, DeadLetter
from tests.pipeline.job.graphs import step_names, top

JOB = "IngestFeeds"


def steps(config: IngestConfig, streaming: bool = False) -> set[str]:
    """The full names of every step the job's graph holds under IngestFeeds."""
    pipeline = beam.Pipeline(options=PipelineOptions(streaming=streaming))
    urls = pipeline | beam.Create(["https://news.example/feed.xml"]).with_output_types(Any)
    _ = urls | JOB >> IngestFeeds(config)
    return step_names(pipeline, JOB)


FEEDS_TO_INDEX = {"ReadSources", "DropDuplicateEntries",
                  "KeyBySlot", "FetchPages", "Extract", "DropDuplicateArticles",
                  "LinkNearDuplicates", "IndexArticles", "AllDeadLetters", "IndexDeadLetters"}


def test_a_batch_job_polls_fetches_extracts_and_indexes() -> None:
    names = steps(IngestConfig())
    assert top(names) == FEEDS_TO_INDEX
    assert {"DropDuplicateEntries/Group", "DropDuplicateArticles/Group",
            "IndexArticles/Write", "IndexDeadLetters/Write"} <= names
    assert "IndexArticles/AdvanceReextracted" not in names


STREAMING = FEEDS_TO_INDEX - {"ReadSources"} | {"KeyByFeed", "PollFeeds"}


def test_a_streaming_job_keys_polls_by_feed_and_deduplicates_as_items_come() -> None:
    names = steps(IngestConfig(streaming=True), streaming=True)
    assert top(names) == STREAMING
    assert "DropDuplicateEntries/Remember" in names
    assert "DropDuplicateEntries/Group" not in names


GROUPED = {"DropDuplicateArticles", "LinkNearDuplicates", "IndexArticles"}


# With a crawl state: which entry gave which article, which entry's page failed, and which
# one's page a re-check found not modified.
REMEMBERED = {"RememberFetched", "FailedPages", "RememberFailed", "RememberNotModified"}


def test_a_batch_with_a_crawl_state_writes_each_article_then_links_it_and_remembers_it() -> None:
    assert top(steps(IngestConfig(state_index="newswire-state"))) == FEEDS_TO_INDEX - GROUPED | {
        "MarkBands", "Unlinked", "IndexThenLink"} | REMEMBERED


def test_a_streaming_job_with_a_crawl_state_keeps_deciding_duplicates_as_items_come() -> None:
    names = steps(IngestConfig(streaming=True, state_index="newswire-state"), streaming=True)
    assert top(names) == STREAMING | REMEMBERED
    # each entry's record waits for the sink's answer for its article
    assert "RememberFetched/AwaitWritten" in names
    assert "RememberFetched/RejectedIds" not in names


def test_a_warc_replay_reads_pages_instead_of_polling_and_advances_changed_versions() -> None:
    names = steps(IngestConfig(warc=True, state_index="newswire-state"))
    assert top(names) == {"ReadWarc", "SpreadPages", "Extract", "DropDuplicateArticles",
                          "LinkNearDuplicates", "IndexArticles", "AllDeadLetters",
                          "IndexDeadLetters"}  # a replay keeps no crawl state
    assert "IndexArticles/AdvanceReextracted" in names


def test_progress_counts_are_steps_of_their_own_only_when_asked() -> None:
    counted = top(steps(IngestConfig(progress_dir="/tmp/newswire-progress"))) - FEEDS_TO_INDEX
    assert counted == {f"Count_{name}" for name in (
        "entries", "unique", "fetched", "not_modified", "extracted", "indexed", "dead_letters")}


def test_dead_letter_files_are_written_apart_from_the_index() -> None:
    names = steps(IngestConfig(dead_letter_files="/tmp/newswire-letters/"))
    assert {"IndexDeadLetters/ToFiles", "IndexDeadLetters/ApartFromFiles"} <= names
    assert not {"IndexDeadLetters/ToFiles", "IndexDeadLetters/ApartFromFiles"} & steps(
        IngestConfig())


ARTICLE = Article(url="https://news.example/a", title="Harbour reopens",
                  outlet="Courier", published_at=datetime(2026, 3, 4, 12, tzinfo=timezone.utc),
                  body="The harbour reopened on Wednesday.")


def test_an_article_is_indexed_under_its_id_and_version() -> None:
    document = article_document(ARTICLE)
    assert (document.id, document.version, document.is_entry) == (ARTICLE.id, ARTICLE.version,
                                                                   True)
    assert document.source["title"] == "Harbour reopens"


def test_only_valid_articles_pass_the_schema_check() -> None:
    [valid] = ValidateArticles().process(ARTICLE)
    assert valid is ARTICLE
    [rejected] = ValidateArticles().process(ARTICLE.replace(title=""))
    assert isinstance(rejected, TaggedOutput) and rejected.tag == DEAD_LETTER
    assert isinstance(rejected.value, DeadLetter)


def test_a_step_with_dead_letters_has_them_as_a_tagged_output() -> None:
    step = with_dead_letters(ValidateArticles(), "articles")
    assert (step._main_tag, step._tags) == ("articles", (DEAD_LETTER,))
