"""One description of the article: the model, the JSON Schema and the mapping agree with the
field table, field by field and type by type."""

from __future__ import annotations

import copy
import dataclasses
from datetime import datetime, timezone
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from newswire.schemas import seed
from newswire.schemas.article import Article, Credits, LeadImage
from newswire.schemas.fields import (
    ARTICLE_FIELDS,
    PROVENANCE_KEYS,
    Field,
    Kind,
    leaves,
)
from newswire.schemas.validation import InvalidArticle, article_schema, validate_document
from newswire.transforms.index.layout import (
    ARTICLE_MAPPING,
    BY_LANGUAGE,
    PROSE_FIELDS,
    ensure_index,
)
from tests import REPO

SEED = REPO / "seeds" / "000_096ae25def07195c.txt"
MOMENT = datetime(2023, 10, 27, 8, 0, tzinfo=timezone.utc)


def full_article() -> Article:
    """The seed article with every field of the document set, none left empty."""
    raw = "Reporting by Ann; Additional reporting by Bo; Writing by Cy; Editing by Di"
    return seed.parse(SEED.read_text()).replace(
        canonical_url="https://www.reuters.com/world/story", updated_at=MOMENT,
        fetched_at=MOMENT, authors=("Steve Holland",), summary="A summary.", language="en",
        tags=("ukraine",), source_feed="https://www.reuters.com/feed",
        credits=Credits(raw=raw, reporting=("Ann",), additional_reporting=("Bo",),
                        writing=("Cy",), editing=("Di",)),
        provenance=dict.fromkeys(PROVENANCE_KEYS, "json-ld"), cluster_id="c1",
        duplicate_of="d1", lsh_bands=("0:00ff",), minhash="00ff")


def disagreements(schema: dict[str, Any], mapping: dict[str, Any], path: str = "",
                  strict: bool = False) -> list[str]:
    """Where a document the schema accepts has no place in the mapping, or a mapped field has
    no place in the schema, or the two give a field different types; [] when they agree."""
    where = path.rstrip(".") or "(record)"
    strict = mapping.get("dynamic", "strict" if strict else "true") == "strict"
    problems = []
    if strict and schema.get("additionalProperties") is not False:
        problems.append(f"{where}: the schema accepts keys the strict mapping refuses")
    in_schema, in_mapping = set(schema.get("properties", {})), set(mapping["properties"])
    problems += [f"{path}{name}: only in the schema" for name in sorted(in_schema - in_mapping)]
    problems += [f"{path}{name}: only in the mapping" for name in sorted(in_mapping - in_schema)]
    for name in sorted(in_schema & in_mapping):
        value, mapped = schema["properties"][name], mapping["properties"][name]
        if "array" in _types(value):
            value = value["items"]
        types = _types(value) - {"null"}
        if types == {"object"} and "properties" in mapped:
            problems += disagreements(value, mapped, f"{path}{name}.", strict)
            continue
        wanted = "date" if value.get("format") == "date-time" else {"keyword", "text"}
        if types != {"string"} or mapped.get("type") not in wanted:
            problems.append(f"{path}{name}: schema {sorted(types)} "
                            f"{value.get('format', '')}, mapping {mapped.get('type', 'object')}")
    return problems


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def document_keys(document: dict[str, Any], fields: tuple[Field, ...]) -> list[str]:
    """Every key path of `document` that the table does not name, or names but it lacks."""
    problems = []
    if list(document) != [item.name for item in fields]:
        problems.append(f"keys {list(document)} != table {[item.name for item in fields]}")
    for item in fields:
        if item.kind is Kind.OBJECT and isinstance(document.get(item.name), dict):
            problems += [f"{item.name}.{p}" for p in document_keys(document[item.name],
                                                                    item.fields)]
    return problems


def test_the_full_article_leaves_no_field_empty() -> None:
    """Guards the tests below: each leaf of the document carries a value."""
    document = full_article().to_dict()
    for path, _item in leaves():
        value: Any = document
        for part in path.split("."):
            value = value[part]
        assert value not in (None, "", [], {}), path


def test_to_dict_writes_the_table_s_fields_in_its_order() -> None:
    assert document_keys(full_article().to_dict(), ARTICLE_FIELDS) == []


