"""The crawl state: what newswire remembers of its sources and their entries between runs.

It lives in the cluster beside the articles, behind its own alias (`<index>-state`, created
and migrated like the others), so a batch run every 15 minutes, a streaming job restarted
without `--update`, and two runs at once all read and write one record:

- one document per source (a feed or a sitemap, by URL): its validators (ETag,
  Last-Modified), the last poll and its outcome, the adaptive interval, the failures in a row
  and when it is due next. A new PollFeeds takes up a source's schedule and validators from
  it, so the first poll of a run is conditional and a failing source keeps backing off;
- one document per entry (by its canonical link): the source that listed it, when first and
  last listed, the entry itself (for a poll answered 304 to hand on one not yet fetched), and
  once its article is indexed: when, under which link and updated time, the article's id,
  version and fingerprint. An entry with such a record is not fetched again unless the feed
  says it changed (a later updated time) or a re-check is due (`recheck_age`). An entry whose
  page could not be fetched or extracted records when, why and how many times in a row
  (`RememberFailed`), and waits `retry_failed`, doubled with each failure, before the next try
  (by a later run, or by the same streaming job, which asks for them at each poll).

Records no source has listed for the retention (30 days by default) are pruned
(`CrawlState.prune`). Every write is an update by a fixed id, so writing twice is writing
once; an entry is marked fetched only after its article is written (in batch, after its
batch; in streaming, after the sink's answer for it: `RememberFetched`), so a run that dies
half-way loses nothing: its entries are fetched by the next run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import islice
from typing import Any, Literal

import apache_beam as beam
from apache_beam.coders import PickleCoder, VarIntCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (
    BagStateSpec,
    ReadModifyWriteStateSpec,
    TimerSpec,
    on_timer,
)
from apache_beam.utils.timestamp import Duration, Timestamp
from elasticsearch import Elasticsearch, helpers

from newswire.schemas.article import Article
from newswire.schemas.urls import canonical_url
from newswire.transforms.coders import StateKey
from newswire.transforms.duplicates.exact import advance_article
from newswire.transforms.duplicates.settings import DEFAULT_TTL
from newswire.transforms.extraction.extract import ExtractArticles, _died
from newswire.transforms.extraction.provenance import read_listed_page
from newswire.transforms.index.retry import Repeater
from newswire.transforms.index.sink import Document
from newswire.transforms.records import DeadLetter, FeedEntry, NotModified, Page
from newswire.transforms.sources.schedule import FeedState
from newswire.transforms.sources.settings import StateSettings, entry_id, source_id

FETCHED = "fetched"
"""The tag of the extraction output that says which entry gave which article."""
_CHUNK = 500  # ids per mget, updates per bulk request
PENDING_LIMIT = 1000  # entries left from before a poll hands on, at most
_KEPT_SOURCES = 10_000  # unchanged sources whose old entries a prune keeps, at most
_EPOCH_SECOND = {"type": "date", "format": "epoch_second"}
_KEYWORD = {"type": "keyword", "ignore_above": 2048}

STATE_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "kind": {"type": "keyword"},  # source | entry
        "source": _KEYWORD,  # the source's URL; for an entry, the source that first listed it
        # a source
        "source_type": {"type": "keyword"},  # feed | sitemap
        # a source's (its feed's) or an entry's (its page's) validators, as the server sent
        # them: kept whatever their length, never searched
        "etag": {"type": "keyword", "index": False, "ignore_above": 2048},
        "last_modified": {"type": "keyword", "index": False, "ignore_above": 2048},
        "last_poll": _EPOCH_SECOND,
        "next_poll": _EPOCH_SECOND,
        "outcome": {"type": "keyword"},  # 200 | 304 | failed
        "error": {"type": "text"},
        "interval": {"type": "float"},
        "failures": {"type": "integer"},
        "entries": {"type": "integer"},  # entries in the last full answer
        "listed_at": _EPOCH_SECOND,  # when that answer came
        # an entry
        "link": _KEYWORD,
        "entry": {"type": "text", "index": False},  # FeedEntry.to_json
        "first_seen": _EPOCH_SECOND,
        "last_seen": _EPOCH_SECOND,
        "fetched_at": _EPOCH_SECOND,
        "fetched_updated": _EPOCH_SECOND,
        "article_id": {"type": "keyword"},
        "article_version": {"type": "long"},
        "page_version": {"type": "long"},  # the version the page's own dates gave the article
        "fingerprint": {"type": "keyword"},
        "failed_at": _EPOCH_SECOND,  # the last try, if it failed (with `failures`, `error`)
        "lasting": {"type": "boolean"},  # that failure would happen again (a 404, a PDF)
        "retried_at": _EPOCH_SECOND,  # when a retry of it was last handed on
        "retry_due": _EPOCH_SECOND,  # when it may be tried again (`retry_due`), if it failed
    },
}


def _seconds(value: Any) -> int | None:
    return None if value is None else int(value)


def _updated(entry: FeedEntry) -> int | None:
    return int(entry.updated.timestamp()) if entry.updated else None


def retry_due(record: dict[str, Any], settings: StateSettings) -> int | None:
    """When an entry whose last try failed may be tried again; None if it did not fail. A
    retry handed on and not over yet (or lost with its job) counts as a try."""
    if record.get("failed_at") is None:
        return None
    since = max(record["failed_at"], record.get("retried_at") or 0)
    return int(since + settings.failed_wait(record.get("failures") or 1,
                                            record.get("lasting") is True))


def is_due(entry: FeedEntry, record: dict[str, Any] | None, now: float,
           settings: StateSettings) -> bool:
    """Whether an entry must be fetched, given its record (None: never listed before)."""
    if record and (due := retry_due(record, settings)) is not None:  # its last try failed
        return now >= due
    if not record or record.get("fetched_at") is None:
        return True  # new, or listed by a run that did not get as far as its article
    fetched_updated = record.get("fetched_updated")
    updated = _updated(entry)
    if updated is not None and (fetched_updated is None or updated > fetched_updated):
        return True
    recheck_age = settings.recheck_age
    return recheck_age is not None and now - record["fetched_at"] >= recheck_age


def as_handed_on(entry: FeedEntry, record: dict[str, Any] | None) -> FeedEntry:
    """The entry as its record says to fetch it: a retry when its last try failed, and, when
    its article is indexed, with the validators its page was served with then."""
    if not record:
        return entry
    if record.get("failed_at") is not None:
        entry = replace(entry, retry=record.get("failures") or 1)
    if record.get("fetched_at") is None:  # no article indexed that a 304 would leave current
        return entry
    return replace(entry, page_etag=record.get("etag") or "",
                   page_last_modified=record.get("last_modified") or "",
                   indexed_fingerprint=record.get("fingerprint") or "",
                   indexed_version=record.get("article_version") or 0,
                   page_version=record.get("page_version") or 0)


class CrawlState:
    """The crawl state's reads and writes, for a DoFn to open in `setup` and close in
    `teardown`."""

    def __init__(self, settings: StateSettings) -> None:
        self.settings = settings
        self.alias = settings.alias
        self.client: Elasticsearch | None = None
        self.waiting = Metrics.counter("newswire", "entries_waiting_retry")
        self.retried = Metrics.counter("newswire", "entries_retried")

    def open(self, client: Elasticsearch | None = None) -> CrawlState:
        """Opens a client of its own, or borrows `client` (which its owner closes)."""
        self.client = client or self.settings.es.client()
        self.repeater = Repeater(self.settings.retry, self.settings.es.address)
        return self

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    @property
    def es(self) -> Elasticsearch:
        assert self.client is not None, "CrawlState used before open()"
        return self.client

    def source_record(self, url: str) -> dict[str, Any] | None:
        """The source's record as the last poll of any run left it; None if never polled."""
        return self._records([source_id(url)])[0]

    def source(self, url: str) -> FeedState | None:
        """The source's schedule and validators as the last poll of any run left them."""
        found = self.source_record(url)
        if found is None:
            return None
        return FeedState(url, found.get("etag") or "", found.get("last_modified") or "",
                         consecutive_failures=found.get("failures") or 0,
                         last_poll=found.get("last_poll"), next_poll=found.get("next_poll"),
                         interval=found.get("interval"))

    def due(self, listed: Sequence[FeedEntry], url: str, now: float,
            pending: Literal["all", "failed"] = "all") -> list[FeedEntry]:
        """Of the entries a poll of `url` listed, and of those the source listed before that
        are pending (`all`: not fetched yet, due a re-check, or failed; `failed`: failed, their
        retry due), the ones to fetch now. One whose page failed goes on as a retry
        (`FeedEntry.retry`) once its wait is over; those still waiting are counted
        (`entries_waiting_retry`).

        A streaming job asks for all pending ones on its first poll of a source only, as its
        own entries in flight would otherwise be handed on again at every poll; later polls
        ask for the failed ones, whose retries come due while the job runs."""
        links = {canonical_url(entry.link) for entry in listed if entry.link}
        left = self._pending(url, now, pending)
        candidates = [*listed, *(entry for entry in left
                                 if canonical_url(entry.link) not in links)]
        linked = [entry for entry in candidates if entry.link]
        records = self._records([entry_id(entry.link) for entry in linked])
        # a streaming job's later polls may find an entry that still waits by this job's
        # --retry-failed again: counted once
        recounted = {id(entry) for entry in left} if pending == "failed" else set()
        chosen: dict[int, FeedEntry] = {}
        retried: list[tuple[str, dict[str, Any], None]] = []
        for entry, record in zip(linked, records, strict=True):
            if is_due(entry, record, now, self.settings):
                chosen[id(entry)] = as_handed_on(entry, record)
                if chosen[id(entry)].retry:
                    retried.append((entry_id(entry.link), self._retried(record, now), None))
            elif record.get("failed_at") is not None and id(entry) not in recounted:
                self.waiting.inc()
        self.update(retried)
        self.retried.inc(len(retried))
        return [chosen.get(id(entry), entry) for entry in candidates
                if not entry.link or id(entry) in chosen]

    def _retried(self, record: dict[str, Any], now: float) -> dict[str, Any]:
        """The fields that say a retry of the entry was handed on now."""
        handed = {"retried_at": int(now)}
        return {**handed, "retry_due": retry_due({**record, **handed}, self.settings)}

    def record_poll(self, state: FeedState, outcome: str, error: str,
                    listed: Sequence[FeedEntry], now: float) -> None:
        """The source's state after a poll, and each entry it listed as seen now."""
        source: dict[str, Any] = {
            "kind": "source", "source": state.feed_url, "etag": state.etag,
            "last_modified": state.last_modified, "last_poll": _seconds(state.last_poll),
            "next_poll": _seconds(state.next_poll), "outcome": outcome, "error": error,
            "interval": state.interval, "failures": state.consecutive_failures}
        if outcome == "200":
            source["entries"], source["listed_at"] = len(listed), int(now)
            if listed:
                source["source_type"] = listed[0].source
        moment = int(now)
        updates = [(source_id(state.feed_url), source, None)] + [
            (entry_id(entry.link),
             {"last_seen": moment, "link": canonical_url(entry.link), "entry": entry.to_json()},
             {"kind": "entry", "source": state.feed_url, "first_seen": moment})
            for entry in listed if entry.link]
        self.update(updates)

    def record_failures(self, letters: Iterable[DeadLetter]) -> None:
        """Each entry whose page failed (its dead letter): when, why, and how many times in a
        row, so later runs wait before they try it again. Entries the state has no record of
        are left out."""
        failed = {entry_id(letter.url): letter for letter in letters}
        records = self._records(list(failed))
        self.update((record_id, self._failed(record, letter), None)
                    for (record_id, letter), record in zip(failed.items(), records, strict=True)
                    if record is not None)

    def _failed(self, record: dict[str, Any], letter: DeadLetter) -> dict[str, Any]:
        """The fields that say the entry's page failed once more, as `letter` says."""
        failure = {"failed_at": int(letter.at.timestamp()), "error": letter.reason,
                   "lasting": letter.lasting, "failures": (record.get("failures") or 0) + 1}
        return {**failure, "retry_due": retry_due({**record, **failure}, self.settings)}

    def update(self, updates: Iterable[tuple[str, dict[str, Any], dict[str, Any] | None]]
               ) -> None:
        """Partial updates (id, fields, fields only a new record gets), created if missing."""
        batch: list[dict[str, Any]] = []
        for record_id, fields, first in updates:
            batch += [{"update": {"_index": self.alias, "_id": record_id, "retry_on_conflict": 3}},
                      {"doc": fields, "upsert": {**fields, **(first or {})}}]
            if len(batch) >= 2 * _CHUNK:
                self._bulk(batch)
                batch = []
        if batch:
            self._bulk(batch)

    def _bulk(self, operations: list[dict[str, Any]]) -> None:
        response = self.repeater.call(lambda: self.es.bulk(operations=operations))
        if response.get("errors"):
            failed = [item["update"] for item in response["items"]
                      if item["update"].get("status", 0) >= 300]
            raise RuntimeError(f"crawl state update failed in {self.alias}: {failed[:2]}")

    def _records(self, ids: list[str]) -> list[dict[str, Any] | None]:
        """The records of `ids`, in order (None where there is none), read in chunks."""
        found: list[dict[str, Any] | None] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            docs = self.repeater.call(lambda chunk=chunk: self.es.mget(
                index=self.alias, ids=chunk)["docs"])
            found += [doc["_source"] if doc.get("found") else None for doc in docs]
        return found

    def _pending(self, url: str, now: float, which: Literal["all", "failed"]
                 ) -> list[FeedEntry]:
        """With `all`, entries the source listed whose last try failed, whose article is not
        indexed yet or is due a re-check; with `failed`, those whose retry is due by the time
        their failure set (`retry_due`). Those that never failed come first, then the failed
        ones longest due first (newest first within each), so however many failed entries
        wait, none waits behind them for ever."""
        if which == "failed":
            waiting = [_epoch_range("retry_due", lte=now)]
        else:
            waiting = [{"exists": {"field": "failed_at"}},
                       {"bool": {"must_not": {"exists": {"field": "fetched_at"}}}}]
            if self.settings.recheck_age is not None:
                waiting.append(_epoch_range("fetched_at", lte=now - self.settings.recheck_age))
        query = {"bool": {"filter": [{"term": {"kind": "entry"}}, {"term": {"source": url}}],
                          "should": waiting, "minimum_should_match": 1}}
        hits = self.repeater.call(lambda: self.es.search(
            index=self.alias, query=query, size=PENDING_LIMIT, source_includes=["entry"],
            sort=[{"retry_due": {"order": "asc", "missing": "_first"}},
                  {"first_seen": "desc"}]))["hits"]["hits"]
        return [FeedEntry.from_json(hit["_source"]["entry"]) for hit in hits
                if hit["_source"].get("entry")]

    def prune(self, now: float) -> int:
        """Deletes what no source has listed for `retention` seconds; returns how many records.

        Entries last listed before then go, except those of a source still polled whose last
        full answer is older still (one answering 304 all that time lists its entries as
        before, so they are kept). Sources not polled since then go with them: they left the
        feed lists."""
        retention = self.settings.retention
        if retention is None:
            return 0
        cutoff = {"lt": str(int(now - retention)), "format": "epoch_second"}
        unchanged = {"bool": {"filter": [
            {"term": {"kind": "source"}}, {"range": {"last_poll": {"gte": cutoff["lt"],
                                                                   "format": "epoch_second"}}}],
            "must_not": {"range": {"listed_at": {"gte": cutoff["lt"],
                                                 "format": "epoch_second"}}}}}
        hits = self.repeater.call(lambda: self.es.search(
            index=self.alias, query=unchanged, size=_KEPT_SOURCES,
            source_includes=["source"]))["hits"]["hits"]
        kept = [hit["_source"]["source"] for hit in hits]
        gone = {"bool": {"should": [
            {"bool": {"filter": [{"term": {"kind": "entry"}}, {"range": {"last_seen": cutoff}}],
                      "must_not": {"terms": {"source": kept}}}},
            {"bool": {"filter": [{"term": {"kind": "source"}},
                                 {"range": {"last_poll": cutoff}}]}}],
            "minimum_should_match": 1}}
        return self.repeater.call(lambda: self._delete(gone))

    def _delete(self, query: dict[str, Any]) -> int:
        """Deletes what `query` finds, a bulk request per chunk of a scroll (the bundled node
        has no delete-by-query, which comes with the reindex module); returns how many."""
        ids = (hit["_id"] for hit in helpers.scan(self.es, index=self.alias, size=_CHUNK,
                                                  query={"query": query}, _source=False))
        deleted = 0
        for chunk in iter(lambda: list(islice(ids, _CHUNK)), []):
            response = self.es.bulk(operations=[
                {"delete": {"_index": self.alias, "_id": record_id}} for record_id in chunk])
            deleted += sum(item["delete"].get("result") == "deleted"
                           for item in response["items"])
        return deleted


