"""IngestFeeds: the whole job as one composite, feed URLs in, dead letters out.

In batch each source named (a URL, or a feed from a local list) arrives once, and ReadSources
reads it and what it lists, keyed by host slot as page fetches are; in streaming each feed
arrives on every tick and PollFeeds decides, per feed, whether it is due.

    sources ─► ReadSources ─► Deduplicate(link) ─► Reshuffle ─► KeyBySlot ─► FetchPages ─► Extract
     (or PollFeeds)│                                                              │   (valid ones)
                   ▼                                                              ▼        │
                 dead letters ◄────────────────────────────────────────────────────────────┤
                                                                                           │
              Deduplicate(canonical URL) ─► LinkNearDuplicates ─► WriteToElasticsearch ◄───┘
                                                                          │ rejected
    dead letters ◄────────────────────────────────────────────────────────┘
       └─► IndexDeadLetters: WriteToElasticsearch(dead-letter index), one letter per input

Every feed entry ends indexed, counted as a duplicate, or as a dead letter with its reason.

With a crawl state (`state_index`), PollFeeds starts from each source's remembered validators
and schedule and hands on only the entries no earlier run fetched (or due a re-check), and
`RememberFetched` records which entry gave which article once the articles are written.

With `archive`, FetchPages also keeps every page as WARC, as served (`WarcArchive`). With
`warc`, the input is WARC file patterns: `ReadWarc` replaces polling and fetching, and before
indexing `AdvanceChangedVersions` lets re-extracted articles that changed replace their old
versions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from newswire.schemas.article import Article
from newswire.transforms.duplicates.exact import (
    ARTICLES,
    DEFAULT_TTL,
    ENTRIES,
    Deduplicate,
    is_batch,
)
from newswire.transforms.duplicates.memory import IndexedCopies, RecallEarlier
from newswire.transforms.duplicates.near import DEFAULT_THRESHOLD, LinkNearDuplicates
from newswire.transforms.extraction.extract import checked
from newswire.transforms.extraction.provenance import extract_listed_articles
from newswire.transforms.extraction.reextract import AdvanceChangedVersions
from newswire.transforms.fetching.fetch import FetchPages, key_by_slot
from newswire.transforms.fetching.http import HttpSettings
from newswire.transforms.fetching.warc import MAX_FILE_AGE, MAX_FILE_BYTES, ReadWarc, WarcArchive
from newswire.transforms.index.client import (
    ARTICLES_ALIAS,
    DEAD_LETTERS_ALIAS,
    HISTORY_ALIAS,
    EsConnection,
)
from newswire.transforms.index.dead_letters import (
    WriteDeadLetterFiles,
    dead_letter_document,
    repeated_letter,
)
from newswire.transforms.index.layout import indexed_article
from newswire.transforms.index.pieces import Sizing
from newswire.transforms.index.retry import RetryPolicy
from newswire.transforms.index.sink import BulkSettings, Document, WriteToElasticsearch
from newswire.transforms.records import DEAD_LETTER, DeadLetter
from newswire.transforms.sources.discover import ReadSources
from newswire.transforms.sources.feeds import PollFeeds
from newswire.transforms.sources.schedule import PollSettings
from newswire.transforms.sources.state import (
    FETCHED,
    ExtractAndRecord,
    RememberFetched,
    StateSettings,
)
from newswire.transforms.tally import Tally


@dataclass(frozen=True)
class IngestConfig:
    """What the job reads, fetches and writes; `IngestConfig()` holds newswire's defaults, which
    the pipeline options and the CLI read. `history_index=None` keeps no history."""

    http: HttpSettings = field(default_factory=HttpSettings)
    es: EsConnection = field(default_factory=EsConnection)
    index: str = ARTICLES_ALIAS
    dead_letter_index: str = DEAD_LETTERS_ALIAS
    # a path prefix where dead letters are also written as JSON lines, out of Elasticsearch's way
    dead_letter_files: str = ""
    history_index: str | None = HISTORY_ALIAS
    # The crawl state's alias (transforms/sources/state.py): None remembers nothing between
    # runs. Entries fetched once are fetched again `recheck_age` seconds later (None: never).
    state_index: str | None = None
    recheck_age: float | None = None
    es_retry: RetryPolicy = field(default_factory=RetryPolicy)
    # How each alias's pieces are made, and when they roll over (see transforms/index/pieces).
    sizing: Sizing = field(default_factory=Sizing)
    # Whether the sinks roll the aliases over (where the cluster has no lifecycle management).
    roll_over: bool = True
    dedup_ttl: int = DEFAULT_TTL
    near_dup_threshold: float = DEFAULT_THRESHOLD
    drop_near_duplicates: bool = False
    poll: PollSettings = field(default_factory=PollSettings)
    # Streaming polls run in the background (a timer takes their answers); batch waits for them.
    streaming: bool = False
    archive: str = ""  # a directory to keep every fetched page in, as WARC
    archive_file_bytes: int = MAX_FILE_BYTES  # archive files rotate at this size ...
    archive_file_age: float = MAX_FILE_AGE  # ... and at this age in seconds
    warc: bool = False  # the input is WARC file patterns to read pages from, not feed URLs
    progress_dir: str | None = None  # where Tally steps count, for a local run's progress line
    # Processes extraction and MinHash sketching fan out to, beside a runner that runs the job
    # in one process; 0: in the worker itself.
    pool_processes: int = 0

    @property
    def rollover(self) -> Sizing:
        """The sinks' sizing: they find each update's piece, and roll over if it falls to them."""
        return self.sizing if self.roll_over else replace(self.sizing, check_every=None)

    @property
    def state(self) -> StateSettings | None:
        """The crawl state's settings, if the job keeps one (a WARC replay polls nothing)."""
        if self.state_index is None or self.warc:
            return None
        return StateSettings(self.es, self.state_index, self.recheck_age, self.es_retry)


