"""Index layout: a composable template, a versioned index, and the alias that names it.

Writers and readers use the alias (`newswire-articles`); the concrete index behind it is
`<alias>-v<N>`, so a mapping change is a reindex into v<N+1> and an alias swap.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from elasticsearch import (
    AuthorizationException,
    BadRequestError,
    Elasticsearch,
    NotFoundError,
    helpers,
)

from newswire.schemas.fields import ARTICLE_FIELDS, Field, Kind, leaves

MAPPING_VERSION = 1
_VERSIONED = re.compile(r"-v(\d+)$")
# The prose fields: stemmed with the English analyzer where the cluster has it.
PROSE_FIELDS = tuple(path for path, item in leaves(ARTICLE_FIELDS) if item.stemmed)


def _text_and_keyword() -> dict[str, Any]:
    return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 512}}}


_KEYWORD = {"type": "keyword", "ignore_above": 2048}
_DATE = {"type": "date"}
# How each kind of article field is indexed (see newswire.schemas.fields.Kind).
_MAPPED: dict[Kind, dict[str, Any]] = {
    Kind.KEYWORD: {"type": "keyword"},
    Kind.URL: _KEYWORD,
    Kind.NAME: _text_and_keyword(),
    Kind.TEXT: {"type": "text"},
    Kind.STORED: {"type": "text", "index": False},
    Kind.TIME: _DATE,
}


def _mapped(item: Field, english: bool) -> dict[str, Any]:
    if item.kind is Kind.OBJECT:
        return {"properties": {child.name: _mapped(child, english) for child in item.fields}}
    mapped = copy.deepcopy(_MAPPED[item.kind])
    if english and item.stemmed:
        mapped["analyzer"] = "english"
    return mapped


def article_mapping(english: bool) -> dict[str, Any]:
    """The article mapping from `ARTICLE_FIELDS`, with the English analyzer on prose fields
    when `english`. Strict: a field the table does not name is refused, as the schema does."""
    return {"dynamic": "strict",
            "properties": {item.name: _mapped(item, english) for item in ARTICLE_FIELDS}}


ARTICLE_MAPPING: dict[str, Any] = article_mapping(english=False)

DEAD_LETTER_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "stage": {"type": "keyword"},
        "reason": _text_and_keyword(),
        "unit": {"type": "keyword"},
        "url": _KEYWORD,
        "input": {"type": "text"},
        "at": _DATE,
        # One letter per failed input and stage (transforms/index/dead_letters.py): its identity,
        # how often it failed, and when first and last.
        "key": _KEYWORD,
        "attempts": {"type": "integer"},
        "first_seen": _DATE,
        "last_seen": _DATE,
    },
}

HISTORY_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "article_id": {"type": "keyword"},
        "url": _KEYWORD,
        "version": {"type": "long"},
        "fingerprint": {"type": "keyword"},
        "replaced_at": _DATE,
        "replaced_by": {"type": "keyword"},
        "title": {"type": "text"},
        "new_title": {"type": "text"},
        "title_diff": {"type": "text"},
        "body_diff": {"type": "text"},
    },
}

# One primary shard suits a news corpus of millions of articles; replicas follow the cluster.
_SETTINGS = {"number_of_shards": 1, "auto_expand_replicas": "0-1"}


def has_english_analyzer(client: Elasticsearch) -> bool:
    """Whether the cluster offers the built-in `english` analyzer (module analysis-common).

    A least-privilege API key may analyze only its own indices, not ask the cluster; then the
    node list answers instead (cluster privilege `monitor`).
    """
    try:
        client.indices.analyze(analyzer="english", text="probe")
    except BadRequestError:
        return False
    except AuthorizationException:
        nodes = client.nodes.info(metric="plugins")["nodes"].values()
        return all(any(module["name"] == "analysis-common" for module in node["modules"])
                   for node in nodes)
    return True


def article_mapping_for(client: Elasticsearch, say: Callable[[str], None] = print
                        ) -> dict[str, Any]:
    """The best article mapping this cluster supports, warning when English stemming is off."""
    english = has_english_analyzer(client)
    if not english:
        say("warning: this cluster has no 'english' analyzer (module analysis-common); "
            "prose fields use the standard analyzer, so 'strike' will not match 'strikes'")
    return article_mapping(english)


def ensure_index(client: Elasticsearch, alias: str, mapping: dict[str, Any]) -> str:
    """Create the template and the first versioned index behind `alias` if missing, or bring an
    existing index's mapping up to date where the change is additive (new fields).

    Returns the concrete index the alias writes to; a change that needs a reindex raises
    ValueError naming `newswire es migrate`. Safe when another run does the same at the same
    moment: the template is put whole, and an index the other run created first is taken.
    """
    _put_template(client, alias, mapping)
    concrete = current_index(client, alias)
    if concrete is None:
        concrete = f"{alias}-v{MAPPING_VERSION}"
        try:
            client.indices.create(index=concrete, aliases={alias: {"is_write_index": True}})
            return concrete
        except BadRequestError as error:
            if error.message != "resource_already_exists_exception":
                raise
        # Created (with the alias, in the same step) by another run since we looked.
        concrete = current_index(client, alias)
        if concrete is None:
            raise ValueError(f"{alias}-v{MAPPING_VERSION} exists but is not behind the alias "
                             f"{alias}; remove it or give another --index")
    try:
        client.indices.put_mapping(index=concrete, **mapping)
    except BadRequestError as error:
        raise ValueError(f"the mapping of {concrete} cannot take this version's fields "
                         f"({error.message}); run `newswire es migrate --index {alias}`") from None
    return concrete


def current_index(client: Elasticsearch, alias: str) -> str | None:
    """The concrete index `alias` writes to, or None if the alias does not exist."""
    try:
        indices = client.indices.get_alias(name=alias).body
    except NotFoundError:
        return None
    writers = [name for name, spec in indices.items()
               if spec["aliases"][alias].get("is_write_index", len(indices) == 1)]
    return writers[0] if writers else next(iter(indices))


def migrate(client: Elasticsearch, alias: str, mapping: dict[str, Any],
            say: Callable[[str], None] = print, keep_old: bool = False) -> str:
    """Copy `alias` into the next versioned index under `mapping`, then swap the alias.

    Documents stream through the client (scroll + bulk), so it works on clusters without the
    reindex module. Versions are kept (external): a write that lands in the new index during
    the copy is never replaced by an older copy. The swap is one atomic alias update.
    """
    source = current_index(client, alias)
    if source is None:
        return ensure_index(client, alias, mapping)
    match = _VERSIONED.search(source)
    target = f"{alias}-v{int(match[1]) + 1 if match else 1}"
    _put_template(client, alias, mapping)
    client.indices.create(index=target)
    copies = ({"_index": target, "_id": hit["_id"], "_source": hit["_source"],
               "version": hit["_version"], "version_type": "external"}
              for hit in helpers.scan(client, index=source, version=True))
    copied, errors = helpers.bulk(client, copies, raise_on_error=False)
    failures = [e for e in errors if e.get("index", {}).get("status") != 409]
    if failures:
        raise RuntimeError(f"copying {source} -> {target} failed: {failures[:3]}")
    client.indices.refresh(index=target)
    client.indices.update_aliases(actions=[
        {"remove": {"index": source, "alias": alias}},
        {"add": {"index": target, "alias": alias, "is_write_index": True}},
    ])
    say(f"{alias}: {source} -> {target}, {copied} documents copied")
    if not keep_old:
        client.indices.delete(index=source)
    return target


def _put_template(client: Elasticsearch, alias: str, mapping: dict[str, Any]) -> None:
    client.indices.put_index_template(
        name=alias,
        index_patterns=[f"{alias}-v*"],
        template={"settings": _SETTINGS, "mappings": mapping},
        priority=200,
        meta={"managed_by": "newswire", "mapping_version": MAPPING_VERSION},
    )
