"""Re-extraction on the real node: a changed article outranks its stored version by one; an
unchanged, newer, unversioned or new one passes as it came."""

from __future__ import annotations

import pytest
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from elasticsearch import Elasticsearch

from newswire.transforms.extraction.reextract import AdvanceChangedVersions
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import ARTICLE_MAPPING, ensure_index
from newswire.transforms.index.sink import Document
from tests.transforms.index.test_sink import doc, write

pytestmark = pytest.mark.es


def advanced(connection: EsConnection, index: str, documents: list[Document],
             batch_size: int) -> list[Document]:
    """The documents as AdvanceChangedVersions hands them on, in one bundle."""
    step = AdvanceChangedVersions(connection, index, batch_size=batch_size)
    step.setup()
    try:
        step.start_bundle()
        out = [value for document in documents
               for value in step.process(document, GlobalWindow(), MIN_TIMESTAMP)]
        out += step.finish_bundle()
    finally:
        step.teardown()
    return [value.value for value in out]


def test_only_changed_articles_stored_at_the_same_version_or_newer_advance(
        es_client: Elasticsearch, es_connection: EsConnection, index_name: str) -> None:
    ensure_index(es_client, index_name, ARTICLE_MAPPING)
    stored = [doc("same", "t", 5, fingerprint="f1"), doc("changed", "t", 5, fingerprint="f1"),
              doc("ahead", "t", 9, fingerprint="f1"), doc("behind", "t", 3, fingerprint="f1")]
    letters, _ = write(es_connection, index_name, stored)
    assert letters == []
    again = [doc("same", "t", 5, fingerprint="f1"), doc("changed", "t", 5, fingerprint="f2"),
             doc("ahead", "t", 7, fingerprint="f2"), doc("behind", "t", 4, fingerprint="f2"),
             doc("new", "t", 1, fingerprint="f2"),
             Document(id="same", source={"id": "same", "fingerprint": "f2"})]
    out = advanced(es_connection, index_name, again, batch_size=2)
    assert [(d.id, d.version) for d in out] == [
        ("same", 5), ("changed", 6), ("ahead", 10), ("behind", 4), ("new", 1), ("same", None)]
    assert [d.source for d in out] == [d.source for d in again]
