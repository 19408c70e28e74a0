"""The `newswire` subcommands, one module each (`evaluate` a package, with how a field is scored
and how pages are split into folds beside it): `arguments(parser)` adds a command's arguments
and sets its `handler`; `newswire.pipeline.cli` imports a module only when its command runs.
A flag that is also one of `newswire run`'s (`--es-url`, the aliases, the sizing flags) comes
from its one declaration in `OPTIONS`, through `newswire.pipeline.options.add_flags`."""

from __future__ import annotations

from datetime import datetime, timezone

INTERRUPTED = 130  # the exit status of a run stopped by Ctrl-C, as shells report SIGINT


def moment(value: str) -> datetime:
    """A `--since`/`--until` value: YYYY-MM-DD or an ISO timestamp, UTC unless it says."""
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)

