"""`newswire es start|stop|status|migrate`: the managed local node, and the pieces behind each
alias."""

from __future__ import annotations

import argparse

from newswire.pipeline.options import add_flags
from newswire.pipeline.services.elasticsearch import DEFAULT_PORT, LocalNode
from newswire.transforms.index.client import EsConnection


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
        # The index code needs the Elasticsearch client library, which the node's actions do
        # without: imported for this action only.
        from newswire.pipeline.commands import indices

        with EsConnection(args.es_url).session() as client:
            indices.migrate_all(client, args)
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
    from newswire.pipeline.commands import indices
    from newswire.transforms.sources.settings import state_alias

    with EsConnection(args.es_url if elsewhere else node.url).session() as client:
        for line in indices.status(client, [args.index, args.dead_letter_index,
                                            args.history_index,
                                            state_alias(args.index, args.state_index)]):
            print(line)
    return 0