def test_the_model_has_a_document_field_for_each_of_its_own() -> None:
    by_name = {item.name: item for item in ARTICLE_FIELDS}
    assert {f.name for f in dataclasses.fields(Article)} <= set(by_name)
    assert [f.name for f in dataclasses.fields(LeadImage)] == [
        item.name for item in by_name["image"].fields]
    assert [f.name for f in dataclasses.fields(Credits)] == [
        item.name for item in by_name["credits"].fields]


def test_every_field_round_trips_through_the_document() -> None:
    article = full_article()
    assert Article.from_dict(article.to_dict()) == article


@pytest.mark.parametrize("article", [
    full_article(),
    Article(url="https://x.example/a", title="T", outlet="O", published_at=None, body="B."),
], ids=["full", "minimal"])
def test_the_model_s_documents_satisfy_the_schema(article: Article) -> None:
    validate_document(article.to_dict())


# The record's part of the mapping: all but the stemmed copies of other languages' prose,
# which are indexed and never stored.
RECORD_MAPPING = {**ARTICLE_MAPPING, "properties": {
    name: mapped for name, mapped in ARTICLE_MAPPING["properties"].items() if name != BY_LANGUAGE}}


def test_the_schema_and_the_mapping_agree_field_by_field() -> None:
    assert ARTICLE_MAPPING["_source"]["excludes"] == [BY_LANGUAGE]
    assert disagreements(article_schema(), RECORD_MAPPING) == []


def test_the_old_provenance_disagreement_is_caught() -> None:
    """The hand-written schema let any provenance key through; the strict mapping did not."""
    schema = article_schema()
    schema["properties"]["provenance"] = {"type": "object",
                                          "additionalProperties": {"type": "string"}}
    assert disagreements(schema, RECORD_MAPPING) == [
        "provenance: the schema accepts keys the strict mapping refuses",
        *(f"provenance.{key}: only in the mapping" for key in sorted(PROVENANCE_KEYS))]


@pytest.mark.parametrize(("change", "problem"), [
    (lambda s, m: s["properties"].pop("summary"), "summary: only in the mapping"),
    (lambda s, m: m["properties"]["image"]["properties"].pop("alt"),
     "image.alt: only in the schema"),
    (lambda s, m: m["properties"].update(fetched_at={"type": "keyword"}),
     "fetched_at: schema ['string'] date-time, mapping keyword"),
    (lambda s, m: m["properties"].update(title={"type": "date"}),
     "title: schema ['string'] , mapping date"),
    (lambda s, m: m["properties"].update(credits={"type": "keyword"}),
     "credits: schema ['object'] , mapping keyword"),
])
def test_disagreements_name_the_field(change: Any, problem: str) -> None:
    schema, mapping = article_schema(), copy.deepcopy(RECORD_MAPPING)
    change(schema, mapping)
    assert disagreements(schema, mapping) == [problem]


def test_stemmed_fields_are_searched_as_text() -> None:
    stemmed = {path: item for path, item in leaves() if item.stemmed}
    assert set(stemmed) == set(PROSE_FIELDS)
    assert {item.kind for item in stemmed.values()} <= {Kind.TEXT, Kind.NAME}


def test_an_unknown_provenance_key_is_a_schema_error() -> None:
    document = full_article().to_dict()
    document["provenance"]["headline"] = "meta"
    with pytest.raises(InvalidArticle) as caught:
        validate_document(document)
    assert caught.value.field == "provenance"


@pytest.mark.es
def test_the_node_takes_what_the_schema_takes_and_refuses_what_it_refuses(
        es_client: Elasticsearch, index_name: str) -> None:
    ensure_index(es_client, index_name, ARTICLE_MAPPING)
    article = full_article()
    document = article.to_dict()
    es_client.index(index=index_name, id=article.id, document=document, refresh=True)
    stored = es_client.get(index=index_name, id=article.id)["_source"]
    assert Article.from_dict(stored) == article
    extra = {**document, "provenance": {**document["provenance"], "headline": "x"}}
    with pytest.raises(InvalidArticle):
        validate_document(extra)
    response = es_client.options(ignore_status=400).index(index=index_name, id="extra",
                                                           document=extra)
    assert response["error"]["type"] == "strict_dynamic_mapping_exception"
