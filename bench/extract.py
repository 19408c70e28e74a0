"""Benchmark: our `extract_article` against a bare trafilatura extraction, over the corpus.

Both run in one process, interleaved page by page (which side goes first flips every page and
round), timed in CPU time of this process so other load on the machine counts for neither.
Prints each side's time per round and the ratio ours/baseline (the median of the rounds'
ratios). Run as `.venv/bin/python bench/extract.py [--rounds N] [--with-metadata]`; with
`--with-metadata` the baseline also extracts trafilatura's metadata, as newswire does.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable

import trafilatura

from newswire.pipeline.services.seed_server import corpus_dir
from newswire.transforms.extraction.extract import extract_article

CORPUS = corpus_dir()
BASE_URL = "http://127.0.0.1:8000"
TARGET = 1.2

Page = tuple[str, str]  # (html, url)
Side = Callable[[str, str], object]  # one extractor under test


def corpus_pages() -> list[Page]:
    """Every corpus article page, with its placeholder base URL filled in."""
    pages = []
    for html_file in sorted(CORPUS.rglob("*.html")):
        if html_file.with_suffix(".txt").exists():
            html = html_file.read_text().replace("{{BASE_URL}}", BASE_URL)
            pages.append((html, f"{BASE_URL}/{html_file.relative_to(CORPUS)}"))
    return pages


def baseline(html: str, url: str) -> object:
    return trafilatura.bare_extraction(html, url=url)


def baseline_with_metadata(html: str, url: str) -> object:
    return trafilatura.bare_extraction(html, url=url, with_metadata=True)


def ours(html: str, url: str) -> object:
    return extract_article(html, url)


def run_round(pages: list[Page], sides: dict[str, Side], flip: bool) -> dict[str, float]:
    """CPU seconds each side spends on the pages, the two alternating page by page."""
    spent = dict.fromkeys(sides, 0.0)
    order = list(sides.items())
    for index, (html, url) in enumerate(pages):
        for name, function in order[::-1] if (index % 2 == 0) == flip else order:
            start = time.process_time()
            function(html, url)
            spent[name] += time.process_time() - start
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="rounds over the corpus (default 9)")
    parser.add_argument("--with-metadata", action="store_true",
                        help="the baseline extracts trafilatura's metadata too")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # trafilatura and beam log per page; keep the output clean
    pages = corpus_pages()
    sides: dict[str, Side] = {
        "baseline": baseline_with_metadata if args.with_metadata else baseline, "ours": ours}
    run_round(pages, sides, flip=False)  # warm-up: imports, regex compilation, lazy caches
    rounds = [run_round(pages, sides, flip=bool(n % 2)) for n in range(args.rounds)]
    base = statistics.median(r["baseline"] for r in rounds)
    mine = statistics.median(r["ours"] for r in rounds)
    ratio = statistics.median(r["ours"] / r["baseline"] for r in rounds)
    per_page = 1000 / len(pages)
    print(f"{len(pages)} pages, {args.rounds} rounds, medians per round")
    name = "bare_extraction+meta" if args.with_metadata else "bare_extraction     "
    print(f"baseline  trafilatura.{name}  {base:7.3f} s  ({base * per_page:5.2f} ms/page)")
    print(f"ours      extract_article              {mine:7.3f} s  ({mine * per_page:5.2f} ms/page)")
    verdict = "ok" if ratio <= TARGET else "OVER"
    print(f"ratio ours/baseline {ratio:.2f} (target <= {TARGET}): {verdict}")


if __name__ == "__main__":
    main()