class IngestFeeds(beam.PTransform):
    """Feed URLs to indexed articles; returns the dead letters (already indexed too)."""

    def __init__(self, config: IngestConfig) -> None:
        super().__init__()
        self.config = config

    def expand(self, feed_urls: beam.PCollection) -> beam.PCollection:
        config = self.config
        count = self._tally
        if config.warc:
            read = feed_urls | "ReadWarc" >> ReadWarc(config.http.max_bytes)
            fetched, upstream = read.pages | "SpreadPages" >> beam.Reshuffle(), [read[DEAD_LETTER]]
        else:
            archive = (WarcArchive(config.archive, config.archive_file_bytes,
                                   config.archive_file_age) if config.archive else None)
            if config.streaming:  # every tick: each feed's own state says whether it is due
                polled = (
                    feed_urls  # (URL, the answer had for it while its source was read)
                    # typed, so the key coder is the deterministic one for str
                    | "KeyByFeed" >> beam.Map(lambda feed: feed).with_output_types(
                        tuple[str, Any])
                    | "PollFeeds" >> with_dead_letters(
                        PollFeeds(config.http, config.poll, state=config.state), "entries"))
                entries, feed_letters = polled.entries, polled[DEAD_LETTER]
            else:  # each source once, keyed by host slot: concurrent within the per-host limits
                entries, feed_letters = feed_urls | "ReadSources" >> ReadSources(
                    config.http, config.poll, config.state)
            unique = (
                count(entries, "entries")
                | "DropDuplicateEntries" >> Deduplicate(ENTRIES, config.dedup_ttl)
            )
            pages = (
                count(unique, "unique")
                | "SpreadFetches" >> beam.Reshuffle()
                # keyed by host slot: the runner hands each slot to one worker at a time
                | "KeyBySlot" >> key_by_slot(config.http.per_host_concurrency)
                | "FetchPages" >> with_dead_letters(FetchPages(config.http, archive), "pages")
            )
            fetched, upstream = pages.pages, [feed_letters, pages[DEAD_LETTER]]
        extract = (ExtractAndRecord(config.pool_processes) if config.state
                   else extract_listed_articles(config.pool_processes))
        articles = count(fetched, "fetched") | "Extract" >> beam.ParDo(extract).with_outputs(
            DEAD_LETTER, FETCHED, main="articles")
        linked = (
            count(articles.articles, "extracted")
            | "DropDuplicateArticles" >> Deduplicate(ARTICLES, config.dedup_ttl)
            | "LinkNearDuplicates" >> LinkNearDuplicates(
                config.near_dup_threshold, config.dedup_ttl, drop=config.drop_near_duplicates,
                processes=config.pool_processes, recall=self._recall())
        )
        rejected = count(linked, "indexed") | "IndexArticles" >> IndexArticles(config)
        if config.state:
            _ = articles[FETCHED] | "RememberFetched" >> RememberFetched(
                config.state, rejected if is_batch(rejected) else None)
        letters = (
            (*upstream, articles[DEAD_LETTER], rejected)
            | "AllDeadLetters" >> beam.Flatten()
        )
        return count(letters, "dead_letters") | "IndexDeadLetters" >> IndexDeadLetters(config)

    def _recall(self) -> RecallEarlier | None:
        """With a crawl state, near-duplicates are also sought among the indexed articles."""
        config = self.config
        if config.state is None:
            return None
        return RecallEarlier(IndexedCopies(config.es, config.index, config.dedup_ttl,
                                           config.es_retry), config.near_dup_threshold)

    def _tally(self, pcoll: beam.PCollection, name: str) -> beam.PCollection:
        """`pcoll`, counted for the progress line when the run has somewhere to count."""
        if self.config.progress_dir is None:
            return pcoll
        return pcoll | f"Count_{name}" >> beam.ParDo(Tally(self.config.progress_dir, name))


