"""The article document's fields, described once.

The JSON Schema (`newswire.schemas.validation`) and the Elasticsearch mapping
(`newswire.transforms.index.layout`) are both generated from `ARTICLE_FIELDS`, so a record that
passes validation has a place in the index. `Article.to_dict` writes exactly these fields, in
this order; tests/transforms/test_records.py holds the model, the schema and the mapping to that.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """What a field holds, which decides how it is validated and how it is searched."""

    KEYWORD = "keyword"  # an id, code or label: matched exactly, aggregated
    URL = "url"  # a URL: matched exactly, however long
    NAME = "name"  # a name or headline: searched as text, and matched exactly for facets
    TEXT = "text"  # prose: searched as text
    STORED = "stored"  # kept in the record, not searched (the markdown body; `text` is searched)
    TIME = "time"  # a UTC timestamp, `YYYY-MM-DDTHH:MM:SS[.fff]Z`
    OBJECT = "object"  # a group of fields, which allows no others


@dataclass(frozen=True)
class Field:
    """One field of the document; `fields` are an OBJECT's own."""

    name: str
    kind: Kind
    required: bool = False  # the key is always present
    nullable: bool = False  # null is a value
    many: bool = False  # a list of values
    non_empty: bool = False  # each string has at least one character
    pattern: str = ""  # each string matches this regular expression
    stemmed: bool = False  # prose: stemmed in the article's language where the cluster can
    fields: tuple[Field, ...] = ()


URL_PATTERN = r"^https?://[^\s]+$"
# Which source gave a field, for each field extraction chooses among sources (see README).
PROVENANCE_KEYS = ("title", "outlet", "published_at", "updated_at", "image", "caption", "credit",
                   "language", "authors", "body", "summary")


def _names(name: str) -> Field:
    return Field(name, Kind.NAME, many=True, non_empty=True)


def _url(name: str) -> Field:
    return Field(name, Kind.URL, required=True, pattern=URL_PATTERN)


def _time(name: str, required: bool = False) -> Field:
    return Field(name, Kind.TIME, required=required, nullable=True)


ARTICLE_FIELDS: tuple[Field, ...] = (
    Field("id", Kind.KEYWORD, required=True, pattern=r"^[0-9a-f]{20}$"),
    _url("url"),
    _url("canonical_url"),
    Field("title", Kind.NAME, required=True, non_empty=True, stemmed=True),
    Field("outlet", Kind.NAME, required=True, non_empty=True),
    _time("published_at", required=True),
    _time("updated_at"),
    _names("authors"),
    Field("image", Kind.OBJECT, nullable=True, fields=(
        _url("url"),
        Field("alt", Kind.TEXT, stemmed=True),
        Field("caption", Kind.TEXT, stemmed=True),
        Field("credit", Kind.NAME),
    )),
    Field("credits", Kind.OBJECT, nullable=True, fields=(
        Field("raw", Kind.TEXT, required=True, non_empty=True, stemmed=True),
        *map(_names, ("reporting", "additional_reporting", "writing", "editing")),
    )),
    Field("body", Kind.STORED, required=True, non_empty=True),
    Field("text", Kind.TEXT, stemmed=True),
    Field("summary", Kind.TEXT, stemmed=True),
    Field("language", Kind.KEYWORD, pattern=r"^([a-z]{2,3})?$"),
    Field("tags", Kind.KEYWORD, many=True),
    Field("source_feed", Kind.URL),
    _time("fetched_at"),
    Field("fingerprint", Kind.KEYWORD, pattern=r"^[0-9a-f]{32}$"),
    Field("provenance", Kind.OBJECT,
          fields=tuple(Field(key, Kind.KEYWORD) for key in PROVENANCE_KEYS)),
    Field("cluster_id", Kind.KEYWORD, nullable=True),
    Field("duplicate_of", Kind.KEYWORD, nullable=True),
    # The near-duplicate memory across runs (transforms/duplicates/memory.py): the article's LSH
    # band keys, looked up by later articles, and its compact MinHash signature (hex) that
    # confirms a candidate.
    Field("lsh_bands", Kind.KEYWORD, many=True),
    Field("minhash", Kind.STORED, nullable=True, pattern=r"^[0-9a-f]*$"),
)


def leaves(fields: Iterable[Field] = ARTICLE_FIELDS, prefix: str = ""
           ) -> Iterator[tuple[str, Field]]:
    """(dotted path, field) for every field that holds values, objects walked into."""
    for item in fields:
        path = prefix + item.name
        if item.kind is Kind.OBJECT:
            yield from leaves(item.fields, path + ".")
        else:
            yield path, item