def _epoch_range(field: str, lte: float) -> dict[str, Any]:
    return {"range": {field: {"lte": str(int(lte)), "format": "epoch_second"}}}


Fetched = tuple[str, dict[str, Any]]
"""An entry record's id and the fields that say its page was fetched and what it gave."""
_NOT_FAILED = {"failed_at": None, "failures": 0, "retry_due": None}  # its last try did not fail


def fetched_record(page: Page, article: Article, page_version: int) -> Fetched:
    """What the record of the page's entry says once the page gave `article`, whose version
    its own dates made `page_version`."""
    return entry_id(page.entry.link), {
        "fetched_at": int(page.fetched_at.timestamp()), "fetched_updated": _updated(page.entry),
        "article_id": article.id, "article_version": article.version,
        "page_version": page_version, "fingerprint": article.fingerprint, "etag": page.etag,
        "last_modified": page.last_modified, **_NOT_FAILED}


def edited_in_place(article: Article, entry: FeedEntry) -> Article:
    """The article a re-check of `entry` brought back, advanced past the version indexed when
    its page changed without its dates moving (the page version the same, the fingerprint
    not): the edit counts from when it was first seen. An older copy (a lower page version)
    is left as it is, to lose to the newer one indexed."""
    if (entry.page_version and article.version == entry.page_version
            and article.fingerprint != entry.indexed_fingerprint):
        return advance_article(article, entry.indexed_version)
    return article


