"""Index layout: a composable template, the alias, and the pieces of index behind it.

Writers and readers use the alias (`newswire-articles`); behind it are pieces
`<alias>-v<N>-<000001...>` (see `pieces`): a rollover adds the next piece, a mapping change is a
copy into generation v<N+1> and an alias swap (`migrate`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from newswire.schemas.fields import ARTICLE_FIELDS, Field, Kind, leaves
from newswire.transforms.index.pieces import PIECE, first_piece, pieces, put_policy, roll_over
from newswire.transforms.index.settings import Sizing

if TYPE_CHECKING:  # imported where called: `newswire search` reads the field names without it
    from elasticsearch import Elasticsearch

MAPPING_VERSION = 1
_VERSIONED = re.compile(r"-v(\d+)$")
# The prose fields: stemmed in the article's language where the cluster has the analyzers.
PROSE_FIELDS = tuple(path for path, item in leaves(ARTICLE_FIELDS) if item.stemmed)
# Elasticsearch's analyzer (module analysis-common, or newswire's plugin on the managed node)
# for each language an article may declare that Lucene stems.
LANGUAGE_ANALYZERS: dict[str, str] = {
    "ar": "arabic", "bg": "bulgarian", "bn": "bengali", "ca": "catalan", "ckb": "sorani",
    "cs": "czech", "da": "danish", "de": "german", "el": "greek", "en": "english",
    "es": "spanish", "et": "estonian", "eu": "basque", "fa": "persian", "fi": "finnish",
    "fr": "french", "ga": "irish", "gl": "galician", "hi": "hindi", "hu": "hungarian",
    "hy": "armenian", "id": "indonesian", "it": "italian", "ja": "cjk", "ko": "cjk",
    "lt": "lithuanian", "lv": "latvian", "nb": "norwegian", "nl": "dutch", "nn": "norwegian",
    "no": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
    "sv": "swedish", "th": "thai", "tr": "turkish", "zh": "cjk",
}
# The prose of an article in another language than English is indexed once more under
# by_language.<analyzer>, stemmed in its language (the prose fields themselves stem English).
# It is left out of _source, which stays the article as the schema has it.
BY_LANGUAGE = "by_language"
_OTHER_ANALYZERS = sorted(set(LANGUAGE_ANALYZERS.values()) - {"english"})


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


def _prose_in(analyzer: str) -> dict[str, Any]:
    """The prose fields, as objects nest them, each analyzed by `analyzer`."""
    mapping: dict[str, Any] = {"properties": {}}
    for path in PROSE_FIELDS:
        *parents, name = path.split(".")
        node = mapping
        for parent in parents:
            node = node["properties"].setdefault(parent, {"properties": {}})
        node["properties"][name] = {"type": "text", "analyzer": analyzer}
    return mapping


def article_mapping(english: bool) -> dict[str, Any]:
    """The article mapping from `ARTICLE_FIELDS`. With `english` (the cluster has the language
    analyzers), prose fields stem English and `by_language` holds each other language's stemmed
    prose; without, prose uses the standard analyzer and `by_language` is kept but not indexed.
    Strict: a field the table does not name is refused, as the schema does."""
    languages = ({"properties": {name: _prose_in(name) for name in _OTHER_ANALYZERS}}
                 if english else {"type": "object", "enabled": False})
    return {"dynamic": "strict", "_source": {"excludes": [BY_LANGUAGE]},
            "properties": {**{item.name: _mapped(item, english) for item in ARTICLE_FIELDS},
                           BY_LANGUAGE: languages}}


def indexed_article(article: dict[str, Any]) -> dict[str, Any]:
    """The article as indexed: with its prose under by_language.<analyzer> when it declares a
    language other than English that Lucene stems."""
    analyzer = LANGUAGE_ANALYZERS.get(article.get("language") or "", "english")
    if analyzer == "english":
        return article
    prose: dict[str, Any] = {}
    for path in PROSE_FIELDS:
        *parents, name = path.split(".")
        source: Any = article
        for parent in parents:
            source = source.get(parent) or {}
        if source.get(name):
            target = prose
            for parent in parents:
                target = target.setdefault(parent, {})
            target[name] = source[name]
    return {**article, BY_LANGUAGE: {analyzer: prose}}


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
        "lasting": {"type": "boolean"},  # it would fail the same way again (a 404, a PDF)
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

def has_english_analyzer(client: Elasticsearch) -> bool:
    """Whether the cluster offers the `english` analyzer, and with it the other languages'
    (module analysis-common, or newswire's plugin on the managed node).

    A least-privilege API key may analyze only its own indices, not ask the cluster; then the
    node list answers instead (cluster privilege `monitor`).
    """
    from elasticsearch import AuthorizationException, BadRequestError

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
    """The best article mapping this cluster supports, warning when stemming is off."""
    english = has_english_analyzer(client)
    if not english:
        say("warning: this cluster has no 'english' analyzer (module analysis-common); "
            "prose fields use the standard analyzer, so 'strike' will not match 'strikes'")
    return article_mapping(english)


def ensure_index(client: Elasticsearch, alias: str, mapping: dict[str, Any],
                 settings: dict[str, Any] | None = None) -> str:
    """Create the template (index `settings`, default `Sizing().settings()`) and the first piece
    behind `alias` if missing, or bring the existing pieces' mapping up to date where the
    change is additive (new fields).

    Returns the concrete index the alias writes to; a change that needs a reindex raises
    ValueError naming `newswire es migrate`. Safe when another run does the same at the same
    moment: the template is put whole, and an index the other run created first is taken.
    """
    from elasticsearch import BadRequestError

    _put_template(client, alias, mapping, Sizing().settings() if settings is None else settings)
    concrete = current_index(client, alias)
    if concrete is None:
        first = first_piece(alias, MAPPING_VERSION)
        try:
            client.indices.create(index=first, aliases={alias: {"is_write_index": True}})
            return first
        except BadRequestError as error:
            if error.message != "resource_already_exists_exception":
                raise
        # Created (with the alias, in the same step) by another run since we looked.
        concrete = current_index(client, alias)
        if concrete is None:
            raise ValueError(f"{first} exists but is not behind the alias {alias}; remove it "
                             "or give another --index")
    try:  # every piece: an update is written to the piece its article lives in
        client.indices.put_mapping(index=alias, **mapping)
    except BadRequestError as error:
        raise ValueError(f"the mapping of {concrete} cannot take this version's fields "
                         f"({error.message}); run `newswire es migrate --index {alias}`") from None
    return concrete


def ensure_alias(client: Elasticsearch, alias: str, mapping: dict[str, Any], sizing: Sizing,
                 lifecycle: bool, say: Callable[[str], None] = print) -> None:
    """At job start: `ensure_index` with `sizing`, under an ILM policy where the cluster has
    `lifecycle`, else rolled over now if the write piece is full (the sinks check again)."""
    settings = {**sizing.settings(),
                **(put_policy(client, alias, sizing) if lifecycle else {})}
    ensure_index(client, alias, mapping, settings)
    behind = pieces(client, alias)
    if behind is not None and not behind.rolls_over:
        say(f"warning: {alias} is one index ({behind.write}) that does not roll over; "
            f"`newswire es migrate` moves it into pieces")
    elif not lifecycle:
        roll_over(client, alias, sizing)


def current_index(client: Elasticsearch, alias: str) -> str | None:
    """The concrete index `alias` writes to, or None if the alias does not exist."""
    behind = pieces(client, alias)
    return behind.write if behind else None


def migrate(client: Elasticsearch, alias: str, mapping: dict[str, Any],
            say: Callable[[str], None] = print, keep_old: bool = False,
            prepare: Callable[[dict[str, Any]], dict[str, Any]] = dict,
            sizing: Sizing | None = None, chunk: int = 500) -> str:
    """Copy every piece behind `alias` (or an older layout's single index) into the next
    generation of pieces under `mapping` and `sizing`, then swap the alias; returns the new
    write piece.

    Each stored source is indexed as `prepare` makes it (`indexed_article` for articles, whose
    by_language fields _source leaves out). Documents stream through the client (scroll and
    bulk), so it works on clusters without the reindex module, into a staging alias that is
    rolled over as the pieces fill; versions are kept (external). The swap is one atomic alias
    update. Stop the job first: writes during the copy would stay behind in the old pieces.
    """
    from elasticsearch import helpers

    sizing = sizing or Sizing()
    source = pieces(client, alias)
    if source is None:
        return ensure_index(client, alias, mapping, sizing.settings())
    match = PIECE.search(source.write) or _VERSIONED.search(source.write)
    generation = int(match[1]) + 1 if match else 1
    staging = f"{alias}-migrating"
    _put_template(client, alias, mapping, sizing.settings())
    client.indices.create(index=first_piece(alias, generation),
                          aliases={staging: {"is_write_index": True}})
    copies = ({"_index": staging, "_id": hit["_id"], "_source": prepare(hit["_source"]),
               "version": hit["_version"], "version_type": "external"}
              for hit in helpers.scan(client, index=alias, version=True))
    copied, failures = 0, []
    for done, item in helpers.streaming_bulk(client, copies, chunk_size=chunk,
                                             raise_on_error=False):
        copied += done
        if not done and item["index"].get("status") != 409:  # 409: a newer copy is there
            failures.append(item)
        if copied % chunk == 0:
            client.indices.refresh(index=staging)  # rollover counts refreshed documents
            roll_over(client, staging, sizing)
    if failures:
        raise RuntimeError(f"copying {alias} into generation v{generation} failed: "
                           f"{failures[:3]}")
    client.indices.refresh(index=staging)
    target = pieces(client, staging)
    assert target is not None
    client.indices.update_aliases(actions=[
        *({"remove": {"index": name, "alias": alias}} for name in source.names),
        *({"add": {"index": name, "alias": alias, "is_write_index": name == target.write}}
          for name in target.names),
        {"remove": {"indices": list(target.names), "alias": staging}},
    ])
    say(f"{alias}: {', '.join(source.names)} -> {', '.join(target.names)}, "
        f"{copied} documents copied")
    if not keep_old:
        client.indices.delete(index=list(source.names))
    return target.write


def _put_template(client: Elasticsearch, alias: str, mapping: dict[str, Any],
                  settings: dict[str, Any]) -> None:
    client.indices.put_index_template(
        name=alias,
        index_patterns=[f"{alias}-v*"],
        template={"settings": settings, "mappings": mapping},
        priority=200,
        meta={"managed_by": "newswire", "mapping_version": MAPPING_VERSION},
    )
