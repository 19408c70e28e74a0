"""Index layout on the real node: analyzer detection, the alias, and migration behind it."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import AuthorizationException, Elasticsearch

from newswire.transforms.index.dead_letters import repeated_letter
from newswire.transforms.index.layout import (
    ARTICLE_MAPPING,
    DEAD_LETTER_MAPPING,
    HISTORY_MAPPING,
    LANGUAGE_ANALYZERS,
    PROSE_FIELDS,
    article_mapping,
    article_mapping_for,
    current_index,
    ensure_index,
    has_english_analyzer,
    indexed_article,
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


def test_other_languages_prose_is_indexed_again_in_its_language() -> None:
    article = {"id": "a", "language": "de", "title": "Streiks", "text": "Die Häfen",
               "image": {"url": "u", "alt": "Kräne", "caption": ""}, "credits": None}
    indexed = indexed_article(article)
    assert indexed["by_language"] == {"german": {"title": "Streiks", "text": "Die Häfen",
                                                 "image": {"alt": "Kräne"}}}
    assert {k: v for k, v in indexed.items() if k != "by_language"} == article
    for language in ("en", "", "xx"):  # English is the prose fields' own; xx has no stemmer
        assert indexed_article({**article, "language": language}) == {
            **article, "language": language}


def test_each_languages_fields_are_mapped_with_its_analyzer_and_kept_out_of_source() -> None:
    mapping = article_mapping(english=True)
    assert mapping["_source"] == {"excludes": ["by_language"]}
    for analyzer in set(LANGUAGE_ANALYZERS.values()) - {"english"}:
        assert all(field(mapping, f"by_language.{analyzer}.{path}") == {
            "type": "text", "analyzer": analyzer} for path in PROSE_FIELDS)
    assert "english" not in mapping["properties"]["by_language"]["properties"]
    # without the analyzers the copies are accepted but not indexed
    assert ARTICLE_MAPPING["properties"]["by_language"] == {"type": "object", "enabled": False}


@pytest.mark.es
def test_the_managed_node_has_every_analyzer_the_mapping_names(es_client: Elasticsearch) -> None:
    assert has_english_analyzer(es_client)
    said: list[str] = []
    assert article_mapping_for(es_client, said.append) == article_mapping(english=True)
    assert said == []
    stems = {name: [t["token"] for t in es_client.indices.analyze(
        analyzer=name, text=text)["tokens"]] for name, text in (
        ("english", "strikes striking"), ("german", "Streiks"), ("spanish", "pescadores"))}
    assert stems == {"english": ["strike", "strike"], "german": ["streik"],
                     "spanish": ["pescador"]}
    for analyzer in set(LANGUAGE_ANALYZERS.values()):  # an unknown analyzer is a 400
        tokens = es_client.indices.analyze(analyzer=analyzer, text="2026")["tokens"]
        assert [t["token"] for t in tokens] == ["2026"], analyzer


@pytest.mark.es
def test_an_article_is_found_by_another_form_of_a_word_in_its_language(
        es_client: Elasticsearch, index_name: str) -> None:
    ensure_index(es_client, index_name, article_mapping(english=True))
    german = {"id": "de", "language": "de", "title": "Die Streiks im Hafen", "text": "Häfen"}
    es_client.index(index=index_name, id="de", document=indexed_article(german), refresh=True)
    stored = es_client.get(index=index_name, id="de")["_source"]
    assert stored == german  # the copies are searched, not stored

    def found(field: str, text: str) -> int:
        return es_client.count(index=index_name, query={"match": {field: text}})["count"]

    assert found("by_language.german.title", "Häfen") == 1  # the title says "Hafen"
    assert found("title", "Häfen") == 0  # English stemming leaves the umlaut plural be


@pytest.mark.es
def test_migrate_reindexes_behind_the_alias_keeping_versions(
        es_client: Elasticsearch, index_name: str) -> None:
    v1 = ensure_index(es_client, index_name, ARTICLE_MAPPING)
    es_client.index(index=index_name, id="a", document={"id": "a", "title": "Old mapping"},
                    version=42, version_type="external", refresh=True)
    said: list[str] = []
    v2 = migrate(es_client, index_name, ARTICLE_MAPPING, say=said.append)
    assert (v1, v2) == (f"{index_name}-v1-000001", f"{index_name}-v2-000001")
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
