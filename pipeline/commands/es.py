"""`newswire es start|stop|status|migrate`: the managed local node, and the pieces behind each
alias.

`status` reads over the small reader (no client library); `migrate` moves each alias (articles,
dead letters, history, crawl state) into a new generation of pieces with the client, each with
its own mapping and, for articles, the sources to prepare again (the by_language copies that
_source leaves out).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from newswire.pipeline.options import add_flags, sizing_of
from newswire.pipeline.services.elasticsearch import DEFAULT_PORT, LocalNode
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.pieces import pieces_of
from newswire.transforms.index.reader import Reader, reading
from newswire.transforms.sources.settings import state_alias

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

Prepare = Callable[[dict[str, Any]], dict[str, Any]]


def arguments(parser: argparse.ArgumentParser) -> None:
    """`newswire es ACTION [--port N] [--heap-mb N] [--es-url URL] [--index ALIAS] ...`."""
    parser.add_argument("action", choices=("start", "stop", "status", "migrate"),
                        help="status: the node, and the pieces behind each alias; migrate: copy "
                        "each alias into a new generation of pieces, then swap it")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--heap-mb", type=int, default=LocalNode.heap_mb)
    add_flags(parser, "es_url", "index", "dead_letter_index", "history_index", "state_index")
    add_flags(parser, "es_shards", "es_replicas", "es_rollover_size", "es_rollover_docs",
              help="migrate: as for `newswire run`")
    parser.set_defaults(handler=_es)


def _es(args: argparse.Namespace, _: list[str]) -> int:
    node = LocalNode(port=args.port, heap_mb=args.heap_mb)
    if args.action == "migrate":
        with EsConnection(args.es_url).session() as client:
            migrate_all(client, args)
    elif args.action == "start":
        node.start()
    elif args.action == "stop":
        node.stop()
    else:
        return _status(args, node)
    return 0


def _status(args: argparse.Namespace, node: LocalNode) -> int:
    """The local node's health (unless --es-url names another cluster), then the pieces."""
    elsewhere = args.es_url != EsConnection().url
    if not elsewhere:
        print(node.status())
        if node.health() is None:
            return 3
    with reading(EsConnection(args.es_url if elsewhere else node.url)) as reader:
        for line in status(reader, [args.index, args.dead_letter_index, args.history_index,
                                     state_alias(args.index, args.state_index)]):
            print(line)
    return 0


def status(reader: Reader, names: list[str]) -> Iterator[str]:
    """Lines saying what is behind each alias: its pieces, with documents, size and shards."""
    for alias in names:
        indices = reader.get_alias(alias)
        if indices is None:
            yield f"{alias}: none yet"
            continue
        behind = pieces_of(indices, alias)
        rows = {row["index"]: row for row in reader.cat_indices(
            list(behind.names), bytes="b", h="index,docs.count,store.size,pri,rep")}
        docs = sum(int(rows[name]["docs.count"] or 0) for name in behind.names)
        size = sum(int(rows[name]["store.size"] or 0) for name in behind.names)
        yield (f"{alias}: {len(behind.names)} piece{'s' * (len(behind.names) > 1)}, "
               f"{docs:,} documents, {_megabytes(size)}"
               + ("" if behind.rolls_over else "; one index that does not roll over: run "
                  "`newswire es migrate`"))
        for name in behind.names:
            row = rows[name]
            yield (f"  {name:{max(map(len, behind.names))}}  {int(row['docs.count'] or 0):>12,} "
                   f"documents  {_megabytes(int(row['store.size'] or 0)):>10}  "
                   f"{row['pri']} shard(s), {row['rep']} replica(s)"
                   + ("  <- writes" if name == behind.write else ""))


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def aliases(client: Elasticsearch, args: argparse.Namespace
            ) -> list[tuple[str, dict[str, Any], Prepare]]:
    """(alias, mapping, prepare) for the articles, dead letters, history and crawl state that
    `args` name."""
    from newswire.transforms.index.layout import (
        DEAD_LETTER_MAPPING,
        HISTORY_MAPPING,
        article_mapping_for,
        indexed_article,
    )
    from newswire.transforms.sources.state import STATE_MAPPING

    return [(args.index, article_mapping_for(client), indexed_article),
            (args.dead_letter_index, DEAD_LETTER_MAPPING, dict),
            (args.history_index, HISTORY_MAPPING, dict),
            (state_alias(args.index, args.state_index), STATE_MAPPING, dict)]


def migrate_all(client: Elasticsearch, args: argparse.Namespace) -> None:
    """Move each existing alias into a new generation of pieces, sized as `args` say. The
    layout needs the client library, which the other actions do without: imported here."""
    from newswire.transforms.index.layout import migrate
    from newswire.transforms.index.pieces import pieces

    for alias, mapping, prepare in aliases(client, args):
        if pieces(client, alias) is None:
            print(f"{alias}: none yet")
            continue
        migrate(client, alias, mapping, prepare=prepare, sizing=sizing_of(args))
