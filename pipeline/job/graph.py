"""IngestFeeds: the whole job as one composite, feed URLs in, dead letters out.

In batch each source named (a URL, or a feed from a local list) arrives once, and ReadSources
reads it and what it lists, keyed by host slot as page fetches are; in streaming each feed
arrives on every tick and PollFeeds decides, per feed, whether it is due.

    sources ─► ReadSources ─► Deduplicate(link) ─► KeyBySlot ─► FetchPages ─► Extract
     (or PollFeeds)│                                                │   (valid ones)
                   ▼                                                ▼        │
                 dead letters ◄──────────────────────────────────────────────┤
                                                                             │
      Deduplicate(canonical URL) ─► LinkNearDuplicates ─► WriteToElasticsearch ◄───┘
                                                               │ rejected
    dead letters ◄─────────────────────────────────────────────┘
       └─► IndexDeadLetters: WriteToElasticsearch(dead-letter index), one letter per input

Every feed entry ends indexed, counted as a duplicate, as a dead letter with its reason, or,
re-checked, as a page not modified since it was last fetched (304).

With a crawl state (`state_index`), PollFeeds starts from each source's remembered validators
and schedule and hands on only the entries no earlier run fetched (or due a re-check), and
`RememberFetched` records which entry gave which article once its article is written (in
streaming, on the sink's answer for it, so a job stopped in between leaves the entry to fetch);
`RememberFailed` records each entry whose page failed, which later runs then leave for a while.
A re-check sends the validators the page was last fetched with; `RememberNotModified` records
each entry whose page answered 304, whose article is then neither extracted nor written again.

A batch run with a crawl state groups no articles, so its memory does not grow with the batch
(`IndexThenLink`): each article is written as it comes, the index deciding exact duplicates (a
repeat of a version it holds is a conflict, counted as a duplicate; a newer version replaces
the older), and is then linked to its near-duplicates in the index
(transforms/duplicates/memory.py, LinkWritten). Streaming, a run without a state and
`drop_near_duplicates` (which must decide before writing) group or keep state as drawn above.

With `archive`, FetchPages also keeps every page as WARC, as served (`WarcArchive`). With
`warc`, the input is WARC file patterns: `ReadWarc` replaces polling and fetching, and before
indexing `AdvanceChangedVersions` lets re-extracted articles that changed replace their old
versions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from newswire.pipeline.config import IngestConfig
from newswire.schemas.article import Article
from newswire.transforms.duplicates.exact import ARTICLES, ENTRIES, Deduplicate, is_batch
from newswire.transforms.duplicates.memory import IndexedCopies, LinkWritten, RecallEarlier
from newswire.transforms.duplicates.near import (
    DROPPED,
    DropCopies,
    LinkNearDuplicates,
    MarkBands,
    band_shape,
    unlinked,
)
from newswire.transforms.extraction.extract import checked
from newswire.transforms.extraction.provenance import extract_listed_articles
from newswire.transforms.extraction.reextract import AdvanceChangedVersions
from newswire.transforms.fetching.fetch import NOT_MODIFIED, FetchPages, key_by_slot
from newswire.transforms.fetching.warc import ReadWarc, WarcArchive
from newswire.transforms.index.dead_letters import (
    WriteDeadLetterFiles,
    dead_letter_document,
    repeated_letter,
)
from newswire.transforms.index.layout import indexed_article
from newswire.transforms.index.sink import (
    BulkSettings,
    Document,
    WriteAndPassOn,
    WriteToElasticsearch,
)
from newswire.transforms.records import DEAD_LETTER, DeadLetter
from newswire.transforms.sources.discover import ReadSources
from newswire.transforms.sources.feeds import PollFeeds
from newswire.transforms.sources.state import (
    FETCHED,
    ExtractAndRecord,
    RememberFailed,
    RememberFetched,
    RememberNotModified,
)
from newswire.transforms.tally import Tally


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
            fetched = read.pages | "SpreadPages" >> beam.Reshuffle()
            page_letters = read[DEAD_LETTER]
            upstream = [page_letters]
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
                # keyed by host slot: the runner hands each slot to one worker at a time, and
                # that grouping is what spreads the fetches over the workers
                | "KeyBySlot" >> key_by_slot(config.http.per_host_concurrency)
                | "FetchPages" >> fetch_pages(config, archive)
            )
            fetched, page_letters = pages.pages, pages[DEAD_LETTER]
            remember_not_modified(config, count(pages[NOT_MODIFIED], "not_modified"))
            upstream = [feed_letters, page_letters]
        articles = count(fetched, "fetched") | "Extract" >> extract_recorded(config)
        extracted = count(articles.articles, "extracted")
        if config.state and not config.drop_near_duplicates and is_batch(extracted):
            rejected, written, dropped = self._write_then_link(extracted), None, None
        else:
            rejected, written, dropped = self._link_then_write(extracted)
        remember_fetched(config, articles, rejected, written, dropped)
        remember_failed(config, page_letters, articles[DEAD_LETTER])
        letters = (
            (*upstream, articles[DEAD_LETTER], rejected)
            | "AllDeadLetters" >> beam.Flatten()
        )
        return count(letters, "dead_letters") | "IndexDeadLetters" >> IndexDeadLetters(config)

    def _write_then_link(self, extracted: beam.PCollection) -> beam.PCollection:
        """Batch with a crawl state: each article written as it comes, then linked to its
        near-duplicates in the index; returns the rejected articles' dead letters."""
        config = self.config
        bands, rows = band_shape(config.near_dup_threshold)
        marked = (extracted
                  | "MarkBands" >> beam.ParDo(MarkBands(bands, rows, config.pool_processes))
                  .with_output_types(Article)
                  | "Unlinked" >> beam.Map(unlinked))
        return self._tally(marked, "indexed") | "IndexThenLink" >> IndexArticles(
            config, then_link=True)

    def _link_then_write(self, extracted: beam.PCollection) -> tuple[
            beam.PCollection, beam.PCollection | None, beam.PCollection | None]:
        """Duplicates decided before writing (streaming, no state, or dropping copies); returns
        the rejected articles' dead letters and, in streaming with a state, what the sink took
        and the copies dropped (for RememberFetched), else None and None."""
        config = self.config
        linked = (
            extracted
            | "DropDuplicateArticles" >> Deduplicate(ARTICLES, config.dedup_ttl)
            | "LinkNearDuplicates" >> LinkNearDuplicates(
                config.near_dup_threshold, config.dedup_ttl, processes=config.pool_processes,
                recall=self._recall())
        )
        dropped = None
        if config.drop_near_duplicates:
            kept = linked | "DropCopies" >> beam.ParDo(DropCopies()).with_outputs(
                DROPPED, main="articles")
            linked, dropped = kept.articles, kept[DROPPED]
        answers = config.state is not None and not is_batch(linked)
        indexed = self._tally(linked, "indexed") | "IndexArticles" >> IndexArticles(
            config, answers=answers)
        if not answers:
            return indexed, None, None
        return indexed[DEAD_LETTER], indexed.written, dropped

    def _recall(self) -> RecallEarlier | None:
        """With a crawl state, near-duplicates are also sought among the indexed articles."""
        config = self.config
        if config.state is None:
            return None
        return RecallEarlier(indexed_copies(config), config.near_dup_threshold)

    def _tally(self, pcoll: beam.PCollection, name: str) -> beam.PCollection:
        """`pcoll`, counted for the progress line when the run has somewhere to count (as
        typed as it came, so its elements keep their coder)."""
        if self.config.progress_dir is None:
            return pcoll
        return pcoll | f"Count_{name}" >> beam.ParDo(
            Tally(self.config.progress_dir, name)).with_output_types(pcoll.element_type)


