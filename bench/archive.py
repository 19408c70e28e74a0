"""The cost of `--archive`: the corpus job with and without it, side by side, and per page.

1. Whole runs: the bundled corpus through the batch job into a throwaway index, alternating
   plain and archived runs, `--rounds` of each; prints the median wall times and their ratio.
   Target: archived / plain <= 1.10.
2. Per page: extracting each page while the archive writes it (as a worker does: fetching
   threads hand pages to the archive's writer thread), against extracting alone, in-process,
   over the real pages in `--realpages` (default `<repo>/../shared/realpages`, skipped with a
   note if absent) and the corpus pages. CPU includes the writer thread.

    .venv/bin/python bench/archive.py --es-url http://127.0.0.1:PORT [--rounds 3]
"""

from __future__ import annotations

import argparse
import gzip
import resource
import statistics
import tempfile
import time
import uuid
from contextlib import suppress
from datetime import datetime, timezone
from pathlib import Path

from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.commands.evaluate import development_pages
from newswire.pipeline.job import lifecycle
from newswire.pipeline.services.seed_server import SeedServer, corpus_dir
from newswire.transforms.extraction.extract import ExtractionError, extract_article
from newswire.transforms.fetching.http import Exchange
from newswire.transforms.fetching.warc import WarcArchive
from newswire.transforms.index.client import EsConnection
from newswire.transforms.records import FeedEntry, Page

TARGET = 1.10


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the SDK worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_run(server: SeedServer, es_url: str, archive: str) -> tuple[float, float]:
    """Wall and CPU seconds of one corpus run; CPU is steadier on a shared machine."""
    index = f"bench-archive-{uuid.uuid4().hex[:8]}"
    options = PipelineOptions(
        feeds=[server.url("feeds.opml")], es_url=es_url, index=index,
        dead_letter_index=f"{index}-dead", history_index=f"{index}-history",
        allow_private_addresses=True, archive=archive)
    started, cpu = time.perf_counter(), _cpu()
    summary = lifecycle.run(options, say=lambda _: None)
    elapsed = time.perf_counter() - started, _cpu() - cpu
    assert summary.balanced and summary.created, summary
    with EsConnection(es_url).session() as client:
        for alias in (index, f"{index}-dead", f"{index}-history"):
            for name in client.indices.get(index=f"{alias}-v*", expand_wildcards="all"):
                client.indices.delete(index=name)
            client.options(ignore_status=404).indices.delete_index_template(name=alias)
    return elapsed


def whole_runs(es_url: str, rounds: int) -> None:
    plain, archived = [], []
    with SeedServer() as server, tempfile.TemporaryDirectory() as scratch:
        timed_run(server, es_url, "")  # warm up: imports, worker start, index templates
        for n in range(rounds):
            plain.append(timed_run(server, es_url, ""))
            archived.append(timed_run(server, es_url, str(Path(scratch) / f"run-{n}")))
    for label, column in (("wall", 0), ("CPU", 1)):
        base = [times[column] for times in plain]
        extra = [times[column] for times in archived]
        ratio = statistics.median(extra) / statistics.median(base)
        print(f"whole runs ({rounds} each, alternating, {label}): plain median "
              f"{statistics.median(base):.2f}s {[round(t, 2) for t in base]}, archived median "
              f"{statistics.median(extra):.2f}s {[round(t, 2) for t in extra]}")
        print(f"  archived / plain = {ratio:.3f}  (target <= {TARGET}) "
              f"{'OK' if ratio <= TARGET else 'OVER'}")


def per_page(name: str, documents: dict[str, str]) -> None:
    """Extraction alone against extraction with archiving, page after page, as a worker runs
    them: what archiving adds."""
    pages = []
    for key, html in sorted(documents.items()):
        body = html.encode()
        exchange = Exchange("GET", f"/{key}", (("Host", "127.0.0.1"), ("User-Agent", "bench")),
                            "HTTP/1.1", 200, "OK", (("Content-Type", "text/html; charset=utf-8"),
                                                    ("Content-Length", str(len(body)))), body)
        pages.append((Page(FeedEntry(link=f"http://127.0.0.1/{key}", feed_url="bench"),
                           f"http://127.0.0.1/{key}", html, datetime.now(timezone.utc)),
                      exchange))

    def extract_all(archive: WarcArchive | None) -> tuple[float, float]:
        started, cpu = time.perf_counter(), time.process_time()
        for page, exchange in pages:
            if archive:
                archive.keep(page, exchange)
            with suppress(ExtractionError):  # a page without an article costs its try as well
                extract_article(page.html, page.url, page.entry, page.fetched_at)
        if archive:
            archive.flush()
        return time.perf_counter() - started, time.process_time() - cpu

    plain, archived = [], []
    with tempfile.TemporaryDirectory() as scratch:
        archive = WarcArchive(scratch)
        archive.open()
        for _ in range(3):
            plain.append(extract_all(None))
            archived.append(extract_all(archive))
        archive.close()
    for label, column in (("wall", 0), ("CPU", 1)):
        base = statistics.median(times[column] for times in plain)
        extra = statistics.median(times[column] for times in archived)
        print(f"per page ({len(pages)} {name}, 3 rounds, {label}): extract "
              f"{base / len(pages) * 1000:.2f} ms, extract + archive "
              f"{extra / len(pages) * 1000:.2f} ms = {extra / base:.3f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--es-url", required=True, help="a node to index into (not 9200)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--realpages", type=Path, default=development_pages())
    args = parser.parse_args()
    real = sorted((args.realpages / "pages").glob("*.html.gz"))
    if real:
        per_page("real pages", {path.name: gzip.decompress(path.read_bytes()).decode(
            "utf-8", errors="replace") for path in real})
    else:
        print(f"per page on real pages skipped: {args.realpages} not found")
    per_page("corpus pages", {path.name: path.read_text()
                              for path in corpus_dir().rglob("*.html")})
    whole_runs(args.es_url, args.rounds)


if __name__ == "__main__":
    main()
