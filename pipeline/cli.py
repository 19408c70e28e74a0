"""The `newswire` command: run the job, search the index, manage the local node and corpus."""

from __future__ import annotations

# First: it holds what Beam logs while it is imported until the log level is known.
from newswire.pipeline import logs  # isort: split

import argparse
import json
import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from typing import NoReturn

from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.commands import (
    deadletter,
    discover,
    evaluate,
    kibana,
    schema,
    search,
    sources,
)
from newswire.pipeline.commands.search import Search
from newswire.pipeline.job import lifecycle, remote
from newswire.pipeline.job.graph import IngestConfig
from newswire.pipeline.job.summary import summarize
from newswire.pipeline.options import NewswireOptions
from newswire.pipeline.services.elasticsearch import DEFAULT_PORT, LocalNode, NodeError
from newswire.pipeline.services.jobserver import JobServerFailed
from newswire.pipeline.services.prism import PrismUnavailable
from newswire.pipeline.services.seed_server import SeedServer
from newswire.schemas import seed
from newswire.transforms.extraction.extract import extract_article
from newswire.transforms.fetching.fetch import page_from_response
from newswire.transforms.fetching.http import FetchError, HttpClient, HttpSettings
from newswire.transforms.index.client import ClusterRefused, EsConnection, check_index_name
from newswire.transforms.index.layout import article_mapping_for, migrate
from newswire.transforms.index.retry import ClusterUnavailable
from newswire.transforms.records import FeedEntry

DEFAULT_ES_URL = EsConnection().url
INTERRUPTED = 130  # the exit status of a run stopped by Ctrl-C, as shells report SIGINT
CORPUS_PORT = 8765


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "run":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        with logs.configured(logs.level_from(args)):
            return args.handler(args, rest)
    except (NodeError, PrismUnavailable, JobServerFailed, ClusterRefused, ClusterUnavailable,
            ValueError, OSError, FetchError) as error:
        print(f"newswire: {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newswire", description=__doc__)
    logs.add_arguments(parser)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run", help="ingest feeds into Elasticsearch (no --feeds: the bundled corpus)",
        description="Ingest feeds into Elasticsearch. Other flags go to Beam (--runner ...).")
    NewswireOptions._add_argparse_args(run)
    # The launching terminal's own setting, not the job's: no runner or template carries it.
    run.add_argument("--stop-wait", type=float, default=lifecycle.STOP_WAIT,
                     help="streaming: seconds a stop (Ctrl-C) waits for the entries in flight "
                     "to end before cancelling the job")
    run.set_defaults(handler=_run)

    search = commands.add_parser("search", help="search the index, print hits in seed format")
    search.add_argument("query", nargs="?", default="")
    search.add_argument("--outlet", help="exact outlet name")
    search.add_argument("--author", help="exact byline name")
    search.add_argument("--credit", help="a name in the credits line (reporter, editor, ...)")
    search.add_argument("--since", type=_date, help="YYYY-MM-DD or an ISO timestamp")
    search.add_argument("--until", type=_date, help="YYYY-MM-DD or an ISO timestamp")
    search.add_argument("--language", help="ISO 639-1 code, e.g. en")
    search.add_argument("--has-image", action="store_true", help="only articles with a picture")
    search.add_argument("--cluster", help="every copy of one story: its cluster id")
    search.add_argument("--sort", choices=("relevance", "date"), default="relevance")
    search.add_argument("--limit", type=int, default=10)
    search.add_argument("--format", choices=("seed", "json", "table"), default="seed")
    _connection_args(search)
    search.set_defaults(handler=_search)

    extract = commands.add_parser("extract", help="print one page's article record")
    extract.add_argument("source", help="a URL to fetch or an HTML file")
    extract.add_argument("--url", help="the page's URL, when SOURCE is a file")
    extract.add_argument("--format", choices=("seed", "json"), default="seed")
    extract.add_argument("--allow-private-addresses", action="store_true")
    extract.set_defaults(handler=_extract)

    es = commands.add_parser("es", help="the managed local Elasticsearch node and the indices")
    es.add_argument("action", choices=("start", "stop", "status", "migrate"),
                    help="migrate: reindex the alias into a new versioned index, swap the alias")
    es.add_argument("--port", type=int, default=DEFAULT_PORT)
    es.add_argument("--heap-mb", type=int, default=LocalNode.heap_mb)
    _connection_args(es)
    es.set_defaults(handler=_es)

    serve = commands.add_parser("serve-seeds", help="serve the bundled corpus over loopback")
    serve.add_argument("--port", type=int, default=CORPUS_PORT)
    serve.add_argument("--root", type=Path, help="a corpus directory (default: the bundled one)")
    serve.set_defaults(handler=_serve_seeds)

    kibana.register(commands)
    schema.register(commands)
    discover.register(commands)
    evaluate.register(commands)
    deadletter.register(commands)
    sources.register(commands)
    for command in commands.choices.values():
        logs.add_arguments(command, subcommand=True)
    return parser


