"""`newswire deadletter list|replay`: what failed, and sending it through the pipeline again.

    dead-letter index ─► fetch, extract letters ─► FeedEntry ─► FetchPages ─► Extract ─┐
       (--stage,        index letters ─────────► Article ──────────────────────────────┤
        --since)                                                  Validate ─► IndexArticles
    failures ─► IndexDeadLetters (same ids: attempts + 1, first_seen kept)

Replay is for after the cause is fixed (a page back online, a mapping corrected). Letters that
no longer fail are deleted afterwards; those that fail again stay, with their attempts counted.
Ids and versions are those of a run, so replaying twice indexes nothing twice. Poll letters
(a whole feed) are not replayed: the next run polls the feed again. Validation letters are
not either: the same record would fail the same way.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions
from elasticsearch import Elasticsearch, helpers

from newswire.pipeline.job import errors, lifecycle, runners
from newswire.pipeline.job.graph import (
    IndexArticles,
    IndexDeadLetters,
    IngestConfig,
    ValidateArticles,
    with_dead_letters,
)
from newswire.pipeline.job.summary import summarize
from newswire.pipeline.options import NewswireOptions, add_flags
from newswire.schemas.article import Article
from newswire.transforms.extraction.provenance import extract_listed_articles
from newswire.transforms.fetching.fetch import FetchPages
from newswire.transforms.index.client import EsConnection, check_index_name
from newswire.transforms.records import DEAD_LETTER, FeedEntry

REPLAYABLE = ("fetch", "extract", "index")
STAGES = ("poll", "fetch", "extract", "validate", "index")


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("deadletter", help="list dead letters, or replay them")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="show dead letters, latest first")
    add_flags(listing, "es_url", "dead_letter_index")
    listing.add_argument("--limit", type=int, default=50)
    replay = actions.add_parser(
        "replay", help=f"send {', '.join(REPLAYABLE)} dead letters through the pipeline again")
    NewswireOptions._add_argparse_args(replay)
    for action in (listing, replay):
        action.add_argument("--stage", choices=STAGES, help="only letters of this stage")
        action.add_argument("--since", type=_moment, help="only letters of failures since "
                            "then (YYYY-MM-DD or an ISO timestamp)")
    listing.set_defaults(handler=_list)
    replay.set_defaults(handler=_replay)


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def query(stages: tuple[str, ...], since: datetime | None) -> dict[str, Any]:
    filters: list[dict[str, Any]] = [{"terms": {"stage": list(stages)}}]
    if since:
        filters.append({"range": {"at": {"gte": since.isoformat()}}})
    return {"bool": {"filter": filters}}


def _list(args: argparse.Namespace, _: list[str]) -> int:
    check_index_name(args.dead_letter_index)
    stages = (args.stage,) if args.stage else STAGES
    with EsConnection(args.es_url).session() as client:
        client.indices.refresh(index=args.dead_letter_index)  # include the latest run's
        response = client.search(index=args.dead_letter_index, size=args.limit,
                                 query=query(stages, args.since), sort=[{"at": "desc"}])
    hits = response["hits"]["hits"]
    for hit in hits:
        letter = hit["_source"]
        print(f"{letter['at'][:19].replace('T', ' ')}  {letter['stage']:8} "
              f"x{letter.get('attempts', 1):<3} {letter['unit']:5}  {letter['url']}\n"
              f"{'':21}{letter['reason']}")
    total = response["hits"]["total"]["value"]
    print(f"({len(hits)} of {total} dead letters in {args.dead_letter_index})")
    return 0


def _replay(args: argparse.Namespace, _: list[str]) -> int:
    if args.stage and args.stage not in REPLAYABLE:
        raise ValueError(f"{args.stage} letters are not replayable; replay "
                         f"{', '.join(REPLAYABLE)} letters")
    values = {k: v for k, v in vars(args).items()
              if k not in ("command", "handler", "action", "stage", "since", "verbose",
                           "log_level")}
    config = PipelineOptions(**values).view_as(NewswireOptions).ingest_config()
    for name in (config.index, config.dead_letter_index, config.history_index):
        check_index_name(name)
    connection = config.es
    stages = (args.stage,) if args.stage else REPLAYABLE
    with connection.session() as client:
        client.indices.refresh(index=config.dead_letter_index)
        hits = list(helpers.scan(client, index=config.dead_letter_index,
                                 query={"query": query(stages, args.since)}))
    letters = readable(hits)
    if not letters:
        print(f"no replayable dead letters in {config.dead_letter_index}")
        return 0
    by_stage = {s: sum(letter.stage == s for letter in letters) for s in stages}
    print(f"replaying {len(letters)} dead letters ("
          + ", ".join(f"{s} {n}" for s, n in by_stage.items() if n) + f") into {config.index}")
    started = datetime.now(timezone.utc)
    with ExitStack() as resources:
        options = PipelineOptions(**values)
        pipeline = beam.Pipeline(runner=runners.choose_runner(options, resources), options=options)
        _ = pipeline | ReplayDeadLetters(letters, config)
        with errors.outage_in_one_line():
            result = pipeline.run()
        lifecycle.wait(result)
    summary = summarize(result)
    print(summary.render())
    with connection.session() as client:
        resolved = _remove_resolved(client, config.dead_letter_index,
                                    [letter.id for letter in letters], started)
    print(f"{resolved} dead letters resolved and removed, {len(letters) - resolved} failed "
          "again (attempts counted)")
    return summary.exit_status


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
                 | "FetchPages" >> with_dead_letters(FetchPages(self.config.http), "pages"))
        extracted = pages.pages | "Extract" >> with_dead_letters(
            extract_listed_articles(), "articles")  # valid articles, or dead letters
        valid = (begin
                 | "Articles" >> beam.Create(stored)
                 | "CountArticles" >> beam.Map(_seen)
                 | "Validate" >> with_dead_letters(ValidateArticles(), "valid"))
        rejected = ((extracted.articles, valid.valid)
                    | "AllArticles" >> beam.Flatten()
                    | "IndexArticles" >> IndexArticles(self.config))
        return ((pages[DEAD_LETTER], extracted[DEAD_LETTER], valid[DEAD_LETTER], rejected)
                | "AllDeadLetters" >> beam.Flatten()
                | "IndexDeadLetters" >> IndexDeadLetters(self.config))


def _seen(item: Any) -> Any:
    Metrics.counter("newswire", "entries_seen").inc()
    return item


def _remove_resolved(client: Elasticsearch, index: str, ids: list[str],
                     started: datetime) -> int:
    """Delete the replayed letters that did not fail again (not re-dated since `started`)."""
    client.indices.refresh(index=index)
    found = client.mget(index=index, ids=ids, source_includes=["at"])["docs"]
    resolved = [doc["_id"] for doc in found if doc.get("found")
                and datetime.fromisoformat(doc["_source"]["at"]) < started]
    if resolved:
        client.bulk(operations=[{"delete": {"_index": index, "_id": id_}} for id_ in resolved],
                    refresh=True)
    return len(resolved)
