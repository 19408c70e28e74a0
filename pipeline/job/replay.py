"""ReplayDeadLetters: the job `newswire deadletter replay` runs, letters in, their new failures out.

    dead-letter index ─► fetch, extract letters ─► FeedEntry ─► KeyBySlot ─► FetchPages
       (--stage,                                                                   │
        --since)        index letters ─► Article ─► Validate ─┐                 Extract
                                                               └──► IndexArticles ◄─┘
    failures ─► IndexDeadLetters (same ids: attempts + 1, first_seen kept)

With a crawl state, each replayed entry whose article is indexed is recorded as fetched there
(`remember_fetched`), as a run records it, so the next run does not fetch its page again; one
that fails again is recorded as failed (`remember_failed`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.config import IngestConfig
from newswire.pipeline.job import errors, lifecycle, runners
from newswire.pipeline.job.graph import (
    IndexArticles,
    IndexDeadLetters,
    ValidateArticles,
    extract_recorded,
    fetch_pages,
    remember_failed,
    remember_fetched,
    remember_not_modified,
    with_dead_letters,
)
from newswire.pipeline.job.summary import Summary, summarize
from newswire.schemas.article import Article
from newswire.transforms.fetching.fetch import NOT_MODIFIED, key_by_slot
from newswire.transforms.records import DEAD_LETTER, FeedEntry


def replay(letters: list[Letter], options: PipelineOptions,
           config: IngestConfig) -> Summary:
    """Run the letters through the pipeline again, to the end; what the run counted."""
    with ExitStack() as resources:
        pipeline = beam.Pipeline(runner=runners.choose_runner(options, resources), options=options)
        _ = pipeline | ReplayDeadLetters(letters, config)
        with errors.outage_in_one_line():
            result = pipeline.run()
        lifecycle.wait(result)
    return summarize(result)


@dataclass(frozen=True)
class Letter:
    """A replayable dead letter: its id, its stage, and the input it kept, read back."""

    id: str
    stage: str
    source: FeedEntry | Article


def read_letter(hit: dict[str, Any]) -> Letter:
    """A dead letter as found in the index; raises if it is not one newswire could replay (an
    index letter keeps an article, the others a feed entry)."""
    letter = hit["_source"]
    stage = letter["stage"]
    source = (Article.from_dict(json.loads(letter["input"])) if stage == "index"
              else FeedEntry.from_json(letter["input"]))
    return Letter(hit["_id"], stage, source)


def readable(hits: list[dict[str, Any]], say: Callable[[str], None] = print) -> list[Letter]:
    """The letters among `hits` that can be read back; each other one is skipped with a line
    saying why, so that one malformed letter (written by hand, or by another version) does not
    stop the replay of the rest."""
    letters = []
    for hit in hits:
        try:
            letters.append(read_letter(hit))
        except Exception as error:  # the boundary of one letter: whatever is wrong with it
            say(f"skipping dead letter {hit['_id']}: {_why(error)}")
    return letters


def _why(error: Exception) -> str:
    """A reading error in a few words: a missing field is named as such."""
    if isinstance(error, KeyError):
        return f"no {error.args[0]!r} field"
    return f"its input cannot be read ({type(error).__name__}: {str(error)[:200]})"


class ReplayDeadLetters(beam.PTransform):
    """Replayable dead-letter sources to indexed articles; returns the letters of new failures."""

    def __init__(self, letters: list[Letter], config: IngestConfig) -> None:
        super().__init__()
        self.letters = letters
        self.config = config

    def expand(self, begin: beam.pvalue.PBegin) -> beam.PCollection:
        entries = [letter.source for letter in self.letters if letter.stage != "index"]
        stored = [letter.source for letter in self.letters if letter.stage == "index"]
        pages = (begin
                 | "Entries" >> beam.Create(entries)
                 | "CountEntries" >> beam.Map(_seen)
                 | "KeyBySlot" >> key_by_slot(self.config.http.per_host_concurrency)
                 | "FetchPages" >> fetch_pages(self.config))
        extracted = pages.pages | "Extract" >> extract_recorded(self.config)
        valid = (begin
                 | "Articles" >> beam.Create(stored)
                 | "CountArticles" >> beam.Map(_seen)
                 | "Validate" >> with_dead_letters(ValidateArticles(), "valid"))
        rejected = ((extracted.articles, valid.valid)
                    | "AllArticles" >> beam.Flatten()
                    | "IndexArticles" >> IndexArticles(self.config))
        remember_fetched(self.config, extracted, rejected)  # so the next run leaves them be
        remember_not_modified(self.config, pages[NOT_MODIFIED])
        remember_failed(self.config, pages[DEAD_LETTER], extracted[DEAD_LETTER])
        return ((pages[DEAD_LETTER], extracted[DEAD_LETTER], valid[DEAD_LETTER], rejected)
                | "AllDeadLetters" >> beam.Flatten()
                | "IndexDeadLetters" >> IndexDeadLetters(self.config))


def _seen(item: Any) -> Any:
    Metrics.counter("newswire", "entries_seen").inc()
    return item
