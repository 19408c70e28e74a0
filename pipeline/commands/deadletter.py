"""`newswire deadletter list|replay`: what failed, and sending it through the pipeline again.

Replay is for after the cause is fixed (a page back online, a mapping corrected): the letters
go through the job in `newswire.pipeline.job.replay`. Letters that no longer fail are deleted
afterwards; those that fail again stay, with their attempts counted. Ids and versions are those
of a run, so replaying twice indexes nothing twice. Poll letters (a whole feed) are not
replayed: the next run polls the feed again. Validation letters are not either: the same
record would fail the same way.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from newswire.pipeline.commands import moment
from newswire.pipeline.options import add_flags
from newswire.transforms.index.client import EsConnection, check_index_name
from newswire.transforms.index.reader import reading

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

REPLAYABLE = ("fetch", "extract", "index")
STAGES = ("poll", "fetch", "extract", "validate", "index")


def arguments(parser: argparse.ArgumentParser) -> None:
    """`newswire deadletter list` and `newswire deadletter replay` (with the run's options)."""
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="show dead letters, latest first")
    add_flags(listing, "es_url", "dead_letter_index")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(handler=_list)
    actions.add_parser(
        "replay", help=f"send {', '.join(REPLAYABLE)} dead letters through the pipeline again",
        arguments=_replay_arguments)  # the run's options: built only for a replay
    for action in actions.choices.values():
        action.add_argument("--stage", choices=STAGES, help="only letters of this stage")
        action.add_argument("--since", type=moment, help="only letters of failures since "
                            "then (YYYY-MM-DD or an ISO timestamp)")


def _replay_arguments(parser: argparse.ArgumentParser) -> None:
    from newswire.pipeline.job.pipeline_options import NewswireOptions

    NewswireOptions._add_argparse_args(parser)
    parser.set_defaults(handler=_replay)


def query(stages: tuple[str, ...], since: datetime | None) -> dict[str, Any]:
    filters: list[dict[str, Any]] = [{"terms": {"stage": list(stages)}}]
    if since:
        filters.append({"range": {"at": {"gte": since.isoformat()}}})
    return {"bool": {"filter": filters}}


def _list(args: argparse.Namespace, _: list[str]) -> int:
    check_index_name(args.dead_letter_index)
    stages = (args.stage,) if args.stage else STAGES
    with reading(EsConnection(args.es_url)) as reader:
        reader.refresh(args.dead_letter_index)  # include the latest run's
        response = reader.search(args.dead_letter_index, {
            "size": args.limit, "query": query(stages, args.since), "sort": [{"at": "desc"}]})
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
    # What a replay runs: Beam and the job, imported only for it.
    from apache_beam.options.pipeline_options import PipelineOptions
    from elasticsearch import helpers

    from newswire.pipeline.job.pipeline_options import NewswireOptions
    from newswire.pipeline.job.replay import readable, replay
    from newswire.transforms.index.layout import ensure_index
    from newswire.transforms.sources.state import STATE_MAPPING

    if args.stage and args.stage not in REPLAYABLE:
        raise ValueError(f"{args.stage} letters are not replayable; replay "
                         f"{', '.join(REPLAYABLE)} letters")
    values = {k: v for k, v in vars(args).items()
              if k not in ("command", "handler", "action", "stage", "since", "verbose",
                           "log_level")}
    config = PipelineOptions(**values).view_as(NewswireOptions).ingest_config()
    for name in (config.index, config.dead_letter_index, config.history_index,
                 config.state_index):
        check_index_name(name)
    connection = config.es
    stages = (args.stage,) if args.stage else REPLAYABLE
    with connection.session() as client:
        client.indices.refresh(index=config.dead_letter_index)
        hits = list(helpers.scan(client, index=config.dead_letter_index,
                                 query={"query": query(stages, args.since)}))
        if hits and config.state_index:  # letters of an older version: the state comes now
            ensure_index(client, config.state_index, STATE_MAPPING, config.sizing.settings())
    letters = readable(hits)
    if not letters:
        print(f"no replayable dead letters in {config.dead_letter_index}")
        return 0
    by_stage = {s: sum(letter.stage == s for letter in letters) for s in stages}
    print(f"replaying {len(letters)} dead letters ("
          + ", ".join(f"{s} {n}" for s, n in by_stage.items() if n) + f") into {config.index}")
    started = datetime.now(timezone.utc)
    summary = replay(letters, PipelineOptions(**values), config)
    print(summary.render())
    with connection.session() as client:
        resolved = _remove_resolved(client, config.dead_letter_index,
                                    [letter.id for letter in letters], started)
    print(f"{resolved} dead letters resolved and removed, {len(letters) - resolved} failed "
          "again (attempts counted)")
    return summary.exit_status


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