class IndexArticles(beam.PTransform):
    """Articles into the index (and their history); returns the dead letters of rejected ones.

    With `then_link` (IndexThenLink), the articles come ungrouped: a repeat of a version the
    index holds from this run is counted as a duplicate, and each article written is then
    linked to its near-duplicates in the index (LinkWritten). With `answers`, returns the
    sink's outputs instead: its dead letters and, as `written`, each article it took or
    already held.
    """

    def __init__(self, config: IngestConfig, then_link: bool = False,
                 answers: bool = False) -> None:
        super().__init__()
        self.config, self.then_link, self.answers = config, then_link, answers

    def expand(self, articles: beam.PCollection) -> beam.PCollection:
        config = self.config
        documents = articles | "ToDocuments" >> beam.Map(article_document)
        if config.warc:  # a replay re-extracts: changed articles must replace their old selves
            documents = documents | "AdvanceReextracted" >> beam.ParDo(
                AdvanceChangedVersions(config.es, config.index, retry=config.es_retry))
        write = (functools.partial(WriteAndPassOn, unchanged=self.answers)
                 if self.then_link or self.answers else WriteToElasticsearch)
        outputs = documents | "Write" >> write(
            config.es, config.index, "articles", BulkSettings(retry=config.es_retry),
            history_index=config.history_index, rollover=config.rollover,
            repeats_are_duplicates=self.then_link)
        if not self.then_link:
            return outputs
        _ = outputs.written | "LinkWritten" >> beam.ParDo(
            LinkWritten(indexed_copies(config), config.near_dup_threshold))
        return outputs[DEAD_LETTER]


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


