"""The Dataflow Flex Template's entry point: `newswire run` with the launcher's arguments.

Dataflow's template launcher passes every parameter as `--name=value`. Two kinds of option
cannot be read that way: switches (`--streaming`, `--ignore_robots`, ...), which argparse
refuses a value for, and `--feeds`, which takes several values. So a switch given `true` is
passed bare and one given `false` is left out, and `feeds` is a comma-separated list.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline import cli
from newswire.pipeline.job.pipeline_options import NewswireOptions

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}


class _Switches(argparse.ArgumentParser):
    """A parser that keeps the flags of each switch (an option that takes no value) added."""

    def __init__(self) -> None:
        super().__init__(conflict_handler="resolve", add_help=False)
        self.flags: set[str] = set()

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        if action.nargs == 0:
            self.flags.update(action.option_strings)
        return action


def _switches() -> frozenset[str]:
    """The flags of every switch Beam's and newswire's options define (`--streaming`,
    `--no_use_public_ips`, ...)."""
    parser = _Switches()
    for options in {*PipelineOptions.__subclasses__(), NewswireOptions}:
        options._add_argparse_args(parser)
    return frozenset(parser.flags)


def template_argv(argv: Sequence[str]) -> list[str]:
    """The launcher's `--name=value` arguments as `newswire run` reads them."""
    switches = _switches()
    out: list[str] = []
    for arg in argv:
        flag, has_value, value = arg.partition("=")
        if has_value and flag in switches:
            if value.lower() in _TRUE:
                out.append(flag)
            elif value.lower() not in _FALSE:
                raise ValueError(f"{flag} is a switch: give it true or false, not {value!r}")
        elif has_value and flag == "--feeds":
            out.extend(["--feeds", *(feed.strip() for feed in value.split(",") if feed.strip())])
        else:
            out.append(arg)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        translated = template_argv(args)
    except ValueError as error:
        print(f"newswire: {error}", file=sys.stderr)
        return 1
    return cli.main(["run", *translated])


if __name__ == "__main__":
    sys.exit(main())
