"""How long the `newswire` commands take to answer, beside what any Python start-up costs.

Each command runs `--runs` times, alternating with the baselines, as a fresh process: wall time
and CPU (user + system, of the process and its children), medians. The baselines are the
interpreter alone and the interpreter importing Beam (what every command paid when the CLI
imported the whole job). The commands need no cluster: `search` and `deadletter list` are
pointed at a closed port, so they pay their imports and one refused connection.

    .venv/bin/python bench/startup.py [--runs 9]
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
CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import apache_beam'": [sys.executable, "-c", "import apache_beam"],
    "newswire --help": [NEWSWIRE, "--help"],
    "newswire search --help": [NEWSWIRE, "search", "--help"],
    "newswire search x": [NEWSWIRE, "search", "x", "--es-url", CLOSED],
    "newswire deadletter list": [NEWSWIRE, "deadletter", "list", "--es-url", CLOSED],
    "newswire es status": [NEWSWIRE, "es", "status", "--port", "9"],
    "newswire run --help": [NEWSWIRE, "run", "--help"],
}


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in CASES}
    for _ in range(args.runs):
        for name, argv in CASES.items():
            samples[name].append(timed(argv))
    medians = {name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
               for name, runs in samples.items()}
    beam_wall, beam_cpu = medians["python -c 'import apache_beam'"]
    print(f"medians of {args.runs} runs; ratios against importing Beam alone")
    print(f"{'':32} {'wall s':>7} {'cpu s':>7} {'wall/Beam':>10} {'cpu/Beam':>9}")
    for name, (wall, cpu) in medians.items():
        print(f"{name:32} {wall:7.2f} {cpu:7.2f} {wall / beam_wall:10.2f} {cpu / beam_cpu:9.2f}")


if __name__ == "__main__":
    main()
