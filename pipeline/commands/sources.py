"""`newswire sources [URL]`: what the crawl state says of each source, or of one source's
entries; it answers "why is this feed not updating?" (its last outcome and error, when it is
due next, its failures in a row, which of its entries wait for their article, and which of
those failed at their last try, why, and when they are tried next)."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import Any

from newswire.pipeline.options import add_flags
from newswire.transforms.index.client import EsConnection, check_index_name
from newswire.transforms.index.reader import Reader, reading
from newswire.transforms.sources.settings import source_id, state_alias


def arguments(command: argparse.ArgumentParser) -> None:
    """`newswire sources [URL] [--limit N]`."""
    command.description = ("Each source's last poll, its outcome, when it is due next, its "
                           "failures in a row, and its entries (all recorded, those not yet "
                           "fetched, and those whose page failed at the last try); with a URL, "
                           "that source's details and its most recently listed entries, with "
                           "when each failed page is tried next.")
    command.add_argument("url", nargs="?", help="one source's URL")
    add_flags(command, "es_url", "index")
    add_flags(command, "state_index",
              help="the crawl state's alias (default: the articles alias + -state)")
    command.add_argument("--limit", type=int, default=20, help="entries shown for one source")
    command.set_defaults(handler=_show)


def _show(args: argparse.Namespace, _: list[str]) -> int:
    if args.limit < 1:
        raise ValueError("--limit must be at least 1")
    alias = check_index_name(state_alias(args.index, args.state_index))
    connection = EsConnection(args.es_url)
    with reading(connection) as reader:
        if not reader.exists_alias(alias):
            raise ValueError(f"no crawl state at {connection.address}/{alias}: no run has "
                             "written one yet")
        if args.url:
            print(_one_source(reader, alias, args.url, args.limit))
        else:
            print(_all_sources(reader, alias))
    return 0


def _all_sources(reader: Reader, alias: str) -> str:
    sources = [hit["_source"] for hit in reader.search(alias, {
        "query": {"term": {"kind": "source"}}, "size": 10_000,
        "sort": [{"source": "asc"}]})["hits"]["hits"]]
    counts = reader.search(alias, {"size": 0, "query": {"term": {"kind": "entry"}}, "aggs": {
        "by_source": {"terms": {"field": "source", "size": 10_000}, "aggs": {
            "waiting": {"missing": {"field": "fetched_at"}},
            "failed": {"filter": {"exists": {"field": "failed_at"}}}}}}})
    entries = {bucket["key"]: (bucket["doc_count"], bucket["waiting"]["doc_count"],
                               bucket["failed"]["doc_count"])
               for bucket in counts["aggregations"]["by_source"]["buckets"]}
    rows = [("LAST POLL", "OUTCOME", "NEXT DUE", "FAILS", "ENTRIES", "WAITING", "FAILED",
             "SOURCE")]
    for source in sources:
        recorded, waiting, failed = entries.get(source["source"], (0, 0, 0))
        rows.append((_when(source.get("last_poll")), source.get("outcome") or "-",
                     _when(source.get("next_poll")), str(source.get("failures") or 0),
                     str(recorded), str(waiting), str(failed), source["source"]))
    return _table(rows) + f"\n{len(sources)} sources"


def _one_source(reader: Reader, alias: str, url: str, limit: int) -> str:
    """The source's record, and its most recently listed entries' records, newest first."""
    found = reader.mget(alias, [source_id(url)])[0]
    if not found.get("found"):
        raise ValueError(f"no source {url} in the crawl state")
    remembered = found["_source"]
    lines = [f"source        {url} ({remembered.get('source_type') or 'feed'})",
             f"last poll     {_when(remembered.get('last_poll'))}: "
             f"{remembered.get('outcome') or '-'}"
             + (f" ({remembered['error']})" if remembered.get("error") else ""),
             f"next due      {_when(remembered.get('next_poll'))}, interval "
             f"{remembered.get('interval') or 0:.0f} s, {remembered.get('failures') or 0} "
             "failures in a row",
             f"validators    ETag {remembered.get('etag') or '-'}, Last-Modified "
             f"{remembered.get('last_modified') or '-'}",
             f"entries       {remembered.get('entries', 0)} in its last full answer", ""]
    rows = [("FIRST SEEN", "LAST SEEN", "FETCHED", "ARTICLE", "LAST TRY FAILED", "NEXT TRY",
             "LINK")]
    entries = reader.search(alias, {
        "query": {"bool": {"filter": [{"term": {"kind": "entry"}}, {"term": {"source": url}}]}},
        "size": limit, "sort": [{"last_seen": "desc"}, {"first_seen": "desc"}]},
        _source_excludes="entry")["hits"]["hits"]
    for entry in (hit["_source"] for hit in entries):
        rows.append((_when(entry.get("first_seen")), _when(entry.get("last_seen")),
                     _when(entry.get("fetched_at"), "not yet"), entry.get("article_id") or "-",
                     _failure(entry), _when(entry.get("retry_due")), entry.get("link") or "-"))
    return "\n".join(lines) + _table(rows)


def _failure(entry: dict[str, Any]) -> str:
    """When an entry's page last failed, how many times in a row, and why; "-" if its last
    try did not fail."""
    if entry.get("failed_at") is None:
        return "-"
    return (f"{_when(entry['failed_at'])} ({entry.get('failures') or 1}x: "
            f"{(entry.get('error') or '')[:40]})")


def _when(seconds: Any, missing: str = "-") -> str:
    if seconds is None:
        return missing
    return datetime.fromtimestamp(float(seconds), timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def _table(rows: list[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell; the last (a URL) left as it is."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    widths[-1] = 0
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                                ).rstrip() for row in rows)
