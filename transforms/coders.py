"""The coders of newswire's own element types, in Beam's coder registry.

Beam picks a PCollection's coder from its type hint through `coders.registry`, its documented
way to give a type a coder; the registry is process-wide, so registering happens at import.
That needs no import order as long as the registration is imported with the type: the types
defined in transforms register beside their definition (`Document` in index/sink.py, `Sketch`
and `Link` in duplicates/near.py). `Article` lives in schemas, which do not depend on Beam, so
its coder is registered here, and the modules that declare Article steps (duplicates/near.py)
import it from here.

`ArticleCoder`: an Article as compact, key-sorted JSON, deterministic and portable (no pickle).

`FeedEntryCoder`: a FeedEntry as a compact JSON list, for the entries a batch holds whole
between polling and fetching (the in-process runner keeps each stage's input until the stage
is done). Pickled, an entry of the generated corpus took 498 bytes, most of them its class's
and fields' names; as a list without its trailing defaults, about 190. Decoded, the entries of
one feed share their feed's URL and title, and an id that is the link is the link.

`StateKey`, the key type of newswire's keyed state: a str, with a coder Beam can call
deterministic. Stateful DoFns need their keys encoded the same way every time. Left untyped,
keys get Beam's FastPrimitivesCoder, which is deterministic for a str but cannot say so (it
pickles what it does not know), so Beam warns "Key coder ... may not be deterministic" for
every stateful step. Typed `str` instead (StrUtf8Coder), the keys of keyed timers failed to
decode on Beam 2.77's multi-process FnApiRunner ("Unknown type tag", UnicodeDecodeError): it
reads them as FastPrimitivesCoder bytes. `StateKeyCoder` is FastPrimitivesCoder in its
deterministic mode: the same bytes for a str, and an error rather than a pickle for what it
cannot encode deterministically.
"""

from __future__ import annotations

import json
import sys
from dataclasses import fields
from datetime import datetime
from typing import Any

from apache_beam import coders

from newswire.schemas.article import Article
from newswire.transforms.beam_internals import StrictPrimitivesCoder
from newswire.transforms.records import FeedEntry


class ArticleCoder(coders.Coder):
    """Encodes an Article as compact, key-sorted JSON: deterministic, portable, no pickling."""

    def encode(self, value: Article) -> bytes:
        return json.dumps(value.to_dict(), separators=(",", ":"), sort_keys=True).encode()

    def decode(self, encoded: bytes) -> Article:
        return Article.from_dict(json.loads(encoded))

    def is_deterministic(self) -> bool:
        return True

    def to_type_hint(self) -> type:
        return Article


_ENTRY_FIELDS = tuple(fields(FeedEntry))
_ENTRY_DATES = frozenset({"published", "updated"})
_ENTRY_LISTS = frozenset({"authors", "tags"})
_ENTRY_SHARED = frozenset({"feed_url", "feed_title", "source"})


class FeedEntryCoder(coders.Coder):
    """Encodes a FeedEntry as a JSON list of its fields in order, without the trailing ones
    that hold their defaults; dates as ISO 8601, an id equal to the link as null."""

    def encode(self, value: FeedEntry) -> bytes:
        row: list[Any] = []
        for field in _ENTRY_FIELDS:
            item = getattr(value, field.name)
            if field.name == "entry_id" and item == value.link:
                item = None  # an id is a str, so null says "the link"
            elif field.name in _ENTRY_DATES and item is not None:
                item = item.isoformat()
            row.append(item)
        while row and row[-1] == _ENTRY_FIELDS[len(row) - 1].default:
            row.pop()
        return json.dumps(row, separators=(",", ":")).encode()

    def decode(self, encoded: bytes) -> FeedEntry:
        values: dict[str, Any] = {}
        for field, item in zip(_ENTRY_FIELDS, json.loads(encoded), strict=False):
            if field.name in _ENTRY_DATES and item is not None:
                item = datetime.fromisoformat(item)
            elif field.name in _ENTRY_LISTS:
                item = tuple(item)
            elif field.name in _ENTRY_SHARED:
                item = sys.intern(item)
            values[field.name] = item
        if values.get("entry_id", "") is None:
            values["entry_id"] = values["link"]
        return FeedEntry(**values)

    def is_deterministic(self) -> bool:
        return True

    def to_type_hint(self) -> type:
        return FeedEntry


class StateKey(str):
    """Type hint for the key of a stateful step; the keys themselves are plain str."""


class StateKeyCoder(StrictPrimitivesCoder):
    """A str as FastPrimitivesCoder encodes it, in the mode that refuses to pickle."""

    label = "a state key"

    def to_type_hint(self) -> type:
        return StateKey


coders.registry.register_coder(Article, ArticleCoder)
coders.registry.register_coder(FeedEntry, FeedEntryCoder)
coders.registry.register_coder(StateKey, StateKeyCoder)
