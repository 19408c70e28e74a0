"""Publisher folds, per-publisher scores and page-by-page changes of `newswire evaluate`, on a
small made-up labelled folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newswire.pipeline.cli import main
from newswire.pipeline.commands.evaluate.folds import assign_folds

TOPICS = ["Harbour", "Library", "Bridge", "Orchard", "Tramline", "Museum"]
PUBLISHERS = ["Gazette", "Courier", "Herald"]

PAGE = """<html><head><title>{title}</title></head><body><article><h1>{title}</h1>
<p class="byline">By {author}</p>
<p>{body}</p></article></body></html>"""


def _body(topic: str) -> str:
    return (f"The {topic.lower()} reopened on Wednesday after a winter of repairs, which the "
            f"storms of January had made necessary, and the town council said the {topic.lower()} "
            "would stay open every day of the week from now on, weather permitting.")


def labelled_folder(root: Path, retitled: str = "") -> Path:
    """Six pages, two per publisher; `retitled` gets a truth title its page does not show."""
    (root / "pages").mkdir(exist_ok=True)
    lines = []
    for number, topic in enumerate(TOPICS):
        name = f"{topic.lower()}.html"
        title = f"{topic} Reopens After Repairs"
        (root / "pages" / name).write_text(PAGE.format(title=title, author="Ana Ruiz",
                                                       body=_body(topic)))
        truth = {"title": "A Different Headline" if name == retitled else title,
                 "published": None, "authors": ["Ana Ruiz"], "body": _body(topic),
                 "image_caption": None, "image_credit": None}
        lines.append({"page": name, "url": f"https://example.org/{topic.lower()}",
                      "publisher": PUBLISHERS[number % 3], "truth": truth})
    (root / "truth.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return root


def test_a_publishers_pages_share_a_fold_and_folds_hold_as_many_publishers() -> None:
    publishers = {f"page{n}": f"publisher{n % 7}" for n in range(40)}
    folds = assign_folds(publishers, 3)
    assert folds == assign_folds(dict(reversed(publishers.items())), 3)
    for publisher in set(publishers.values()):
        assert len({folds[p] for p, name in publishers.items() if name == publisher}) == 1
    per_fold = [len({publishers[p] for p in folds if folds[p] == n}) for n in range(3)]
    assert sorted(per_fold) == [2, 2, 3]
    with pytest.raises(ValueError, match="at least 2"):
        assign_folds(publishers, 1)


def _held_out_pages(folder: Path, folds: int, held_out: int) -> set[str]:
    rows = [json.loads(line) for line in (folder / "truth.jsonl").read_text().splitlines()]
    fold_of = assign_folds({row["page"]: row["publisher"] for row in rows}, folds)
    return {page for page, fold in fold_of.items() if fold == held_out}


def test_folds_score_each_fold_and_the_held_out_one_without_listing_its_pages(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    retitled = "library.html"
    folder = labelled_folder(tmp_path, retitled)
    hidden = _held_out_pages(folder, 3, 0)
    assert len(hidden) == 2 and retitled not in hidden  # one publisher's two pages
    assert main(["evaluate", str(folder), "--no-baseline", "--folds", "3", "--held-out", "0",
                 "--publishers", "--worst", "6"]) == 0
    out = capsys.readouterr().out
    fold_lines = out.split("by publisher fold:")[1].split("by publisher:")[0]
    title_exact = next(line for line in fold_lines.splitlines() if line.startswith("title")
                       and "exact" in line).split()
    all_pages, per_fold, held, gap = (float(title_exact[2]),
                                      [float(x) for x in title_exact[3:6]],
                                      float(title_exact[6]), float(title_exact[7]))
    assert all_pages == pytest.approx(5 / 6, abs=1e-3)
    assert held == per_fold[0] == 1.0 and sorted(per_fold)[0] == 0.5
    assert gap == pytest.approx(held - all_pages, abs=2e-3)
    listed = out.split("by publisher:")[1]
    for page in hidden:
        assert page not in listed
    assert len([line for line in listed.splitlines()
                if line.split() and line.split()[0] in PUBLISHERS]) == 2
    assert "worst title (f1):" in listed and retitled in listed


def test_compare_lists_pages_that_got_better_and_worse(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = labelled_folder(tmp_path, retitled="bridge.html")
    assert main(["evaluate", str(folder), "--no-baseline", "--json"]) == 0
    previous = tmp_path / "before.json"
    previous.write_text(capsys.readouterr().out)
    assert json.loads(previous.read_text())["results"]["newswire"][2]["got"]["title"] == (
        "Bridge Reopens After Repairs")
    labelled_folder(folder, retitled="orchard.html")  # the truth moves from one page to another
    assert main(["evaluate", str(folder), "--no-baseline", "--compare", str(previous)]) == 0
    changes = capsys.readouterr().out.split("against")[1]
    assert "title (f1): 1 better, 1 worse" in changes
    better = next(line for line in changes.splitlines() if line.strip().startswith("better"))
    worse = next(line for line in changes.splitlines() if line.strip().startswith("worse"))
    assert "bridge.html" in better and "orchard.html" in worse
    assert "-> 1.00" in better and "1.00 ->" in worse
    assert "authors" not in changes and "body" not in changes


def test_held_out_needs_folds_and_a_fold_in_range(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = labelled_folder(tmp_path)
    assert main(["evaluate", str(folder), "--held-out", "1"]) == 1
    assert "give --folds" in capsys.readouterr().err
    assert main(["evaluate", str(folder), "--folds", "2", "--held-out", "2"]) == 1
    assert "numbered 0 to 1" in capsys.readouterr().err