def not_modified_record(unchanged: NotModified) -> Fetched:
    """What the record of an entry says once a re-check of its page found it as it was."""
    return entry_id(unchanged.entry.link), {
        "fetched_at": int(unchanged.checked_at.timestamp()),
        "fetched_updated": _updated(unchanged.entry), **_NOT_FAILED}


def read_and_record(page: Page) -> tuple[Article | DeadLetter, Fetched | None]:
    """`read_listed_page`, and the entry's record if the page gave an article."""
    output = read_listed_page(page)
    if not isinstance(output, Article):
        return output, None
    article = edited_in_place(output, page.entry)
    return article, fetched_record(page, article, page_version=output.version)


def _died_unrecorded(page: Page) -> tuple[DeadLetter, None]:
    return _died(page), None


class ExtractAndRecord(ExtractArticles):
    """`extract_listed_articles`, also saying on the `FETCHED` output which entry gave which
    article (as an entry record's update), for `RememberFetched` to write once it is indexed."""

    def __init__(self, processes: int = 0) -> None:
        super().__init__(processes)
        self.function, self.broken = read_and_record, _died_unrecorded

    def outputs(self, result: tuple[Article | DeadLetter, Fetched | None],
                timestamp: Any) -> Iterator[Any]:
        output, record = result
        yield from super().outputs(output, timestamp)
        if record is not None:
            yield beam.pvalue.TaggedOutput(FETCHED, record)


