"""The ratchet on real pages: newswire's scores on the labelled pages in `../shared/realpages`
(or $NEWSWIRE_REALPAGES) must stay at or above the floors in `realpages_floors.json`.

A change that makes one field worse on real pages fails here. The pages are not part of the
repository; where the folder is absent the test is skipped and says so.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from newswire.pipeline.commands.evaluate import (
    TRUTH_FILE,
    Evaluation,
    development_pages,
    evaluate,
    load_pages,
)

FLOORS = json.loads((Path(__file__).with_name("realpages_floors.json")).read_text())
REALPAGES = development_pages()


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    if not (REALPAGES / TRUTH_FILE).is_file():
        pytest.skip(f"no labelled real pages at {REALPAGES} (set NEWSWIRE_REALPAGES)")
    logging.disable(logging.WARNING)
    try:
        evaluation = evaluate(load_pages(REALPAGES), ["newswire"])
    finally:
        logging.disable(logging.NOTSET)
    return evaluation


def test_every_page_extracts(evaluation: Evaluation) -> None:
    assert not evaluation.failures("newswire"), {
        r.page: r.error for r in evaluation.failures("newswire")}


@pytest.mark.parametrize("field,metric", [
    (field, metric) for field, metrics in FLOORS["floors"].items() for metric in metrics])
def test_no_field_drops_below_its_floor(evaluation: Evaluation, field: str, metric: str) -> None:
    scores = evaluation.means("newswire")
    floor = FLOORS["floors"][field][metric]
    assert scores[field][metric] >= floor, (
        f"{field} {metric} fell to {scores[field][metric]:.3f}, below its floor {floor}")


def test_floors_never_pass_the_targets() -> None:
    for field, metrics in FLOORS["floors"].items():
        for metric, floor in metrics.items():
            assert floor <= FLOORS["targets"][field][metric], (field, metric)


def test_the_pages_are_looked_for_beside_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSWIRE_REALPAGES", raising=False)
    checkout = Path(__file__).resolve().parents[3]
    assert development_pages() == checkout.parent / "shared" / "realpages"
