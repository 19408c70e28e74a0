"""Views of an evaluation that show whether a change generalises across publishers.

- Publisher folds: the pages are split by publisher into k folds (a publisher's pages all in one
  fold). While changing extraction one looks only at pages outside the fold(s) named as held
  out; the held-out score is then the score on publishers no change was looked at with, shown
  beside the score on all pages. A field whose held-out score is more than `FITTED` below its
  all-pages score is fitted to the seen publishers rather than fixed ("fitted"; more than
  `FITTED` above: "differs").
- Per publisher: each publisher's mean of every field's ranking metric.
- Page by page against a previous result file (`newswire evaluate --json`): which pages got
  better and worse on each field.

Held-out pages are only ever reported in aggregate, so working from these views never shows them.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from newswire.pipeline.commands.evaluate.scoring import METRICS, RANKED_BY

if TYPE_CHECKING:
    from newswire.pipeline.commands.evaluate import Evaluation

FITTED = 0.05  # a larger gap between the held-out and the all-pages score means fitted


def assign_folds(publishers: Mapping[str, str], count: int) -> dict[str, int]:
    """Each page's fold, 0 to count-1: the publishers, ordered by a stable hash of their name,
    are dealt in turn into the folds, so folds hold as many publishers each and do not change
    when pages are added for other publishers' order."""
    if count < 2:
        raise ValueError(f"--folds needs at least 2 folds, not {count}")
    names = sorted(set(publishers.values()),
                   key=lambda name: hashlib.sha256(name.encode()).hexdigest())
    fold_of = {name: number % count for number, name in enumerate(names)}
    return {page: fold_of[publisher] for page, publisher in publishers.items()}


def fold_table(evaluation: Evaluation, folds: Mapping[str, int],
               held_out: frozenset[int]) -> str:
    """Per field and metric: all pages, each fold, the held-out folds together, and the gap."""
    count = max(folds.values()) + 1
    members = [{page for page, fold in folds.items() if fold == number} for number in range(count)]
    hidden = {page for page, fold in folds.items() if fold in held_out}
    overall = evaluation.means("newswire")
    per_fold = [evaluation.means("newswire", pages) for pages in members]
    held = evaluation.means("newswire", hidden) if held_out else {}
    columns = [f"fold {n}" + ("*" if n in held_out else "") for n in range(count)]
    header = f"{'field':<10} {'metric':<11} {'all':>6} " + " ".join(f"{c:>7}" for c in columns)
    if held_out:
        header += f" {'held out':>8} {'gap':>6}"
    sizes = " ".join(f"{len(pages):>7}" for pages in members)
    lines = [header, "-" * len(header), f"{'pages':<22} {len(folds):>6} {sizes}"
             + (f" {len(hidden):>8}" if held_out else "")]
    for name, metrics in METRICS.items():
        for metric in metrics:
            if name not in overall:
                continue
            cells = " ".join(f"{_cell(scores, name, metric):>7}" for scores in per_fold)
            line = f"{name:<10} {metric:<11} {overall[name][metric]:>6.3f} {cells}"
            if held_out and name in held:
                gap = held[name][metric] - overall[name][metric]
                line += f" {held[name][metric]:>8.3f} {gap:>+6.3f}" + (
                    "  fitted" if gap < -FITTED else "  differs" if gap > FITTED else "")
            lines.append(line)
    if held_out:
        lines.append(f"* held out: {', '.join(map(str, sorted(held_out)))} "
                     f"({len(hidden)} pages); its pages are not listed in any other view")
    return "\n".join(lines)


def _cell(scores: dict[str, dict[str, float]], name: str, metric: str) -> str:
    return f"{scores[name][metric]:.3f}" if name in scores else "-"


def publisher_table(evaluation: Evaluation, publishers: Mapping[str, str]) -> str:
    """Each publisher's mean of every field's ranking metric, lowest overall first."""
    pages_of: dict[str, list[str]] = defaultdict(list)
    for result in evaluation.results["newswire"]:
        pages_of[publishers.get(result.page, "?")].append(result.page)
    rows = []
    for publisher, pages in pages_of.items():
        means = evaluation.means("newswire", set(pages))
        ranked = {name: means[name][RANKED_BY[name]] for name in METRICS if name in means}
        rows.append((statistics.fmean(ranked.values()) if ranked else 0.0, publisher,
                     len(pages), ranked))
    rows.sort(key=lambda row: (row[0], row[1]))
    header = f"{'publisher':<28} {'pages':>5} " + " ".join(f"{name:>9}" for name in METRICS)
    lines = [header, "-" * len(header)]
    for _, publisher, size, ranked in rows:
        cells = " ".join(f"{ranked[name]:>9.2f}" if name in ranked else f"{'-':>9}"
                         for name in METRICS)
        lines.append(f"{publisher[:28]:<28} {size:>5} {cells}")
    return "\n".join(lines)


def page_changes(previous: Mapping[str, Any], evaluation: Evaluation,
                 hidden: set[str]) -> str:
    """Per field, the pages whose ranking metric rose or fell since a previous `--json` result;
    held-out pages are counted, not named."""
    before = {row["page"]: row for row in previous.get("results", {}).get("newswire", [])}
    lines = []
    for name in METRICS:
        metric = RANKED_BY[name]
        better, worse, hidden_better, hidden_worse = [], [], 0, 0
        for result in evaluation.results["newswire"]:
            old = before.get(result.page, {}).get("scores", {}).get(name, {}).get(metric)
            new = result.scores.get(name, {}).get(metric)
            if old is None or new is None or abs(new - old) < 1e-9:
                continue
            if result.page in hidden:
                hidden_better += new > old
                hidden_worse += new < old
                continue
            row = (result.page, old, new, before[result.page].get("got", {}).get(name),
                   _got(result, name))
            (better if new > old else worse).append(row)
        if not (better or worse or hidden_better or hidden_worse):
            continue
        lines.append(f"\n{name} ({metric}): {len(better) + hidden_better} better, "
                     f"{len(worse) + hidden_worse} worse"
                     + (f" (held out: {hidden_better} better, {hidden_worse} worse)"
                        if hidden_better or hidden_worse else ""))
        for label, rows in (("better", better), ("worse", worse)):
            for page, old, new, was, now in sorted(rows, key=lambda row: row[2] - row[1]):
                lines.append(f"  {label:<6} {old:.2f} -> {new:.2f}  {page}")
                if was is not None or now is not None:
                    lines.append(f"           was: {_short(was)}\n           now: {_short(now)}")
    return "\n".join(lines).lstrip("\n") or "no page changed on any field"


def _got(result: Any, name: str) -> Any:
    return result.got().get(name) if result.extracted is not None else None


def _short(value: Any, width: int = 100) -> str:
    text = " | ".join(value) if isinstance(value, list) else " ".join(str(value).split())
    return text if len(text) <= width else text[:width - 1] + "\u2026"