def _connection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--es-url", default=DEFAULT_ES_URL)
    parser.add_argument("--index", default=IngestConfig().index)


def _date(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _run(args: argparse.Namespace, beam_args: list[str]) -> int:
    with ExitStack() as resources:
        elsewhere = remote.is_remote(PipelineOptions(beam_args))
        if not args.feeds and not args.warc and elsewhere:
            raise ValueError("give --feeds: remote workers cannot reach the bundled corpus, "
                             "which is served on this machine's loopback")
        if not args.feeds and args.es_url == DEFAULT_ES_URL:
            LocalNode().start(say=lambda line: print(f"[es] {line}"))
        if not args.feeds and not args.warc:
            server = resources.enter_context(_corpus_server())
            print(f"[seeds] serving the bundled corpus at {server.base_url}")
            args.feeds = [server.url("feeds.opml")]
            args.allow_private_addresses = True
        values = {k: v for k, v in vars(args).items()
                  if k not in ("command", "handler", "verbose", "log_level", "stop_wait")}
        options = PipelineOptions(beam_args, **values)
        try:
            result = lifecycle.start(options, resources)
        except KeyboardInterrupt:  # a local batch run runs within start
            print("\nnewswire: stopped (Ctrl-C) before the run ended; what was indexed stays, "
                  "and running again fetches the rest", file=sys.stderr)
            return INTERRUPTED
        if elsewhere:
            return remote.follow(result, options)
        try:
            lifecycle.wait(result)
        except KeyboardInterrupt:
            print()
            summary = lifecycle.stop(result, args.stop_wait)
        else:
            summary = summarize(result)
    print(summary.render())
    _show_latest(EsConnection(args.es_url, api_key_secret=args.es_api_key_secret), args.index)
    return summary.exit_status


def _corpus_server() -> SeedServer:
    """The bundled corpus on its usual port when free (so its URLs, and the dead letters that
    name them, are the same on every run), else on any free port."""
    try:
        return SeedServer(port=CORPUS_PORT)
    except OSError:
        return SeedServer()


def _show_latest(connection: EsConnection, index: str, count: int = 5) -> None:
    with connection.session() as client:
        client.indices.refresh(index=index)
        total = client.count(index=index)["count"]
        hits = client.search(index=index, size=count, sort=[{"published_at": "desc"}],
                             source=["title", "outlet", "published_at"])["hits"]["hits"]
    print(f"\n{total} articles in {index}; the latest:")
    for hit in hits:
        doc = hit["_source"]
        print(f"  {doc['published_at'][:16].replace('T', ' ')}  {doc['outlet']}: {doc['title']}")


def _search(args: argparse.Namespace, _: list[str]) -> int:
    check_index_name(args.index)
    request = Search(
        text=args.query, outlet=args.outlet, author=args.author, credit=args.credit,
        since=args.since, until=args.until, language=args.language, has_image=args.has_image,
        cluster=args.cluster, sort=args.sort, limit=args.limit)
    with EsConnection(args.es_url).session() as client:
        response = client.search(index=args.index, **request.body())
    hits = response["hits"]["hits"]
    print(search.render(hits, args.format))
    print(f"\n({len(hits)} of {response['hits']['total']['value']} hits)", file=sys.stderr)
    return 0


def _extract(args: argparse.Namespace, _: list[str]) -> int:
    if args.source.startswith(("http://", "https://")):
        client = HttpClient(HttpSettings(allow_private=args.allow_private_addresses))
        client.open()
        try:
            response = client.get(args.source)
        finally:
            client.close()
        page = page_from_response(FeedEntry(link=args.source, feed_url=""), response)
        html, url = page.html, page.url
    else:
        html, url = Path(args.source).read_text(errors="replace"), args.url or ""
        if not url:
            raise ValueError("give --url with an HTML file: links and ids depend on it")
    article = extract_article(html, url, fetched_at=datetime.now(timezone.utc))
    if args.format == "json":
        print(json.dumps(article.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(seed.render(article))
    return 0


def _es(args: argparse.Namespace, _: list[str]) -> int:
    node = LocalNode(port=args.port, heap_mb=args.heap_mb)
    if args.action == "migrate":
        with EsConnection(args.es_url).session() as client:
            migrate(client, args.index, article_mapping_for(client))
            from newswire.transforms.sources.state import STATE_MAPPING, state_alias
            migrate(client, state_alias(args.index), STATE_MAPPING)
    elif args.action == "start":
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


def console() -> NoReturn:
    """The `newswire` command: `main`, exiting at once after a Ctrl-C stopped a run, rather
    than when the fetches still waiting on the network end (up to `--fetch-timeout`)."""
    status = main()
    if status == INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    console()
