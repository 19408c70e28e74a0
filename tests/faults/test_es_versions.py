"""Defect: a date before 1970 gave a negative external version, the node refused the whole
bulk request, and the run ended with a traceback and nothing indexed. Now versions are valid
for every date the model accepts, absurd dates are validation dead letters, and a request
refused as a whole for one document's sake is split so only that document is dead-lettered."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from elasticsearch import Elasticsearch

from newswire.pipeline.job import lifecycle
from newswire.pipeline.services.seed_server import SeedServer
from newswire.schemas.article import Article
from newswire.schemas.validation import InvalidArticle, validate
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import ARTICLE_MAPPING, ensure_index
from newswire.transforms.index.sink import BulkSettings, Document
from tests.faults.site import article_id, write_site
from tests.transforms.index.test_sink import write

pytestmark = pytest.mark.es
UTC = timezone.utc


def story(published: datetime, updated: datetime | None = None,
          fetched: datetime | None = None) -> Article:
    return Article(url="https://faults.example/s", title="t", outlet="o", body="b",
                   published_at=published, updated_at=updated, fetched_at=fetched)


def test_versions_are_valid_and_ordered_for_every_accepted_date() -> None:
    dates = [datetime(1900, 1, 1, tzinfo=UTC), datetime(1969, 7, 20, tzinfo=UTC),
             datetime(1970, 1, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)]
    versions = [story(moment).version for moment in dates]
    assert versions[0] == 0
    assert versions == sorted(set(versions))
    assert story(None).version == 0  # type: ignore[arg-type]


def test_an_absurd_date_is_refused_by_validation() -> None:
    fetched = datetime(2026, 12, 1, tzinfo=UTC)
    for bad in (datetime(1850, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)):
        with pytest.raises(InvalidArticle, match="published_at"):
            validate(story(bad, fetched=fetched))
    validate(story(fetched + timedelta(hours=12), fetched=fetched))  # a time zone gone wrong


def test_a_date_ahead_of_the_fetch_does_not_outrank_later_corrections() -> None:
    fetched = datetime(2026, 12, 1, 9, tzinfo=UTC)
    ahead = story(fetched + timedelta(hours=20), fetched=fetched)
    correction = story(fetched + timedelta(hours=20), updated=fetched + timedelta(hours=1),
                       fetched=fetched + timedelta(hours=1))
    assert correction.version > ahead.version


def test_a_request_refused_as_a_whole_is_split_around_the_bad_document(
        es_client: Elasticsearch, es_connection: EsConnection, index_name: str) -> None:
    ensure_index(es_client, index_name, ARTICLE_MAPPING)
    documents = [Document(id=f"d{i}", source={"id": f"d{i}", "url": f"https://a.example/{i}"},
                          version=-1000 if i == 5 else 1) for i in range(8)]
    letters, counts = write(es_connection, index_name, documents, BulkSettings(max_docs=8))
    assert (counts.get("created"), counts.get("rejected")) == (7, 1)
    assert [letter.url for letter in letters] == ["https://a.example/5"]
    assert "illegal version value [-1000]" in letters[0].reason
    es_client.indices.refresh(index=index_name)
    assert es_client.count(index=index_name)["count"] == 7


def test_a_feed_with_dates_before_1970_and_after_2100_runs_to_the_end(
        tmp_path: Path, es_connection: EsConnection, aliases: dict[str, str]) -> None:
    """The story every source dates 2100 is dated when first seen (it was a dead letter)."""
    site = write_site(tmp_path, {"moon": "1969-07-20T20:17:00Z", "today": "2026-11-30T10:00:00Z",
                                 "future": "2100-01-01T00:00:00Z"})
    with SeedServer(site) as server:
        summary = lifecycle.run(PipelineOptions(
            feeds=[server.url("feed.xml")], es_url=es_connection.url,
            allow_private_addresses=True, **aliases), say=lambda _: None)
        moon_id, future_id = (article_id(server.base_url, slug) for slug in ("moon", "future"))
    assert (summary.entries_seen, summary.created, summary.dead_letters) == (3, 3, 0)
    assert summary.balanced
    client = es_connection.client()
    try:
        moon = client.get(index=aliases["index"], id=moon_id)
        future = client.get(index=aliases["index"], id=future_id)["_source"]
    finally:
        client.close()
    assert future["provenance"]["published_at"] == "first-seen"
    assert future["published_at"] == future["fetched_at"]
    assert moon["_source"]["published_at"] == "1969-07-20T20:17:00Z"
    assert moon["_version"] == story(datetime(1969, 7, 20, 20, 17, tzinfo=UTC)).version
