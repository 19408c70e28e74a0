"""Pieces behind an alias on the real node: rollover, updates across it, migration into pieces."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch

from newswire.pipeline import cli
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import (
    ARTICLE_MAPPING,
    HISTORY_MAPPING,
    article_mapping,
    ensure_alias,
    indexed_article,
    migrate,
)
from newswire.transforms.index.pieces import has_lifecycle, pieces, roll_over
from newswire.transforms.index.settings import Sizing
from newswire.transforms.index.sink import BulkSettings
from tests.conftest import drop_index
from tests.transforms.index.test_sink import doc, write

pytestmark = pytest.mark.es

SMALL = Sizing(max_docs=3)  # a rollover forced at three documents (the sinks check each minute)


def where(client: Elasticsearch, alias: str, id_: str) -> list[tuple[str, int, str]]:
    """(piece, version, title) of every copy of `id_` behind `alias`."""
    client.indices.refresh(index=alias)
    hits = client.search(index=alias, query={"ids": {"values": [id_]}}, version=True)
    return [(h["_index"], h["_version"], h["_source"]["title"]) for h in hits["hits"]["hits"]]


def test_the_test_node_has_no_lifecycle_management_so_newswire_rolls_over(
        es_client: Elasticsearch, index_name: str) -> None:
    assert not has_lifecycle(es_client)
    said: list[str] = []
    ensure_alias(es_client, index_name, ARTICLE_MAPPING, SMALL, lifecycle=False,
                 say=said.append)
    assert said == []
    first = pieces(es_client, index_name)
    assert first is not None and first.names == (f"{index_name}-v1-000001",)
    assert roll_over(es_client, index_name, SMALL) is None  # empty: not due


def test_updates_across_a_rollover_stay_where_their_article_lives(
        es_client: Elasticsearch, es_connection: EsConnection, index_name: str) -> None:
    ensure_alias(es_client, index_name, ARTICLE_MAPPING, SMALL, lifecycle=False)
    write(es_connection, index_name, [doc(f"old{i}", "before", 1) for i in range(3)])
    es_client.indices.refresh(index=index_name)
    new_piece = roll_over(es_client, index_name, SMALL)
    assert new_piece == f"{index_name}-v1-000002"
    assert roll_over(es_client, index_name, SMALL) is None  # the new piece is not full

    letters, counts = write(es_connection, index_name, [
        doc("old0", "updated after the rollover", 2),  # newer: replaced where it lives
        doc("old1", "stale", 0),  # older: refused there, not added to the new piece
        doc("new0", "after", 1), doc("new1", "after", 1)], rollover=SMALL)
    assert letters == []
    assert (counts.get("updated"), counts.get("unchanged"), counts.get("created")) == (1, 1, 2)
    first = f"{index_name}-v1-000001"
    assert where(es_client, index_name, "old0") == [(first, 2, "updated after the rollover")]
    assert where(es_client, index_name, "old1") == [(first, 1, "before")]
    assert where(es_client, index_name, "new0") == [(new_piece, 1, "after")]
    assert es_client.count(index=index_name)["count"] == 5
    assert es_client.count(index=first)["count"] == 3
    found = es_client.search(index=index_name, query={"match": {"title": "after"}})
    assert {h["_id"] for h in found["hits"]["hits"]} == {"new0", "new1", "old0"}


def test_the_history_follows_the_article_into_an_older_piece(
        es_client: Elasticsearch, es_connection: EsConnection, index_name: str) -> None:
    history = f"{index_name}-history"
    ensure_alias(es_client, index_name, ARTICLE_MAPPING, SMALL, lifecycle=False)
    ensure_alias(es_client, history, HISTORY_MAPPING, SMALL, lifecycle=False)
    try:
        write(es_connection, index_name, [doc(f"a{i}", "first", 1, fingerprint=f"f{i}")
                                          for i in range(3)])
        es_client.indices.refresh(index=index_name)
        assert roll_over(es_client, index_name, SMALL)
        write(es_connection, index_name, [doc("a0", "second", 2, fingerprint="changed")],
              history_index=history, rollover=SMALL)
        es_client.indices.refresh(index=history)
        kept = es_client.search(index=history)["hits"]["hits"]
        assert [(h["_source"]["article_id"], h["_source"]["version"]) for h in kept] == [
            ("a0", 1)]
        assert where(es_client, index_name, "a0") == [(f"{index_name}-v1-000001", 2, "second")]
    finally:
        drop_index(es_connection, history)


def test_the_sink_rolls_the_alias_over_when_its_write_piece_is_full(
        es_client: Elasticsearch, es_connection: EsConnection, index_name: str) -> None:
    ensure_alias(es_client, index_name, ARTICLE_MAPPING, SMALL, lifecycle=False)
    # a piece is full at one document, and the sink checks before every batch of two
    eager = Sizing(max_docs=1, check_every=0)
    letters, counts = write(es_connection, index_name, [doc(f"d{i}", "t", 1) for i in range(6)],
                            BulkSettings(max_docs=2), rollover=eager)
    assert (letters, counts.get("created")) == ([], 6)
    behind = pieces(es_client, index_name)
    assert behind is not None and len(behind.names) > 1
    es_client.indices.refresh(index=index_name)
    assert es_client.count(index=index_name)["count"] == 6
    assert all(len(where(es_client, index_name, f"d{i}")) == 1 for i in range(6))


def test_migrate_moves_an_old_single_index_into_pieces(
        es_client: Elasticsearch, es_connection: EsConnection, index_name: str,
        capsys: pytest.CaptureFixture) -> None:
    old = f"{index_name}-v1"  # the layout before pieces: one index behind the alias
    mapping = article_mapping(english=True)
    es_client.indices.create(index=old, mappings=mapping,
                             aliases={index_name: {"is_write_index": True}})
    said: list[str] = []
    ensure_alias(es_client, index_name, mapping, SMALL, lifecycle=False, say=said.append)
    assert "`newswire es migrate` moves it into pieces" in said[0]
    articles = [{"id": f"a{i}", "title": f"Artikel {i} über Häfen", "language": "de"}
                for i in range(7)]
    for version, article in enumerate(articles, start=10):
        es_client.index(index=index_name, id=article["id"], document=indexed_article(article),
                        version=version, version_type="external")
    es_client.indices.refresh(index=index_name)

    write_piece = migrate(es_client, index_name, mapping, say=said.append,
                          prepare=indexed_article, sizing=SMALL, chunk=2)
    behind = pieces(es_client, index_name)
    assert behind is not None and behind.rolls_over and behind.write == write_piece
    assert all(name.startswith(f"{index_name}-v2-") for name in behind.names)
    # checked every two documents copied: the first piece is full (three or more) at four
    assert [es_client.count(index=name)["count"] for name in behind.names] == [4, 3]
    assert not es_client.indices.exists(index=old)
    assert not es_client.indices.exists_alias(name=f"{index_name}-migrating")
    assert "7 documents copied" in said[-1]
    assert es_client.count(index=index_name)["count"] == 7
    for version, article in enumerate(articles, start=10):
        assert where(es_client, index_name, article["id"])[0][1:] == (version, article["title"])
    # the German copies, which _source leaves out, were made again
    assert es_client.count(index=index_name, query={"match": {
        "by_language.german.title": "Hafen"}})["count"] == 7

    assert cli.main(["es", "status", "--es-url", es_connection.url,
                     "--index", index_name]) == 0
    out = capsys.readouterr().out
    assert f"{index_name}: {len(behind.names)} pieces, 7 documents" in out
    assert all(name in out for name in behind.names)
    assert f"{behind.write}" in next(line for line in out.splitlines() if "<- writes" in line)


def test_es_migrate_moves_every_alias_there_is(
        es_client: Elasticsearch, es_connection: EsConnection, aliases: dict[str, str],
        capsys: pytest.CaptureFixture) -> None:
    index, history = aliases["index"], aliases["history_index"]
    es_client.indices.create(index=f"{index}-v1", mappings=article_mapping(english=True),
                             aliases={index: {"is_write_index": True}})
    ensure_alias(es_client, history, HISTORY_MAPPING, SMALL, lifecycle=False)
    for alias, count in ((index, 2), (history, 1)):
        for i in range(count):
            es_client.index(index=alias, id=f"{i}", document={"title": "kept"}, refresh=True)

    assert cli.main(["es", "migrate", "--es-url", es_connection.url, "--index", index,
                     "--dead-letter-index", aliases["dead_letter_index"],
                     "--history-index", history]) == 0
    assert f"{aliases['dead_letter_index']}: none yet" in capsys.readouterr().out
    for alias, count in ((index, 2), (history, 1)):
        behind = pieces(es_client, alias)
        assert behind is not None and behind.names == (f"{alias}-v2-000001",)
        assert es_client.count(index=alias)["count"] == count


def test_new_pieces_have_the_shards_and_replicas_asked_for(
        es_client: Elasticsearch, index_name: str) -> None:
    sizing = Sizing(shards=2, replicas=0, max_docs=1)
    ensure_alias(es_client, index_name, ARTICLE_MAPPING, sizing, lifecycle=False)
    es_client.index(index=index_name, id="a", document={"title": "t"})
    assert roll_over(es_client, index_name, sizing)
    behind = pieces(es_client, index_name)
    assert behind is not None and len(behind.names) == 2
    for name in behind.names:
        settings = es_client.indices.get_settings(index=name)[name]["settings"]["index"]
        assert (settings["number_of_shards"], settings["number_of_replicas"]) == ("2", "0")