class IndexArticles(beam.PTransform):
    """Articles into the index (and their history); returns the dead letters of rejected ones."""

    def __init__(self, config: IngestConfig) -> None:
        super().__init__()
        self.config = config

    def expand(self, articles: beam.PCollection) -> beam.PCollection:
        config = self.config
        documents = articles | "ToDocuments" >> beam.Map(article_document)
        if config.warc:  # a replay re-extracts: changed articles must replace their old selves
            documents = documents | "AdvanceReextracted" >> beam.ParDo(
                AdvanceChangedVersions(config.es, config.index, retry=config.es_retry))
        return documents | "Write" >> WriteToElasticsearch(
            config.es, config.index, "articles", BulkSettings(retry=config.es_retry),
            history_index=config.history_index, rollover=config.rollover)


class IndexDeadLetters(beam.PTransform):
    """Counts dead letters and indexes them, one per input and stage (repeats counted); returns
    them.

    With `dead_letter_files`, each letter is also written to files first, and the index write
    gets a step of its own (a Reshuffle), so a failing index write (an outage) is retried alone
    and does not hold back the stages that make letters, nor the files.
    """

    def __init__(self, config: IngestConfig) -> None:
        super().__init__()
        self.config = config

    def expand(self, letters: beam.PCollection) -> beam.PCollection:
        config = self.config
        counted = letters | "Count" >> beam.Map(_count_dead_letter)
        to_index = counted
        if config.dead_letter_files:
            _ = counted | "ToFiles" >> WriteDeadLetterFiles(config.dead_letter_files,
                                                           config.streaming)
            to_index = counted | "ApartFromFiles" >> beam.Reshuffle()
        _ = (to_index
             | "ToDocuments" >> beam.Map(dead_letter_document)
             | "Write" >> WriteToElasticsearch(
                 config.es, config.dead_letter_index, "dead_letters",
                 BulkSettings(retry=config.es_retry), merge=repeated_letter,
                 rollover=config.rollover))
        return counted


class ValidateArticles(beam.DoFn):
    """Lets through only records that satisfy the article schema; the rest are dead letters."""

    def process(self, article: Article) -> Iterator[Any]:
        output = checked(article)
        yield beam.pvalue.TaggedOutput(DEAD_LETTER, output) if isinstance(
            output, DeadLetter) else output


def with_dead_letters(dofn: beam.DoFn, main: str) -> beam.ParDo:
    return beam.ParDo(dofn).with_outputs(DEAD_LETTER, main=main)


def _count_dead_letter(letter: DeadLetter) -> DeadLetter:
    Metrics.counter("newswire", f"dead_letters_{letter.unit}").inc()
    Metrics.counter("newswire", f"dead_letters_{letter.unit}_{letter.stage}").inc()
    return letter


def article_document(article: Article) -> Document:
    return Document(id=article.id, source=indexed_article(article.to_dict()),
                    version=article.version)
