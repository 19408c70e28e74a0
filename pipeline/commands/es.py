"""`newswire es start|stop|status|migrate`: the managed local node, and the index's mapping."""

from __future__ import annotations

import argparse

from newswire.pipeline.commands import connection_arguments
from newswire.pipeline.services.elasticsearch import DEFAULT_PORT, LocalNode
from newswire.transforms.index.client import EsConnection


def arguments(parser: argparse.ArgumentParser) -> None:
    """`newswire es ACTION [--port N] [--heap-mb N] [--es-url URL] [--index ALIAS]`."""
    parser.add_argument("action", choices=("start", "stop", "status", "migrate"),
                        help="migrate: reindex the alias into a new versioned index, swap the "
                        "alias")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--heap-mb", type=int, default=LocalNode.heap_mb)
    connection_arguments(parser)
    parser.set_defaults(handler=_es)


def _es(args: argparse.Namespace, _: list[str]) -> int:
    node = LocalNode(port=args.port, heap_mb=args.heap_mb)
    if args.action == "migrate":
        # The mapping code needs the Elasticsearch client library, which the node's actions
        # do without: imported for this action only.
        from newswire.transforms.index.layout import article_mapping_for, migrate

        with EsConnection(args.es_url).session() as client:
            migrate(client, args.index, article_mapping_for(client))
    elif args.action == "start":
        node.start()
    elif args.action == "stop":
        node.stop()
    else:
        print(node.status())
        return 0 if node.health() else 3
    return 0
