"""Revision history records: what a superseded version said and how the new one differs."""

from __future__ import annotations

from datetime import datetime, timezone

from newswire.transforms.index.revisions import (
    MAX_DIFF_CHARS,
    revision_document,
    revision_id,
    text_diff,
)


def test_equal_texts_have_no_diff() -> None:
    assert text_diff("One.\n\nTwo.", "One.\n\nTwo.", "body") == ""


def test_the_diff_names_the_field_and_goes_paragraph_by_paragraph() -> None:
    diff = text_diff("One.\n\nTwo.\n\nThree.", "One.\n\n2.\n\nThree.", "body")
    assert diff.splitlines() == ["--- body (before)", "+++ body (after)", "@@ -2 +2 @@",
                                 "-Two.", "+2."]


def test_a_long_diff_is_cut() -> None:
    diff = text_diff("a" * MAX_DIFF_CHARS, "b" * MAX_DIFF_CHARS, "body")
    assert len(diff) == MAX_DIFF_CHARS + len("\n... (cut)")
    assert diff.endswith("\n... (cut)")


def test_a_revision_records_the_old_version_and_what_replaced_it() -> None:
    old = {"id": "a1", "url": "https://news.example/a", "canonical_url": "https://news.example/c",
           "fingerprint": "f1", "title": "Harbour shut", "body": "Boats stay in."}
    new = {"id": "a1", "fingerprint": "f2", "title": "Harbour reopens", "body": "Boats stay in."}
    at = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
    revision = revision_document(old, 3, new, at)
    assert revision == {
        "article_id": "a1", "url": "https://news.example/c", "version": 3, "fingerprint": "f1",
        "replaced_at": "2026-03-04T12:00:00+00:00", "replaced_by": "f2",
        "title": "Harbour shut", "new_title": "Harbour reopens",
        "title_diff": text_diff("Harbour shut", "Harbour reopens", "title"), "body_diff": ""}


def test_a_revision_without_a_canonical_url_names_the_url() -> None:
    assert revision_document({"url": "https://news.example/a"}, 1, {"id": "a1"})["url"] == (
        "https://news.example/a")


def test_one_revision_id_per_superseded_version() -> None:
    assert revision_id("a1", 3) == "a1-3"
    assert revision_id("a1", 3) != revision_id("a1", 4)
