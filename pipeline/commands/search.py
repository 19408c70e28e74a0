"""`newswire search`: the query people run, and the three ways to print its hits."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newswire.pipeline.commands import moment
from newswire.pipeline.options import add_flags
from newswire.schemas import seed
from newswire.schemas.article import Article
from newswire.transforms.index.client import EsConnection, check_index_name
from newswire.transforms.index.layout import BY_LANGUAGE, PROSE_FIELDS
from newswire.transforms.index.reader import reading

_BOOSTED = ["title^3", "summary^2", "text", "authors", "credits.raw", "outlet"]
# Each prose field also in every other language's stemmed copy (by_language.<analyzer>.<path>).
_TEXT_FIELDS = [*_BOOSTED, *(f"{BY_LANGUAGE}.*.{field}" for field in _BOOSTED
                             if field.split("^")[0] in PROSE_FIELDS)]
MAX_LIMIT = 10_000  # Elasticsearch's index.max_result_window
_CREDIT_FIELDS = ["credits.reporting", "credits.additional_reporting", "credits.writing",
                  "credits.editing"]


def arguments(parser: argparse.ArgumentParser) -> None:
    """`newswire search [QUERY] [filters]`."""
    parser.add_argument("query", nargs="?", default="")
    parser.add_argument("--outlet", help="exact outlet name")
    parser.add_argument("--author", help="exact byline name")
    parser.add_argument("--credit", help="a name in the credits line (reporter, editor, ...)")
    parser.add_argument("--since", type=moment, help="YYYY-MM-DD or an ISO timestamp")
    parser.add_argument("--until", type=moment, help="YYYY-MM-DD or an ISO timestamp")
    parser.add_argument("--language", help="ISO 639-1 code, e.g. en")
    parser.add_argument("--has-image", action="store_true", help="only articles with a picture")
    parser.add_argument("--cluster", help="every copy of one story: its cluster id")
    parser.add_argument("--sort", choices=("relevance", "date"), default="relevance")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--format", choices=("seed", "json", "table"), default="seed")
    add_flags(parser, "es_url", "index")
    parser.set_defaults(handler=_search)


def _search(args: argparse.Namespace, _: list[str]) -> int:
    check_index_name(args.index)
    request = Search(
        text=args.query, outlet=args.outlet, author=args.author, credit=args.credit,
        since=args.since, until=args.until, language=args.language, has_image=args.has_image,
        cluster=args.cluster, sort=args.sort, limit=args.limit)
    with reading(EsConnection(args.es_url)) as reader:
        response = reader.search(args.index, request.body())
    hits = response["hits"]["hits"]
    print(render(hits, args.format))
    print(f"\n({len(hits)} of {response['hits']['total']['value']} hits)", file=sys.stderr)
    return 0


@dataclass(frozen=True)
class Search:
    """What a user asked for; every field but `text` is an exact filter."""

    text: str = ""
    outlet: str | None = None
    author: str | None = None
    credit: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    language: str | None = None
    has_image: bool = False
    cluster: str | None = None
    sort: str = "relevance"
    limit: int = 10

    def body(self) -> dict[str, Any]:
        """The search request body: query, sort, size and highlighted snippets."""
        if not 0 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"--limit must be between 0 and {MAX_LIMIT}, not {self.limit}")
        must: list[dict[str, Any]] = []
        if self.text:
            must.append({"multi_match": {"query": self.text, "fields": _TEXT_FIELDS}})
        if self.credit:
            must.append({"multi_match": {"query": self.credit, "fields": _CREDIT_FIELDS,
                                         "type": "phrase"}})
        filters: list[dict[str, Any]] = []
        for field, value in (("outlet.keyword", self.outlet), ("authors.keyword", self.author),
                             ("language", self.language), ("cluster_id", self.cluster)):
            if value:
                filters.append({"term": {field: value}})
        if self.since or self.until:
            bounds = {"gte": self.since, "lte": self.until}
            filters.append({"range": {"published_at": {
                op: moment.isoformat() for op, moment in bounds.items() if moment}}})
        if self.has_image:
            filters.append({"exists": {"field": "image.url"}})
        by_date = [{"published_at": {"order": "desc", "missing": "_last"}}]
        return {
            "query": {"bool": {"must": must or [{"match_all": {}}], "filter": filters}},
            "sort": by_date if self.sort == "date" or not must else ["_score", *by_date],
            "size": self.limit,
            "highlight": {"fields": {"text": {}, "title": {"number_of_fragments": 0}},
                          "fragment_size": 160, "number_of_fragments": 1,
                          "pre_tags": ["**"], "post_tags": ["**"]},
        }


def snippet(hit: dict[str, Any]) -> str:
    """The highlighted fragment of the body, else the start of the summary or text."""
    fragments = hit.get("highlight", {}).get("text")
    if fragments:
        return fragments[0]
    source = hit["_source"]
    return (source.get("summary") or source.get("text") or "")[:160]


def render(hits: list[dict[str, Any]], output: str) -> str:
    """Hits as seed documents, a JSON array (with snippets) or a table."""
    if output == "json":
        docs = [{**hit["_source"], "score": hit.get("_score"), "snippet": snippet(hit)}
                for hit in hits]
        return json.dumps(docs, indent=2, ensure_ascii=False)
    if output == "table":
        rows = [(h["_source"]["published_at"][:16].replace("T", " "), h["_source"]["outlet"],
                 h["_source"]["title"], snippet(h)) for h in hits]
        return "\n".join(f"{when}  {outlet[:20]:20}  {title}\n{'':18}  {text}"
                         for when, outlet, title, text in rows)
    return "\n\n---\n\n".join(seed.render(Article.from_dict(h["_source"])) for h in hits)
