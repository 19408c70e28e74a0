"""The coders of newswire's own element types, in Beam's coder registry.

Beam picks a PCollection's coder from its type hint through `coders.registry`, its documented
way to give a type a coder; the registry is process-wide, so registering happens at import.
That needs no import order as long as the registration is imported with the type: the types
defined in transforms register beside their definition (`Document` in index/sink.py, `Sketch`
and `Link` in duplicates/near.py). `Article` lives in schemas, which do not depend on Beam, so
its coder is registered here, and the modules that declare Article steps (duplicates/near.py)
import it from here.

`ArticleCoder`: an Article as compact, key-sorted JSON, deterministic and portable (no pickle).

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

from apache_beam import coders

from newswire.schemas.article import Article
from newswire.transforms.beam_internals import StrictPrimitivesCoder


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


class StateKey(str):
    """Type hint for the key of a stateful step; the keys themselves are plain str."""


class StateKeyCoder(StrictPrimitivesCoder):
    """A str as FastPrimitivesCoder encodes it, in the mode that refuses to pickle."""

    label = "a state key"

    def to_type_hint(self) -> type:
        return StateKey


coders.registry.register_coder(Article, ArticleCoder)
coders.registry.register_coder(StateKey, StateKeyCoder)
