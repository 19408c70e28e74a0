"""The `newswire` command: run the job, search the index, manage the local node and corpus.

Each subcommand lives in its own module under `newswire.pipeline.commands`, which adds its
arguments and handles it. The parser names every subcommand with its one-line help here, and
imports a subcommand's module only when that subcommand is given, so `newswire --help` or
`newswire search` never import what `run` needs (Beam, the whole job).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from newswire.pipeline import logs
from newswire.pipeline.commands import INTERRUPTED

# Each subcommand: its one-line help, and the module whose `arguments(parser)` adds its
# arguments and sets its `handler(args, rest) -> exit status`.
COMMANDS = {
    "run": ("ingest feeds into Elasticsearch (no --feeds: the bundled corpus)", "run"),
    "search": ("search the index, print hits in seed format", "search"),
    "extract": ("print one page's article record", "extract"),
    "es": ("the managed local Elasticsearch node and the indices", "es"),
    "serve-seeds": ("serve the bundled corpus over loopback", "serve_seeds"),
    "kibana": ("Kibana: import newswire's dashboard", "kibana"),
    "schema": ("print the article record's JSON Schema (or its index mapping)", "schema"),
    "discover": ("list the feeds and sitemaps of sites (homepage URLs)", "discover"),
    "evaluate": ("score extraction on a folder of labelled pages, beside trafilatura",
                 "evaluate"),
    "deadletter": ("list dead letters, or replay them", "deadletter"),
    "sources": ("list the polled sources as the crawl state has them, or one source's recent "
                "entries", "sources"),
}


class Command(argparse.ArgumentParser):
    """A subcommand's parser whose arguments are added only when it is used: `arguments` adds
    them the first time the command line is parsed with it, or its usage or help is shown."""

    def __init__(self, *args: Any,
                 arguments: Callable[[argparse.ArgumentParser], None] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arguments = arguments

    def complete(self) -> None:
        """Add the arguments now (once)."""
        arguments, self.arguments = self.arguments, None
        if arguments is not None:
            arguments(self)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self.complete()
        return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        self.complete()
        return super().format_usage()

    def format_help(self) -> str:
        self.complete()
        return super().format_help()


def main(argv: Sequence[str] | None = None) -> int:
    logs.hold()  # first: parsing `run`'s options imports Beam, which logs while it is imported
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "run":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        with logs.configured(logs.level_from(args)):
            return args.handler(args, rest)
    except Exception as error:
        if not _reported(error):
            raise
        print(f"newswire: {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newswire", description=__doc__.split("\n")[0])
    logs.add_arguments(parser)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Command)
    for name, (summary, module) in COMMANDS.items():
        commands.add_parser(name, help=summary, arguments=_arguments_of(module))
    return parser


def _arguments_of(module: str) -> Callable[[argparse.ArgumentParser], None]:
    """What adds the arguments of the command in `newswire.pipeline.commands.<module>`, and the
    log flags every command takes (defaulting to what the main command was given)."""

    def add(parser: argparse.ArgumentParser) -> None:
        importlib.import_module(f"newswire.pipeline.commands.{module}").arguments(parser)
        logs.add_arguments(parser, subcommand=True)

    return add


# The failures printed as one line rather than a traceback, by module: bad input and the
# system's refusals, and what newswire raises when a node, a runner or the cluster fails us.
REPORTED = {
    "builtins": ("ValueError", "OSError"),
    "newswire.pipeline.services.elasticsearch": ("NodeError",),
    "newswire.pipeline.services.prism": ("PrismUnavailable",),
    "newswire.pipeline.services.jobserver": ("JobServerFailed",),
    "newswire.transforms.index.client": ("ClusterRefused",),
    "newswire.transforms.index.retry": ("ClusterUnavailable",),
    "newswire.transforms.fetching.http": ("FetchError",),
}


def _reported(error: Exception) -> bool:
    """Whether `error` is one of `REPORTED`. Only the modules already imported are looked in: a
    class that was never imported cannot have been raised, and importing the others would
    cost a failing command the start-up it saved."""
    return any(isinstance(error, getattr(sys.modules[module], name))
               for module, names in REPORTED.items() if module in sys.modules
               for name in names)


def console() -> NoReturn:
    """The `newswire` command: `main`, exiting at once after a Ctrl-C stopped a run, rather
    than when the fetches still waiting on the network end (up to `--fetch-timeout`).

    The heap is frozen first (`gc.freeze`): the interpreter's last garbage collections at exit
    would otherwise walk every object Beam and the job left (py-spy: half a second after a
    run's summary, in `gc_collect_main`), which the process's end frees anyway. Exit handlers
    and finalizers of objects that are freed still run."""
    status = main()
    gc.freeze()
    if status == INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    console()
