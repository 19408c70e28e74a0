"""The `newswire` subcommands, one module each: `arguments(parser)` adds a command's arguments
and sets its `handler`; `newswire.pipeline.cli` imports a module only when its command runs."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone

from newswire.transforms.index.client import ARTICLES_ALIAS, EsConnection

INTERRUPTED = 130  # the exit status of a run stopped by Ctrl-C, as shells report SIGINT


def moment(value: str) -> datetime:
    """A `--since`/`--until` value: YYYY-MM-DD or an ISO timestamp, UTC unless it says."""
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def connection_arguments(parser: argparse.ArgumentParser) -> None:
    """`--es-url` and `--index`, defaulting to where `newswire run` indexes."""
    parser.add_argument("--es-url", default=EsConnection().url)
    parser.add_argument("--index", default=ARTICLES_ALIAS)