def indexed_copies(config: IngestConfig) -> IndexedCopies:
    """Where near-duplicates are sought among the articles already indexed."""
    return IndexedCopies(config.es, config.index, config.dedup_ttl, config.es_retry)


def extract_recorded(config: IngestConfig) -> beam.ParDo:
    """Fetched pages to valid articles (`articles`) and dead letters; with a crawl state, also
    which entry gave which article (`FETCHED`), for `remember_fetched`."""
    extract = (ExtractAndRecord(config.pool_processes) if config.state
               else extract_listed_articles(config.pool_processes))
    return beam.ParDo(extract).with_outputs(DEAD_LETTER, FETCHED, main="articles")


def remember_fetched(config: IngestConfig, extracted: beam.pvalue.DoOutputsTuple,
                     rejected: beam.PCollection, written: beam.PCollection | None = None,
                     dropped: beam.PCollection | None = None) -> None:
    """With a crawl state, records each entry whose article was indexed or dropped as a copy
    (in batch: not `rejected`; in streaming: `written` or `dropped`), so no later run fetches
    it again."""
    if config.state:
        _ = extracted[FETCHED] | "RememberFetched" >> RememberFetched(
            config.state, rejected=rejected if written is None else None, written=written,
            dropped=dropped, ttl_seconds=config.dedup_ttl)


def fetch_pages(config: IngestConfig, archive: WarcArchive | None = None) -> beam.ParDo:
    """Pages keyed by host slot to fetched pages (`pages`), dead letters, and re-checked
    entries whose page was not modified (`NOT_MODIFIED`, for `remember_not_modified`)."""
    return beam.ParDo(FetchPages(config.http, archive)).with_outputs(
        DEAD_LETTER, NOT_MODIFIED, main="pages")


def remember_not_modified(config: IngestConfig, unchanged: beam.PCollection) -> None:
    """With a crawl state, records each entry whose page a re-check found as it was (304), so
    its next re-check waits `--recheck-age` again."""
    if config.state:
        _ = unchanged | "RememberNotModified" >> beam.ParDo(RememberNotModified(config.state))


def remember_failed(config: IngestConfig, *letters: beam.PCollection) -> None:
    """With a crawl state, records each entry whose page failed (the dead letters of fetching
    and extracting), so later runs wait before they fetch it again."""
    if config.state:
        _ = (letters
             | "FailedPages" >> beam.Flatten()
             | "RememberFailed" >> beam.ParDo(RememberFailed(config.state)))


def with_dead_letters(dofn: beam.DoFn, main: str) -> beam.ParDo:
    return beam.ParDo(dofn).with_outputs(DEAD_LETTER, main=main)


def _count_dead_letter(letter: DeadLetter) -> DeadLetter:
    Metrics.counter("newswire", f"dead_letters_{letter.unit}").inc()
    Metrics.counter("newswire", f"dead_letters_{letter.unit}_{letter.stage}").inc()
    return letter


def article_document(article: Article) -> Document:
    return Document(id=article.id, source=indexed_article(article.to_dict()),
                    version=article.version)