class _StateWriter(beam.DoFn):
    """Writes to the crawl state in batches of `_CHUNK`, over a client of its own; counts
    what it wrote as `counter`."""

    def __init__(self, settings: StateSettings, counter: str) -> None:
        self.settings = settings
        self.written = Metrics.counter("newswire", counter)

    def setup(self) -> None:
        self.state = CrawlState(self.settings).open()

    def teardown(self) -> None:
        self.state.close()

    def start_bundle(self) -> None:
        self.buffer: list[Any] = []

    def add(self, item: Any) -> None:
        self.buffer.append(item)
        if len(self.buffer) >= _CHUNK:
            self._flush()

    def finish_bundle(self) -> None:
        self._flush()

    def _flush(self) -> None:
        if self.buffer:
            self.write(self.buffer)
            self.written.inc(len(self.buffer))
            self.buffer = []

    def write(self, items: list[Any]) -> None:
        """Write the items (by default entry records' updates, `Fetched`)."""
        self.state.update((record_id, fields, None) for record_id, fields in items)


class _WriteFetched(_StateWriter):
    """Writes entry records, leaving out those whose article the index rejected."""

    def __init__(self, settings: StateSettings) -> None:
        super().__init__(settings, "entries_recorded")

    def start_bundle(self) -> None:
        super().start_bundle()
        self.rejected: set[str] | None = None

    def process(self, record: Fetched, rejected: Iterable[str] = ()) -> None:
        if self.rejected is None:
            self.rejected = set(rejected)
        if record[1]["article_id"] not in self.rejected:
            self.add(record)


