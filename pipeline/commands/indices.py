"""`newswire es status` and `newswire es migrate`: the pieces behind each alias, and moving them.

Each alias (articles, dead letters, history, crawl state) has its own mapping and, for
articles, sources to prepare again (the by_language copies that _source leaves out).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from typing import Any

from elasticsearch import Elasticsearch

from newswire.pipeline.options import sizing_of
from newswire.transforms.index.layout import (
    DEAD_LETTER_MAPPING,
    HISTORY_MAPPING,
    article_mapping_for,
    indexed_article,
    migrate,
)
from newswire.transforms.index.pieces import pieces

Prepare = Callable[[dict[str, Any]], dict[str, Any]]


def aliases(client: Elasticsearch, args: argparse.Namespace
            ) -> list[tuple[str, dict[str, Any], Prepare]]:
    """(alias, mapping, prepare) for the articles, dead letters, history and crawl state that
    `args` name."""
    from newswire.transforms.sources.settings import state_alias
    from newswire.transforms.sources.state import STATE_MAPPING

    return [(args.index, article_mapping_for(client), indexed_article),
            (args.dead_letter_index, DEAD_LETTER_MAPPING, dict),
            (args.history_index, HISTORY_MAPPING, dict),
            (state_alias(args.index, args.state_index), STATE_MAPPING, dict)]


def migrate_all(client: Elasticsearch, args: argparse.Namespace) -> None:
    """Move each existing alias into a new generation of pieces, sized as `args` say."""
    for alias, mapping, prepare in aliases(client, args):
        if pieces(client, alias) is None:
            print(f"{alias}: none yet")
            continue
        migrate(client, alias, mapping, prepare=prepare, sizing=sizing_of(args))


def status(client: Elasticsearch, names: list[str]) -> Iterator[str]:
    """Lines saying what is behind each alias: its pieces, with documents, size and shards."""
    for alias in names:
        behind = pieces(client, alias)
        if behind is None:
            yield f"{alias}: none yet"
            continue
        rows = {row["index"]: row for row in client.cat.indices(
            index=",".join(behind.names), format="json", bytes="b",
            h="index,docs.count,store.size,pri,rep")}
        docs = sum(int(rows[name]["docs.count"] or 0) for name in behind.names)
        size = sum(int(rows[name]["store.size"] or 0) for name in behind.names)
        yield (f"{alias}: {len(behind.names)} piece{'s' * (len(behind.names) > 1)}, "
               f"{docs:,} documents, {_megabytes(size)}"
               + ("" if behind.rolls_over else "; one index that does not roll over: run "
                  "`newswire es migrate`"))
        for name in behind.names:
            row = rows[name]
            yield (f"  {name:{max(map(len, behind.names))}}  {int(row['docs.count'] or 0):>12,} "
                   f"documents  {_megabytes(int(row['store.size'] or 0)):>10}  "
                   f"{row['pri']} shard(s), {row['rep']} replica(s)"
                   + ("  <- writes" if name == behind.write else ""))


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"
