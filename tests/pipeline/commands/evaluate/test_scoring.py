"""The scorer of labelled pages and `newswire evaluate`, on small made-up cases."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newswire.pipeline.cli import main
from newswire.pipeline.commands.evaluate import evaluate, load_pages
from newswire.pipeline.commands.evaluate.scoring import (
    Extracted,
    author_scores,
    body_scores,
    f1,
    normalize,
    published_scores,
    score_page,
    text_scores,
    tokens,
)

NOON = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)


def test_normalize_folds_case_whitespace_compatibility_forms_and_invisible_characters() -> None:
    assert normalize("  FInal\u00a0 Re\u00adport\u200b\n ") == "final report"
    assert tokens("Dr. O'Neil — said: “yes”") == ["dr", "o", "neil", "said", "yes"]


def test_f1_counts_repeated_tokens_and_empty_bags() -> None:
    assert f1(["a", "b", "b"], ["a", "b"]) == pytest.approx(0.8)
    assert f1([], []) == 1.0
    assert f1(["a"], []) == 0.0


def test_text_scores_exact_and_token_f1() -> None:
    assert text_scores("The Storm Returns", "the storm  returns") == {"exact": 1.0, "f1": 1.0}
    partial = text_scores("Storm returns to the coast", "Storm returns")
    assert partial["exact"] == 0.0 and partial["f1"] == pytest.approx(2 * 1 * 0.4 / 1.4)
    assert text_scores(None, "anything") is None
    assert text_scores("", "anything") is None


def test_published_within_a_minute_and_same_utc_day() -> None:
    truth = "2026-03-04 14:00:30+02:00"
    assert published_scores(truth, NOON) == {"within_60s": 1.0, "same_day": 1.0}
    assert published_scores(truth, NOON + timedelta(minutes=2)) == {
        "within_60s": 0.0, "same_day": 1.0}
    assert published_scores("2026-03-04 23:30:00+00:00", NOON + timedelta(hours=12)) == {
        "within_60s": 0.0, "same_day": 0.0}
    assert published_scores(truth, None) == {"within_60s": 0.0, "same_day": 0.0}
    assert published_scores(None, NOON) is None


def test_authors_are_sets_of_names_without_a_leading_by() -> None:
    assert author_scores(["Ana Ruiz", "Tom Berg"], ("By Tom Berg", "ana ruiz")) == {"f1": 1.0}
    assert author_scores(["Ana Ruiz", "Tom Berg"], ("Von Ana Ruiz",)) == {
        "f1": pytest.approx(2 / 3)}
    assert author_scores(["Ana Ruiz"], ("Ana Ruiz and Tom Berg",)) == {"f1": 0.0}
    assert author_scores([], ("Ana Ruiz",)) is None


def test_body_is_token_f1_against_the_whole_truth() -> None:
    assert body_scores("One two.\nThree four.", "one two three four")["f1"] == 1.0
    assert body_scores("One two.\nThree four.", "one two")["f1"] == pytest.approx(2 / 3)


def test_a_failed_page_scores_zero_on_every_field_its_truth_has() -> None:
    truth = {"title": "T", "published": None, "authors": ["A B"], "body": "x y",
             "image_caption": None, "image_credit": "AP"}
    assert score_page(truth, None) == {
        "title": {"exact": 0.0, "f1": 0.0}, "authors": {"f1": 0.0}, "body": {"f1": 0.0},
        "credit": {"exact": 0.0, "f1": 0.0}}
    assert score_page(truth, Extracted(title="t", body="x y"))["title"]["exact"] == 1.0


PAGE = """<html><head><title>Quiet Harbour Reopens | Gazette</title>
<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Quiet Harbour Reopens",
"datePublished": "2026-03-04T12:00:00Z", "author": {"@type": "Person", "name": "Ana Ruiz"}}
</script></head><body><article><h1>Quiet Harbour Reopens</h1>
<figure><img src="/a.jpg"><figcaption>The quay at dawn. Tom Berg/Reuters</figcaption></figure>
<p>The harbour reopened on Wednesday after a winter of repairs to its stone walls, which the
storms of January had breached in three places along the northern arm.</p>
<p>Fishing boats returned first, followed by the ferry that links the two islands, and by noon
the quay was as busy as it had been before the storms, the harbour master said.</p>
</article></body></html>"""


BODY = ("The harbour reopened on Wednesday after a winter of repairs to its stone walls, which the "
        "storms of January had breached in three places along the northern arm.\nFishing boats "
        "returned first, followed by the ferry that links the two islands, and by noon the quay "
        "was as busy as it had been before the storms, the harbour master said.")


def labelled_folder(root: Path) -> Path:
    (root / "pages").mkdir()
    (root / "pages" / "good.html.gz").write_bytes(gzip.compress(PAGE.encode()))
    (root / "pages" / "empty.html").write_text("<html><body></body></html>")
    truth = {"title": "Quiet Harbour Reopens", "published": "2026-03-04 12:00:00+00:00",
             "authors": ["Ana Ruiz"], "body": BODY, "image_caption": "The quay at dawn.",
             "image_credit": "Tom Berg/Reuters"}
    lines = [{"page": name, "url": f"https://example.org/{name}", "truth": truth}
             for name in ("good.html.gz", "empty.html", "missing.html")]
    (root / "truth.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return root


def test_evaluate_scores_pages_and_counts_failures_without_raising(tmp_path: Path) -> None:
    evaluation = evaluate(load_pages(labelled_folder(tmp_path)), ["newswire"])
    good = evaluation.results["newswire"][0]
    assert good.error == "" and all(
        value == 1.0 for metrics in good.scores.values() for value in metrics.values()), good
    assert {r.page: r.error.split(":")[0] for r in evaluation.failures("newswire")} == {
        "empty.html": "ExtractionError", "missing.html": "page file missing"}
    assert evaluation.means("newswire")["title"]["exact"] == pytest.approx(1 / 3)


def test_the_command_prints_a_table_beside_trafilatura_and_json(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = labelled_folder(tmp_path)
    assert main(["evaluate", str(folder), "--worst", "2"]) == 0
    out = capsys.readouterr().out
    assert "newswire" in out and "trafilatura" in out and "worst title" in out
    assert "pages that raised or were missing: newswire 2, trafilatura 2" in out
    assert main(["evaluate", str(folder), "--json", "--no-baseline"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["pages"] == 3 and set(report["scores"]) == {"newswire"}
    assert report["scores"]["newswire"]["credit"]["exact"] == pytest.approx(1 / 3)


def test_a_folder_without_truth_is_one_clear_error(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(tmp_path)]) == 1
    assert "no truth.jsonl" in capsys.readouterr().err
