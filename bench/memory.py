"""Peak memory of a batch run against its size: `newswire run` over bench/e2e.py's generated
corpus at each size, each into fresh aliases, and each larger size's peak over the first's.

Memory is the peak PSS summed over the run's process tree (bench/e2e.py's `measure`); the
issue's target is 20,000 entries at no more than 1.3x the peak of 5,000.

    .venv/bin/python bench/memory.py [--sizes 5000 20000 ...] [--port 9268] [--timeout 1800]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from pathlib import Path

from elasticsearch import Elasticsearch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import Measured, Site, drop, run_newswire, serve_corpus, summary_counts


def run_size(articles: int, es_url: str, timeout: float) -> Measured:
    """One run over a generated corpus of `articles` entries, served in its own process."""
    site = Site("generated", articles, None)
    ready: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()
    server = multiprocessing.get_context("fork").Process(target=serve_corpus, args=(site, ready),
                                                         daemon=True)
    server.start()
    index = f"bench-memory-{articles}"
    client = Elasticsearch(es_url, request_timeout=120)
    try:
        site.ports = ready.get(timeout=60)
        drop(client, index)
        return run_newswire(f"{site.base(0)}/feeds.txt", es_url, index, timeout)
    finally:
        drop(client, index)
        client.close()
        server.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[5000, 20000])
    parser.add_argument("--port", type=int, default=9268, help="a running node's port")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run, at most")
    args = parser.parse_args()
    es_url = f"http://127.0.0.1:{args.port}"
    peaks = []
    for articles in args.sizes:
        measured = run_size(articles, es_url, args.timeout)
        peaks.append(measured.peak_mb)
        print(f"{articles:7,} entries  wall {measured.wall:6.0f} s  peak PSS "
              f"{measured.peak_mb:6.0f} MB  {summary_line(measured.output)}", flush=True)
    for size, peak in zip(args.sizes[1:], peaks[1:], strict=True):
        print(f"peak {size:,}/{args.sizes[0]:,}: {peak / peaks[0]:.2f} (target <= 1.3 at 20,000)")


def summary_line(output: str) -> str:
    """What the run indexed and dead-lettered, from its summary."""
    counts = summary_counts(output)
    return (f"indexed {counts['indexed']}, duplicates {counts['duplicates']}, dead letters "
            f"{counts['dead']}, balanced {'yes' if counts['balanced'] else 'NO'}")


if __name__ == "__main__":
    main()
