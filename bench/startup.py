"""How long each `newswire` command takes to start, beside the same command started as it used
to start: with Beam, the whole job and the Elasticsearch client imported first.

Each case runs `--runs` times as a fresh process, the command and its baseline one after the
other, so both see the same load; CPU seconds (user + system, of the process and its children)
and wall seconds, medians, and command/baseline. The baseline imports what the command line
imported before each command took only what it needs (Beam, the job's graph, every command's
module, the client library), then runs the same command in the same process. The commands need
no cluster: those that read the index are pointed at a closed port (or at a node, `--es-url`),
so they pay their imports and one request.

    .venv/bin/python bench/startup.py [--runs 9] [--es-url http://127.0.0.1:9]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

NEWSWIRE = str(Path(sys.executable).with_name("newswire"))
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens there
# What `newswire` imported before running any command, then the command itself.
_WHOLE_CLI = """
import sys
import apache_beam, elasticsearch
import newswire.pipeline.job.graph, newswire.pipeline.job.lifecycle
from newswire.pipeline import cli
for name, (_, module) in cli.COMMANDS.items():
    __import__(f"newswire.pipeline.commands.{module}")
sys.argv[0] = "newswire"
cli.console()
"""


def commands(es_url: str) -> dict[str, list[str]]:
    return {
        "--help": ["--help"],
        "search --help": ["search", "--help"],
        "search x": ["search", "x", "--es-url", es_url],
        "deadletter list": ["deadletter", "list", "--es-url", es_url],
        "sources": ["sources", "--es-url", es_url],
        "es status": ["es", "status", "--es-url", es_url],
    }


def timed(argv: list[str]) -> tuple[float, float]:
    """CPU and wall seconds of one run of `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--es-url", default=CLOSED, help="the cluster read commands ask")
    args = parser.parse_args()
    cases = commands(args.es_url)
    now: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    before: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, argv in cases.items():
            now[name].append(timed([NEWSWIRE, *argv]))
            before[name].append(timed([sys.executable, "-c", _WHOLE_CLI, *argv]))

    def median(runs: list[tuple[float, float]], which: int) -> float:
        return statistics.median(run[which] for run in runs)

    print(f"medians of {args.runs} runs each, alternating; baseline: the whole CLI, Beam and "
          "the client imported first")
    print(f"{'newswire ...':18} {'cpu s':>7} {'baseline':>9} {'ratio':>6}   "
          f"{'wall s':>7} {'baseline':>9} {'ratio':>6}")
    for name in cases:
        cpu, cpu_before = median(now[name], 0), median(before[name], 0)
        wall, wall_before = median(now[name], 1), median(before[name], 1)
        print(f"{name:18} {cpu:7.2f} {cpu_before:9.2f} {cpu / cpu_before:6.2f}   "
              f"{wall:7.2f} {wall_before:9.2f} {wall / wall_before:6.2f}")


if __name__ == "__main__":
    main()
