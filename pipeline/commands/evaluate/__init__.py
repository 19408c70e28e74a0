"""`newswire evaluate DIR`: how faithfully newswire extracts a folder of labelled pages, field by
field, beside bare trafilatura on the same pages.

A labelled folder holds `pages/<name>.html` (or `.html.gz`, bytes as served) and `truth.jsonl`,
one JSON object a line: `{"page": "<name>.html.gz", "url": ..., "publisher": ..., "truth":
{"title", "published", "authors", "body", "image_caption", "image_credit"}}`, a field null where
the page has none (a missing publisher is the URL's host). `scoring` says how each field is
judged. No page stops the run: an extractor that raises on a page scores zero there and is
counted as a failure.

`--folds K --held-out N` splits the pages by publisher into K folds and reports each field on all
pages, on each fold and on the held-out fold(s); `--publishers` lists each publisher's scores;
`--compare FILE` (a saved `--json` result) lists the pages that got better and worse. With
`--held-out`, the lists (`--worst`, `--publishers`, `--compare`) leave the held-out pages out.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import statistics
import sys
from collections.abc import Callable, Collection, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from trafilatura.utils import decode_file

from newswire.pipeline.commands.evaluate.folds import (
    assign_folds,
    fold_table,
    page_changes,
    publisher_table,
)
from newswire.pipeline.commands.evaluate.scoring import (
    METRICS,
    RANKED_BY,
    Extracted,
    parse_time,
    score_page,
)
from newswire.transforms.extraction.extract import extract_article

TRUTH_FILE = "truth.jsonl"


def development_pages() -> Path:
    """The project's own labelled real pages, for its tests and benchmarks: $NEWSWIRE_REALPAGES,
    else `shared/realpages` beside the checkout (absent for users: callers skip, saying so)."""
    if folder := os.environ.get("NEWSWIRE_REALPAGES"):
        return Path(folder)
    return Path(__file__).resolve().parents[4] / "shared" / "realpages"
_SHOWN = 110  # characters of expected and got text a "worst pages" line shows


@dataclass(frozen=True)
class LabelledPage:
    """One page of a labelled folder: its HTML (None if the file is missing) and its truth."""

    name: str
    url: str
    html: str | None
    truth: dict[str, Any]
    publisher: str = ""


@dataclass
class PageResult:
    """One extractor on one page: what it gave (None if it raised), and the page's scores."""

    page: str
    extracted: Extracted | None
    scores: dict[str, dict[str, float]]
    error: str = ""

    def got(self) -> dict[str, Any]:
        """What the extractor gave, JSON-ready (empty if it raised)."""
        if self.extracted is None:
            return {}
        got = asdict(self.extracted)
        published = got["published"]
        got["published"] = published.isoformat() if published else None
        got["authors"] = list(got["authors"])
        return got


@dataclass
class Evaluation:
    """Every extractor's results on the same pages."""

    pages: int
    results: dict[str, list[PageResult]] = field(default_factory=dict)

    def means(self, extractor: str,
              pages: Collection[str] | None = None) -> dict[str, dict[str, float]]:
        """Each field's metrics averaged over the pages (all, or those named) where the truth
        has the field."""
        means: dict[str, dict[str, float]] = {}
        for name, metrics in METRICS.items():
            scored = [r.scores[name] for r in self.results[extractor]
                      if name in r.scores and (pages is None or r.page in pages)]
            if scored:
                means[name] = {m: statistics.fmean(s[m] for s in scored) for m in metrics}
        return means

    def counted(self, extractor: str) -> dict[str, int]:
        """How many pages count for each field."""
        return {name: sum(name in r.scores for r in self.results[extractor]) for name in METRICS}

    def without(self, pages: Collection[str]) -> Evaluation:
        """The same evaluation with the named pages left out."""
        kept = {extractor: [r for r in results if r.page not in pages]
                for extractor, results in self.results.items()}
        return Evaluation(pages=self.pages - len(set(pages)), results=kept)

    def failures(self, extractor: str) -> list[PageResult]:
        return [r for r in self.results[extractor] if r.extracted is None]

    def worst(self, extractor: str, name: str, count: int) -> list[PageResult]:
        """The `count` pages scoring lowest on a field, worst first."""
        scored = [r for r in self.results[extractor] if name in r.scores]
        scored.sort(key=lambda r: (r.scores[name][RANKED_BY[name]], r.page))
        return [r for r in scored[:count] if r.scores[name][RANKED_BY[name]] < 1.0]


