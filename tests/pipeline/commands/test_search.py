"""`newswire search`: the request a user's query and filters make, and how hits are printed.
(The searches against a real index run in tests/pipeline/job/test_lifecycle.py.)"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from newswire.pipeline.commands.search import MAX_LIMIT, Search, render


def test_text_is_searched_and_every_other_field_is_an_exact_filter() -> None:
    since = datetime(2026, 3, 1, tzinfo=timezone.utc)
    body = Search(text="strike", outlet="Meridian Wire", since=since, has_image=True).body()
    assert body["query"]["bool"]["must"][0]["multi_match"]["query"] == "strike"
    assert body["query"]["bool"]["filter"] == [
        {"term": {"outlet.keyword": "Meridian Wire"}},
        {"range": {"published_at": {"gte": since.isoformat()}}},
        {"exists": {"field": "image.url"}}]
    assert body["sort"][0] == "_score"


def test_without_text_everything_matches_newest_first() -> None:
    body = Search().body()
    assert body["query"]["bool"]["must"] == [{"match_all": {}}]
    assert body["sort"] == [{"published_at": {"order": "desc", "missing": "_last"}}]


@pytest.mark.parametrize("limit", [-1, MAX_LIMIT + 1])
def test_a_limit_out_of_range_is_refused(limit: int) -> None:
    with pytest.raises(ValueError, match="--limit"):
        Search(limit=limit).body()


def test_hits_print_as_json_with_their_snippet() -> None:
    hit = {"_score": 2.5, "_source": {"title": "T", "summary": "The summary."},
           "highlight": {"text": ["a **strike** began"]}}
    assert json.loads(render([hit], "json")) == [
        {"title": "T", "summary": "The summary.", "score": 2.5, "snippet": "a **strike** began"}]
