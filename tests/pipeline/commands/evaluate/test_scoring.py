"""The scorer of labelled pages, field by field, on small made-up cases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

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
