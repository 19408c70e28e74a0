"""`newswire run`: the job, on the bundled corpus (served on loopback, into the local node) unless
`--feeds` or `--warc` say what to read; a summary and the latest articles at the end."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack

from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.commands import INTERRUPTED
from newswire.pipeline.job import lifecycle, remote
from newswire.pipeline.job.pipeline_options import NewswireOptions
from newswire.pipeline.job.summary import summarize
from newswire.pipeline.services.elasticsearch import LocalNode
from newswire.pipeline.services.seed_server import CORPUS_PORT, SeedServer
from newswire.transforms.index.client import EsConnection


def arguments(parser: argparse.ArgumentParser) -> None:
    """newswire's pipeline options, and how long a stop waits; other flags go to Beam."""
    parser.description = "Ingest feeds into Elasticsearch. Other flags go to Beam (--runner ...)."
    NewswireOptions._add_argparse_args(parser)
    # The launching terminal's own setting, not the job's: no runner or template carries it.
    parser.add_argument("--stop-wait", type=float, default=lifecycle.STOP_WAIT,
                        help="streaming: seconds a stop (Ctrl-C) waits for the entries in flight "
                        "to end before cancelling the job")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace, beam_args: list[str]) -> int:
    with ExitStack() as resources:
        elsewhere = remote.is_remote(PipelineOptions(beam_args))
        if not args.feeds and not args.warc and elsewhere:
            raise ValueError("give --feeds: remote workers cannot reach the bundled corpus, "
                             "which is served on this machine's loopback")
        if not args.feeds and args.es_url == EsConnection().url:
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