class RememberNotModified(_StateWriter):
    """Re-checked pages that answered 304 to the crawl state: each entry's record says it was
    fetched now (its article, as indexed, is current), so its next re-check is
    `--recheck-age` from now."""

    def __init__(self, settings: StateSettings) -> None:
        super().__init__(settings, "entries_recorded")

    def process(self, unchanged: NotModified) -> None:
        self.add(not_modified_record(unchanged))


class RememberFailed(_StateWriter):
    """The dead letters of fetching and extracting to the crawl state: each entry whose page
    failed records when, why and how many times in a row, so later runs wait
    (`StateSettings.failed_wait`) before they fetch it again."""

    def __init__(self, settings: StateSettings) -> None:
        super().__init__(settings, "entry_failures_recorded")

    def process(self, letter: DeadLetter) -> None:
        if letter.unit == "entry" and letter.url:
            self.add(letter)

    def write(self, items: list[DeadLetter]) -> None:
        self.state.record_failures(items)


class _AwaitWritten(beam.DoFn):
    """Per article id: entry records held until the sink answers for that version of the
    article or a newer one (written, or already held), then passed on. The answer is kept as
    long as the records (a TTL after the key was last seen), for records that come after it;
    records still waiting then (their article a dead letter, or dropped before the sink) are
    let go unwritten, so a later run fetches their entries again."""

    RECORDS = BagStateSpec("records", PickleCoder())
    ANSWERED = ReadModifyWriteStateSpec("answered", VarIntCoder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(self, ttl_seconds: int) -> None:
        self.ttl = Duration(seconds=ttl_seconds)

    def process(self, keyed: tuple[str, tuple[int, Fetched | None]],
                timestamp: Timestamp = beam.DoFn.TimestampParam,
                records: Any = beam.DoFn.StateParam(RECORDS),
                answered: Any = beam.DoFn.StateParam(ANSWERED),
                expiry: Any = beam.DoFn.TimerParam(EXPIRY)) -> Iterator[Fetched]:
        expiry.set(timestamp + self.ttl)
        version, record = keyed[1]
        held = answered.read()
        if record is not None:  # an entry's record
            if held is not None and version <= held:
                yield record
            else:
                records.add((version, record))
            return
        answered.write(max(version, held or 0))  # the sink's answer
        waiting = list(records.read())
        records.clear()
        for wanted, kept in waiting:
            if wanted <= version:
                yield kept
            else:
                records.add((wanted, kept))

    @on_timer(EXPIRY)
    def forget(self, records: Any = beam.DoFn.StateParam(RECORDS),
               answered: Any = beam.DoFn.StateParam(ANSWERED)) -> None:
        records.clear()
        answered.clear()


def _by_article(record: Fetched) -> tuple[str, tuple[int, Fetched | None]]:
    return record[1]["article_id"], (record[1]["article_version"], record)


def _answer(done: Article | Document) -> tuple[str, tuple[int, Fetched | None]]:
    """An article the sink took (its document) or dropped as a copy, as the answer its entry
    records wait for."""
    return done.id, (done.version or 0, None)


class RememberFetched(beam.PTransform):
    """Entry records to the crawl state, only once their articles are in the index, so an
    entry whose article did not make it (a dead letter, a run stopped in between) is fetched
    again by a later run.

    In batch the records wait for the index's `rejected` (a side input is complete only once
    the whole write is). In streaming each waits, per article, for the sink's answer
    (`written`: WriteAndPassOn's, unchanged ones included) or the article's drop as a copy
    (`dropped`, with `--drop-near-duplicates`), in keyed state for up to `ttl_seconds`.
    """

    def __init__(self, settings: StateSettings, rejected: beam.PCollection | None = None,
                 written: beam.PCollection | None = None,
                 dropped: beam.PCollection | None = None, ttl_seconds: int = DEFAULT_TTL
                 ) -> None:
        super().__init__()
        if (rejected is None) == (written is None):
            raise ValueError("RememberFetched waits for either the rejected or the written")
        self.settings, self.rejected, self.written = settings, rejected, written
        self.dropped, self.ttl_seconds = dropped, ttl_seconds

    def expand(self, records: beam.PCollection) -> beam.PCollection:
        write = _WriteFetched(self.settings)
        if self.rejected is not None:
            rejected_ids = self.rejected | "RejectedIds" >> beam.Map(lambda letter: letter.key)
            return records | "Write" >> beam.ParDo(write, beam.pvalue.AsList(rejected_ids))
        keyed = tuple[StateKey, tuple[int, Any]]
        answers = [self.written | "Answers" >> beam.Map(
            lambda written: _answer(written[0])).with_output_types(keyed)]
        if self.dropped is not None:
            answers.append(self.dropped | "DroppedCopies" >> beam.Map(
                _answer).with_output_types(keyed))
        answered = (
            (records | "ByArticle" >> beam.Map(_by_article).with_output_types(keyed), *answers)
            | "Meet" >> beam.Flatten().with_output_types(keyed)
            | "AwaitWritten" >> beam.ParDo(_AwaitWritten(self.ttl_seconds)))
        return answered | "Write" >> beam.ParDo(write)
