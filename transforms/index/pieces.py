"""An alias's index in bounded pieces, rolled over by size and document count.

    <alias> ── searches, counts ──► <alias>-v1-000001, <alias>-v1-000002, ... (every piece)
            ── a new document ────► the newest piece (the alias's write index)
    an update ────────────────────► the piece its document already lives in (`lookup`)

Where the cluster has index lifecycle management (ILM, x-pack) a policy rolls the alias over;
elsewhere (the integration-test distribution has none) newswire does, with Elasticsearch's
rollover API and the same conditions: at job start, and from each sink at most once a minute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from newswire.transforms.index.settings import Sizing

if TYPE_CHECKING:  # imported where called: `es status` reads the pieces without the client
    from elasticsearch import Elasticsearch

# <alias>-v<generation>-<piece>: a migration starts a generation, a rollover the next piece.
PIECE = re.compile(r"-v(\d+)-(\d{6})$")


def first_piece(alias: str, generation: int) -> str:
    return f"{alias}-v{generation}-000001"


@dataclass(frozen=True)
class Pieces:
    """The indices behind an alias, oldest first, and the one it writes to."""

    names: tuple[str, ...]
    write: str

    @property
    def rolls_over(self) -> bool:
        """Whether the write index is a piece; an older layout's single `<alias>-v<N>` is not,
        and needs `newswire es migrate`."""
        return PIECE.search(self.write) is not None


def pieces(client: Elasticsearch, alias: str) -> Pieces | None:
    """The pieces behind `alias`, or None if there is no such alias."""
    from elasticsearch import NotFoundError

    try:
        return pieces_of(client.indices.get_alias(name=alias).body, alias)
    except NotFoundError:
        return None


def pieces_of(indices: dict[str, Any], alias: str) -> Pieces:
    """The pieces in an answer to "which indices are behind `alias`" (GET _alias)."""
    names = tuple(sorted(indices))
    writers = [name for name in names
               if indices[name]["aliases"][alias].get("is_write_index", len(names) == 1)]
    return Pieces(names, writers[-1] if writers else names[-1])


def has_lifecycle(client: Elasticsearch) -> bool:
    """Whether the cluster runs index lifecycle management and lets us use it."""
    from elasticsearch import ApiError

    try:
        return client.ilm.get_status()["operation_mode"] == "RUNNING"
    except ApiError:  # no such endpoint (400), or a key without the privilege (403)
        return False


def put_policy(client: Elasticsearch, alias: str, sizing: Sizing) -> dict[str, Any]:
    """An ILM policy named `alias` that rolls it over; returns the settings that attach it."""
    client.ilm.put_lifecycle(name=alias, policy={
        "phases": {"hot": {"actions": {"rollover": sizing.conditions()}}},
        "_meta": {"managed_by": "newswire"}})
    return {"index.lifecycle.name": alias, "index.lifecycle.rollover_alias": alias}


def roll_over(client: Elasticsearch, alias: str, sizing: Sizing) -> str | None:
    """Roll `alias` over if its write piece has passed a condition; the new piece, or None
    (also for an older layout's single index, which cannot roll over).

    The write piece is refreshed first, as the document count counts refreshed documents
    only, and the old piece again after, so `lookup` finds its last documents there. Two
    writers may check together: the second one's new piece exists already, and it lets be.
    """
    from elasticsearch import BadRequestError

    behind = pieces(client, alias)
    if behind is None or not behind.rolls_over:
        return None
    client.indices.refresh(index=behind.write)
    try:
        answer = client.indices.rollover(alias=alias, conditions=sizing.conditions())
    except BadRequestError as error:
        if error.error == "resource_already_exists_exception":
            return None
        raise
    if not answer["rolled_over"]:
        return None
    client.indices.refresh(index=answer["old_index"])
    return str(answer["new_index"])


def lookup(client: Elasticsearch, alias: str, ids: list[str], **fields: Any
           ) -> list[dict[str, Any]]:
    """The stored documents of `ids` wherever they live behind `alias`, as mget answers them
    (`found`, `_index`, `_version`, `_source`), in the order of `ids`.

    The write piece is read in real time (mget); ids it lacks are searched for in the others,
    which take no new documents and were refreshed when they were rolled over. `fields` are
    mget's and search's (`source_includes`, `source`).
    """
    behind = pieces(client, alias)
    if behind is None or len(behind.names) == 1:
        return list(client.mget(index=alias, ids=ids, **fields)["docs"])
    docs = list(client.mget(index=behind.write, ids=ids, **fields)["docs"])
    missing = [doc["_id"] for doc in docs if not doc.get("found")]
    if not missing:
        return docs
    hits = client.search(index=alias, query={"ids": {"values": missing}}, version=True,
                         size=2 * len(missing), **fields)["hits"]["hits"]
    latest: dict[str, dict[str, Any]] = {}
    for hit in hits:  # a copy in two pieces (a race of writers) is read where it is newest
        if hit["_id"] not in latest or hit["_version"] > latest[hit["_id"]]["_version"]:
            latest[hit["_id"]] = {**hit, "found": True}
    return [latest.get(doc["_id"], doc) for doc in docs]