def load_pages(folder: Path) -> list[LabelledPage]:
    """The labelled pages of `folder`, in the order of its truth file."""
    truth_path = folder / TRUTH_FILE
    if not truth_path.is_file():
        raise ValueError(f"{folder}: no {TRUTH_FILE} (the format: newswire evaluate --help)")
    pages = []
    for number, line in enumerate(truth_path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            name, truth = row["page"], row["truth"]
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{truth_path}:{number}: not a truth line ({error})") from None
        url = row.get("url") or ""
        publisher = row.get("publisher") or urlsplit(url).hostname or name
        pages.append(LabelledPage(name, url, _read_html(folder / "pages" / name), truth,
                                  publisher))
    return pages


def _read_html(path: Path) -> str | None:
    if not path.is_file():
        return None
    data = path.read_bytes()
    return decode_file(gzip.decompress(data) if path.suffix == ".gz" else data)


def newswire_fields(html: str, url: str) -> Extracted:
    """The scored fields of newswire's article. The truth's body begins with the dek the page
    shows, which newswire keeps as the summary."""
    article = extract_article(html, url)
    image = article.image
    shown = article.summary if article.provenance.get("summary") == "page" else ""
    return Extracted(title=article.title, published=article.published_at,
                     authors=article.authors, body="\n".join(filter(None, (shown, article.text))),
                     caption=image.caption if image else "", credit=image.credit if image else "")


def trafilatura_fields(html: str, url: str) -> Extracted:
    """The scored fields of bare trafilatura with metadata (it gives no caption or credit)."""
    document = trafilatura.bare_extraction(html, url=url or None, with_metadata=True)
    if document is None:
        raise ValueError("trafilatura found no content")
    published = parse_time(document.date) if document.date else None
    authors = tuple(a.strip() for a in (document.author or "").split(";") if a.strip())
    return Extracted(title=document.title or "", published=published, authors=authors,
                     body=document.text or "")


EXTRACTORS: dict[str, Callable[[str, str], Extracted]] = {
    "newswire": newswire_fields,
    "trafilatura": trafilatura_fields,
}


def evaluate(pages: list[LabelledPage], extractors: Iterable[str] = EXTRACTORS) -> Evaluation:
    """Run each named extractor on every page and score it; no page raises."""
    evaluation = Evaluation(pages=len(pages))
    for extractor in extractors:
        evaluation.results[extractor] = [_run(EXTRACTORS[extractor], page) for page in pages]
    return evaluation


def _run(extract: Callable[[str, str], Extracted], page: LabelledPage) -> PageResult:
    if page.html is None:
        return PageResult(page.name, None, score_page(page.truth, None), "page file missing")
    try:
        extracted = extract(page.html, page.url)
    except Exception as error:  # one page must not stop the evaluation: it is a counted failure
        return PageResult(page.name, None, score_page(page.truth, None),
                          f"{type(error).__name__}: {error}")
    return PageResult(page.name, extracted, score_page(page.truth, extracted))


# --- the report ----------------------------------------------------------------------------

def table(evaluation: Evaluation) -> str:
    """The per-field table: newswire, its ratio to trafilatura, and trafilatura when run."""
    baseline = "trafilatura" in evaluation.results
    ours = evaluation.means("newswire")
    theirs = evaluation.means("trafilatura") if baseline else {}
    counted = evaluation.counted("newswire")
    header = f"{'field':<10} {'metric':<11} {'pages':>5} {'newswire':>9}"
    if baseline:
        header += f" {'trafilatura':>12} {'ratio':>6}"
    lines = [header, "-" * len(header)]
    for name, metrics in METRICS.items():
        for metric in metrics:
            if name not in ours:
                continue
            line = f"{name:<10} {metric:<11} {counted[name]:>5} {ours[name][metric]:>9.3f}"
            if baseline:
                base = theirs.get(name, {}).get(metric, 0.0)
                ratio = f"{ours[name][metric] / base:.2f}" if base else "-"
                line += f" {base:>12.3f} {ratio:>6}"
            lines.append(line)
    failed = [f"{name} {len(evaluation.failures(name))}" for name in evaluation.results]
    lines.append(f"pages that raised or were missing: {', '.join(failed)}")
    return "\n".join(lines)


def worst_pages(evaluation: Evaluation, count: int, pages: list[LabelledPage]) -> str:
    """Per field, the pages newswire scores lowest on, with the expected and the extracted."""
    truth = {page.name: page.truth for page in pages}
    lines = []
    for name in METRICS:
        worst = evaluation.worst("newswire", name, count)
        if not worst:
            continue
        lines.append(f"\nworst {name} ({RANKED_BY[name]}):")
        for result in worst:
            score = result.scores[name][RANKED_BY[name]]
            lines.append(f"  {score:.2f}  {result.page}" + (f"  [{result.error}]"
                                                             if result.error else ""))
            lines.append(f"        expected: {_shown(_truth_value(truth[result.page], name))}")
            lines.append(f"        got:      {_shown(result.got().get(name))}")
    return "\n".join(lines)


def _truth_value(truth: dict[str, Any], name: str) -> Any:
    key = {"caption": "image_caption", "credit": "image_credit"}.get(name, name)
    return truth.get(key)


def _shown(value: Any) -> str:
    text = " ".join(str(value).split()) if not isinstance(value, (list, tuple)) else (
        " | ".join(value))
    return text if len(text) <= _SHOWN else text[:_SHOWN - 1] + "\u2026"


def as_json(evaluation: Evaluation, pages: list[LabelledPage], folds: dict[str, int] | None = None,
            held_out: frozenset[int] = frozenset()) -> dict[str, Any]:
    """The evaluation as a JSON-ready dict: means, counts, failures and every page's publisher,
    scores and extracted fields; with folds, each page's fold and each fold's means."""
    publisher = {page.name: page.publisher for page in pages}
    report: dict[str, Any] = {
        "pages": evaluation.pages,
        "counted": evaluation.counted("newswire"),
        "scores": {name: evaluation.means(name) for name in evaluation.results},
        "failures": {name: {r.page: r.error for r in evaluation.failures(name)}
                     for name in evaluation.results},
        "results": {name: [{"page": r.page, "publisher": publisher.get(r.page),
                            "fold": folds.get(r.page) if folds else None, "scores": r.scores,
                            "got": r.got(), "error": r.error or None}
                           for r in results] for name, results in evaluation.results.items()},
        "evaluated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if folds:
        count = max(folds.values()) + 1
        report["folds"] = {
            "count": count,
            "held_out": sorted(held_out),
            "scores": [evaluation.means("newswire", {p for p, f in folds.items() if f == n})
                       for n in range(count)],
            "held_out_scores": evaluation.means(
                "newswire", {p for p, f in folds.items() if f in held_out}) if held_out else None,
        }
    return report


# --- the command ---------------------------------------------------------------------------

def arguments(command: argparse.ArgumentParser) -> None:
    """`newswire evaluate DIR [--json] [--worst N] [--no-baseline]`."""
    command.description = __doc__
    command.formatter_class = argparse.RawDescriptionHelpFormatter
    command.add_argument("folder", type=Path, help="a folder with pages/ and truth.jsonl")
    command.add_argument("--json", action="store_true", help="print the scores as JSON")
    command.add_argument("--worst", type=int, default=0, metavar="N",
                         help="also list the N lowest-scoring pages of each field")
    command.add_argument("--no-baseline", action="store_true",
                         help="skip bare trafilatura (faster)")
    command.add_argument("--folds", type=int, default=0, metavar="K",
                         help="split the pages by publisher into K folds and score each")
    command.add_argument("--held-out", type=_fold_numbers, default=frozenset(), metavar="N[,M]",
                         help="with --folds: the fold(s) held out, scored together and left "
                              "out of every list")
    command.add_argument("--publishers", action="store_true",
                         help="also list each publisher's scores, lowest first")
    command.add_argument("--compare", type=Path, metavar="FILE",
                         help="a previous --json result: list the pages that got better or worse")
    command.set_defaults(handler=_evaluate)


def _fold_numbers(text: str) -> frozenset[int]:
    try:
        return frozenset(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not fold numbers: {text!r}") from None


def _evaluate(args: argparse.Namespace, _rest: list[str]) -> int:
    logging.disable(logging.WARNING)  # trafilatura and htmldate log per page
    try:
        return _report(args)
    finally:
        logging.disable(logging.NOTSET)


def _report(args: argparse.Namespace) -> int:
    pages = load_pages(args.folder)
    if args.held_out and not args.folds:
        raise ValueError("--held-out names folds: give --folds K too")
    if any(not 0 <= fold < args.folds for fold in args.held_out):
        raise ValueError(f"--held-out: folds are numbered 0 to {args.folds - 1}")
    previous = json.loads(args.compare.read_text(encoding="utf-8")) if args.compare else None
    publishers = {page.name: page.publisher for page in pages}
    folds = assign_folds(publishers, args.folds) if args.folds else None
    hidden = {page for page, fold in (folds or {}).items() if fold in args.held_out}
    extractors = ["newswire"] if args.no_baseline else list(EXTRACTORS)
    if not args.json:
        print(f"evaluating {len(pages)} pages from {args.folder} with {', '.join(extractors)}",
              file=sys.stderr)
    evaluation = evaluate(pages, extractors)
    if args.json:
        print(json.dumps(as_json(evaluation, pages, folds, args.held_out), indent=2))
        return 0
    print(table(evaluation))
    if folds:
        print("\nby publisher fold:\n" + fold_table(evaluation, folds, args.held_out))
    seen = evaluation.without(hidden)
    if args.publishers:
        print("\nby publisher:\n" + publisher_table(seen, publishers))
    if previous is not None:
        print(f"\nagainst {args.compare}:\n" + page_changes(previous, evaluation, hidden))
    if args.worst:
        print(worst_pages(seen, args.worst, pages))
    return 0
