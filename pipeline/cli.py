"""The `newswire` command: run the job, search the index, manage the local node and corpus."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from apache_beam.options.pipeline_options import PipelineOptions

from deploy.elasticsearch import DEFAULT_PORT, LocalNode, NodeError
from pipeline import job
from pipeline.options import NewswireOptions
from pipeline.seed_server import SeedServer
from schemas import seed
from schemas.article import Article
from transforms.es_client import EsConnection

DEFAULT_ES_URL = f"http://127.0.0.1:{DEFAULT_PORT}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "run":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return args.handler(args, rest)
    except (NodeError, ValueError, OSError) as error:
        print(f"newswire: {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newswire", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run", help="ingest feeds into Elasticsearch (no --feeds: the bundled corpus)",
        description="Ingest feeds into Elasticsearch. Other flags go to Beam (--runner ...).")
    NewswireOptions._add_argparse_args(run)
    run.set_defaults(handler=_run)

    search = commands.add_parser("search", help="search the index, print hits in seed format")
    search.add_argument("query", nargs="?", default="")
    search.add_argument("--outlet")
    search.add_argument("--since", type=_date, help="YYYY-MM-DD or an ISO timestamp")
    search.add_argument("--limit", type=int, default=10)
    search.add_argument("--format", choices=("seed", "json"), default="seed")
    _connection_args(search)
    search.set_defaults(handler=_search)

    es = commands.add_parser("es", help="the managed local Elasticsearch node")
    es.add_argument("action", choices=("start", "stop", "status"))
    es.add_argument("--port", type=int, default=DEFAULT_PORT)
    es.add_argument("--heap-mb", type=int, default=512)
    es.set_defaults(handler=_es)

    serve = commands.add_parser("serve-seeds", help="serve the bundled corpus over loopback")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--root", type=Path, help="a corpus directory (default: the bundled one)")
    serve.set_defaults(handler=_serve_seeds)
    return parser


def _connection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--es-url", default=DEFAULT_ES_URL)
    parser.add_argument("--index", default="newswire-articles")


def _date(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _run(args: argparse.Namespace, beam_args: list[str]) -> int:
    server = None
    if not args.feeds:
        if args.es_url == DEFAULT_ES_URL:
            LocalNode().start(say=lambda line: print(f"[es] {line}"))
        server = SeedServer().start()
        print(f"[seeds] serving the bundled corpus at {server.base_url}")
        args.feeds = [server.url("feeds.opml")]
        args.allow_private_addresses = True
    try:
        values = {k: v for k, v in vars(args).items() if k not in ("command", "handler")}
        options = PipelineOptions(beam_args, **values)
        summary = job.run(options)
    finally:
        if server:
            server.stop()
    print(summary.render())
    _show_latest(EsConnection(args.es_url), args.index)
    return 0 if summary.balanced else 2


def _show_latest(connection: EsConnection, index: str, count: int = 5) -> None:
    client = connection.client()
    try:
        client.indices.refresh(index=index)
        total = client.count(index=index)["count"]
        hits = client.search(index=index, size=count, sort=[{"published_at": "desc"}],
                             source=["title", "outlet", "published_at"])["hits"]["hits"]
    finally:
        client.close()
    print(f"\n{total} articles in {index}; the latest:")
    for hit in hits:
        doc = hit["_source"]
        print(f"  {doc['published_at'][:16].replace('T', ' ')}  {doc['outlet']}: {doc['title']}")


def search_query(query: str, outlet: str | None, since: datetime | None) -> dict[str, Any]:
    """The Elasticsearch query behind `newswire search`."""
    must: list[dict[str, Any]] = []
    if query:
        must.append({"multi_match": {
            "query": query,
            "fields": ["title^3", "summary^2", "text", "authors", "credits.raw", "outlet"],
        }})
    filters: list[dict[str, Any]] = []
    if outlet:
        filters.append({"term": {"outlet.keyword": outlet}})
    if since:
        filters.append({"range": {"published_at": {"gte": since.isoformat()}}})
    return {"bool": {"must": must or [{"match_all": {}}], "filter": filters}}


def _search(args: argparse.Namespace, _: list[str]) -> int:
    client = EsConnection(args.es_url).client()
    try:
        response = client.search(
            index=args.index, size=args.limit,
            query=search_query(args.query, args.outlet, args.since),
            sort=["_score", {"published_at": "desc"}],
        )
    finally:
        client.close()
    articles = [Article.from_dict(hit["_source"]) for hit in response["hits"]["hits"]]
    if args.format == "json":
        print(json.dumps([a.to_dict() for a in articles], indent=2, ensure_ascii=False))
    else:
        print("\n\n---\n\n".join(seed.render(a) for a in articles))
    print(f"\n({len(articles)} of {response['hits']['total']['value']} hits)", file=sys.stderr)
    return 0


def _es(args: argparse.Namespace, _: list[str]) -> int:
    node = LocalNode(port=args.port, heap_mb=args.heap_mb)
    if args.action == "start":
        node.start()
    elif args.action == "stop":
        node.stop()
    else:
        print(node.status())
        return 0 if node.health() else 3
    return 0


def _serve_seeds(args: argparse.Namespace, _: list[str]) -> int:
    server = SeedServer(root=args.root, port=args.port)
    print(f"serving {server.layers[0]} at {server.base_url} (feed list: "
          f"{server.url('feeds.opml')}); Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
