"""`newswire evaluate`: a labelled folder scored beside trafilatura, no page stopping it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from newswire.pipeline.cli import main
from newswire.pipeline.commands.evaluate import evaluate, load_pages, newswire_fields

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


def test_a_dek_the_page_shows_is_scored_as_the_start_of_the_body() -> None:
    dek = "Storm damage had closed the quay for three months this winter."
    shown = PAGE.replace("<figure>", f"<p class='standfirst'>{dek}</p><figure>")
    described = PAGE.replace("</title>", f"</title><meta name='description' content='{dek}'>")
    assert newswire_fields(shown, "https://example.org/a").body.split() == f"{dek} {BODY}".split()
    assert newswire_fields(described, "https://example.org/a").body.split() == BODY.split()


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
