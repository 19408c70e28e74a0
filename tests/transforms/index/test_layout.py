"""Index layout on the real node: analyzer detection, the alias, and migration behind it."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import AuthorizationException, BadRequestError, Elasticsearch

from newswire.transforms.index.dead_letters import repeated_letter
from newswire.transforms.index.layout import (
    ARTICLE_MAPPING,
    DEAD_LETTER_MAPPING,
    HISTORY_MAPPING,
    PROSE_FIELDS,
    article_mapping,
    article_mapping_for,
    current_index,
    ensure_index,
    has_english_analyzer,
    migrate,
)
from newswire.transforms.index.revisions import revision_document
from newswire.transforms.records import DeadLetter


def field(mapping: dict, path: str) -> dict:
    node = mapping
    for part in path.split("."):
        node = node["properties"][part]
    return node


def test_english_mapping_stems_prose_fields_only() -> None:
    english = article_mapping(english=True)
    assert all(field(english, p)["analyzer"] == "english" for p in PROSE_FIELDS)
    assert "analyzer" not in field(english, "outlet")
    plain = article_mapping(english=False)
    assert all("analyzer" not in field(plain, p) for p in PROSE_FIELDS)
    assert "analyzer" not in field(ARTICLE_MAPPING, "title")  # the base stays untouched


def test_the_strict_mappings_name_exactly_their_records_fields() -> None:
    """A field added to a record but not to its mapping would be refused by the node."""
    letter = DeadLetter(stage="fetch", reason="404", unit="entry", url="u", input="{}")
    indexed = repeated_letter(None, letter.to_dict())  # what the dead-letter sink writes
    assert set(indexed) == set(DEAD_LETTER_MAPPING["properties"])
    revision = revision_document({"id": "a"}, 1, {"id": "a"})
    assert set(revision) == set(HISTORY_MAPPING["properties"])


def key_without_cluster_analyze(modules: list[str]) -> SimpleNamespace:
    """A client whose API key may not call the cluster-level _analyze, on nodes with `modules`."""
    def analyze(**_: object) -> None:
        meta = ApiResponseMeta(403, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "es", 9200))
        raise AuthorizationException("security_exception", meta, {})

    node = {"modules": [{"name": name} for name in modules]}
    return SimpleNamespace(indices=SimpleNamespace(analyze=analyze),
                           nodes=SimpleNamespace(info=lambda metric: {"nodes": {"n1": node}}))


@pytest.mark.parametrize(("modules", "english"), [
    (["analysis-common", "x-pack-security"], True),
    (["x-pack-security"], False),
])
def test_a_key_that_may_not_analyze_learns_it_from_the_node_list(
        modules: list[str], english: bool) -> None:
    assert has_english_analyzer(key_without_cluster_analyze(modules)) is english


@pytest.mark.es
def test_the_test_node_lacks_english_and_says_so(es_client: Elasticsearch) -> None:
    assert not has_english_analyzer(es_client)
    said: list[str] = []
    mapping = article_mapping_for(es_client, said.append)
    assert mapping == article_mapping(english=False)
    assert "no 'english' analyzer" in said[0]


@pytest.mark.es
def test_an_english_mapping_is_refused_where_the_analyzer_is_missing(
        es_client: Elasticsearch, index_name: str) -> None:
    with pytest.raises(BadRequestError, match="invalid"):
        ensure_index(es_client, index_name, article_mapping(english=True))


@pytest.mark.es
def test_migrate_reindexes_behind_the_alias_keeping_versions(
        es_client: Elasticsearch, index_name: str) -> None:
    v1 = ensure_index(es_client, index_name, ARTICLE_MAPPING)
    es_client.index(index=index_name, id="a", document={"id": "a", "title": "Old mapping"},
                    version=42, version_type="external", refresh=True)
    said: list[str] = []
    v2 = migrate(es_client, index_name, ARTICLE_MAPPING, say=said.append)
    assert (v1, v2) == (f"{index_name}-v1", f"{index_name}-v2")
    assert current_index(es_client, index_name) == v2
    assert not es_client.indices.exists(index=v1)
    doc = es_client.get(index=index_name, id="a")
    assert (doc["_index"], doc["_version"], doc["_source"]["title"]) == (v2, 42, "Old mapping")
    assert "1 documents copied" in said[0]
    es_client.index(index=index_name, id="b", document={"id": "b"})  # the alias still writes
    assert es_client.get(index=index_name, id="b")["_index"] == v2


@pytest.mark.es
def test_new_fields_reach_an_index_made_by_an_older_version(
        es_client: Elasticsearch, index_name: str) -> None:
    older = copy.deepcopy(ARTICLE_MAPPING)
    del older["properties"]["cluster_id"]
    ensure_index(es_client, index_name, older)
    ensure_index(es_client, index_name, ARTICLE_MAPPING)
    mapping = es_client.indices.get_mapping(index=index_name).body
    assert next(iter(mapping.values()))["mappings"]["properties"]["cluster_id"] == {
        "type": "keyword"}


@pytest.mark.es
def test_an_incompatible_change_asks_for_a_migration(
        es_client: Elasticsearch, index_name: str) -> None:
    ensure_index(es_client, index_name, ARTICLE_MAPPING)
    changed = copy.deepcopy(ARTICLE_MAPPING)
    changed["properties"]["cluster_id"] = {"type": "long"}
    with pytest.raises(ValueError, match="newswire es migrate"):
        ensure_index(es_client, index_name, changed)
