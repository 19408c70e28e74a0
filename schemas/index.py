"""Index layout: a composable template, a versioned index, and the alias that names it.

Writers and readers use the alias (`newswire-articles`); the concrete index behind it is
`<alias>-v<N>`, so a mapping change is a reindex into v<N+1> and an alias swap.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

MAPPING_VERSION = 1


def _text_and_keyword() -> dict[str, Any]:
    return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 512}}}


_KEYWORD = {"type": "keyword", "ignore_above": 2048}
_DATE = {"type": "date"}

ARTICLE_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        "url": _KEYWORD,
        "canonical_url": _KEYWORD,
        "title": _text_and_keyword(),
        "outlet": _text_and_keyword(),
        "published_at": _DATE,
        "updated_at": _DATE,
        "fetched_at": _DATE,
        "authors": _text_and_keyword(),
        "image": {"properties": {
            "url": _KEYWORD,
            "alt": {"type": "text"},
            "caption": {"type": "text"},
            "credit": _text_and_keyword(),
        }},
        "credits": {"properties": {
            "raw": {"type": "text"},
            "reporting": _text_and_keyword(),
            "additional_reporting": _text_and_keyword(),
            "writing": _text_and_keyword(),
            "editing": _text_and_keyword(),
        }},
        "body": {"type": "text", "index": False},
        "text": {"type": "text"},
        "summary": {"type": "text"},
        "language": {"type": "keyword"},
        "tags": {"type": "keyword"},
        "source_feed": _KEYWORD,
        "fingerprint": {"type": "keyword"},
        "cluster_id": {"type": "keyword"},
        "duplicate_of": {"type": "keyword"},
        "provenance": {"properties": {
            name: {"type": "keyword"}
            for name in ("title", "outlet", "published_at", "updated_at", "image", "caption",
                         "credit")
        }},
    },
}

DEAD_LETTER_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "stage": {"type": "keyword"},
        "reason": _text_and_keyword(),
        "unit": {"type": "keyword"},
        "url": _KEYWORD,
        "input": {"type": "text"},
        "at": _DATE,
    },
}

# One primary shard suits a news corpus of millions of articles; replicas follow the cluster.
_SETTINGS = {"number_of_shards": 1, "auto_expand_replicas": "0-1"}


def ensure_index(client: Elasticsearch, alias: str, mapping: dict[str, Any]) -> str:
    """Create the template and the first versioned index behind `alias` if missing.

    Returns the concrete index the alias writes to.
    """
    client.indices.put_index_template(
        name=alias,
        index_patterns=[f"{alias}-v*"],
        template={"settings": _SETTINGS, "mappings": mapping},
        priority=200,
        meta={"managed_by": "newswire", "mapping_version": MAPPING_VERSION},
    )
    try:
        current = client.indices.get_alias(name=alias)
    except NotFoundError:
        concrete = f"{alias}-v{MAPPING_VERSION}"
        client.indices.create(index=concrete, aliases={alias: {"is_write_index": True}})
        return concrete
    return next(iter(current.body))
