"""Indexing throughput: our WriteToElasticsearch inside a Beam pipeline against
`elasticsearch.helpers.bulk`, on the same 20,000 articles, in one run on the local node.

Prints our throughput as a fraction of the baseline's. Target: at least 0.9. `--shards` sets
the primary shards of the index written to (newswire's default is 1); given several, each is
run side by side and its rates are also printed as a ratio of the first's (README's sizing).

    .venv/bin/python bench/index.py [--articles 20000] [--port 9260] [--shards 1 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import apache_beam as beam
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from elasticsearch import Elasticsearch, helpers

from newswire.pipeline.job.graph import article_document
from newswire.pipeline.services.elasticsearch import LocalNode
from newswire.schemas import seed
from newswire.schemas.article import Article
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import article_mapping_for, ensure_index
from newswire.transforms.index.pieces import pieces
from newswire.transforms.index.settings import Sizing
from newswire.transforms.index.sink import BulkSettings, Document, WriteToElasticsearch

TARGET = 0.9
CORPUS = Path(__file__).resolve().parent.parent / "seeds" / "corpus"


def corpus_articles() -> list[Article]:
    return [seed.parse(p.read_text()) for p in sorted(CORPUS.rglob("*.txt"))
            if p.name != "feeds.txt"]


def make_document(i: int, originals: list[Article]) -> Document:
    """Article `i`: a corpus article under its own URL. Both sides build documents this way,
    inside the timed region, as a pipeline's upstream stages would."""
    url = f"https://bench.example/{i}"
    return article_document(originals[i % len(originals)].replace(url=url, canonical_url=url))


def with_baseline(client: Elasticsearch, index: str, count: int, chunk: int) -> float:
    originals = corpus_articles()
    documents = (make_document(i, originals) for i in range(count))
    actions = ({"_index": index, "_id": d.id, "_source": d.source, "version": d.version,
                "version_type": "external"} for d in documents)
    started = time.perf_counter()
    helpers.bulk(client, actions, chunk_size=chunk, max_chunk_bytes=BulkSettings().max_bytes)
    return time.perf_counter() - started


def with_sink(connection: EsConnection, index: str, count: int, chunk: int) -> float:
    pipeline = beam.Pipeline(runner=FnApiRunner())
    # The articles are made inside the pipeline, fused with the sink, as an upstream stage's
    # output would be; beam.Create would first reshuffle 20,000 numbers, which is no sink's cost.
    _ = (pipeline
         | beam.Impulse()
         | beam.FlatMap(lambda _, n: range(n), count)
         | beam.Map(make_document, corpus_articles())
         | WriteToElasticsearch(connection, index, "bench", BulkSettings(max_docs=chunk)))
    started = time.perf_counter()
    pipeline.run().wait_until_finish()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--port", type=int, default=9260)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--shards", type=int, nargs="+", default=[Sizing().shards],
                        help="primary shards of the index; several: each, side by side")
    args = parser.parse_args()

    node = LocalNode(port=args.port, heap_mb=1024)
    node.start()
    connection = EsConnection(node.url)
    client = connection.client()
    runs = [(name, shards) for shards in args.shards
            for name in ("helpers.bulk", "WriteToElasticsearch")]
    timings: dict[tuple[str, int], list[float]] = {run: [] for run in runs}
    try:
        for round_ in range(2):  # alternate, so neither side always meets a warmer node
            for name, shards in (runs if round_ == 0 else reversed(runs)):
                index = f"bench-{name.lower().replace('.', '-')}-{shards}-{round_}"
                ensure_index(client, index, article_mapping_for(client),
                             Sizing(shards=shards).settings())
                if name == "helpers.bulk":
                    elapsed = with_baseline(client, index, args.articles, args.chunk)
                else:
                    elapsed = with_sink(connection, index, args.articles, args.chunk)
                client.indices.refresh(index=index)
                assert client.count(index=index)["count"] == args.articles, name
                timings[name, shards].append(elapsed)
                behind = pieces(client, index)
                assert behind is not None
                client.indices.delete(index=list(behind.names))
                client.indices.delete_index_template(name=index)
    finally:
        client.close()
        node.stop()
    rates = {run: args.articles / min(times) for run, times in timings.items()}
    first = args.shards[0]
    for (name, shards), rate in rates.items():
        print(f"{name:22} {shards} shard(s) {rate:8.0f} articles/s  (best of "
              f"{len(timings[name, shards])}: {min(timings[name, shards]):.2f} s)"
              + (f"  {rate / rates[name, first]:.2f} x {first} shard(s)"
                 if shards != first else ""))
    for shards in args.shards:
        ratio = rates["WriteToElasticsearch", shards] / rates["helpers.bulk", shards]
        print(f"ours / baseline, {shards} shard(s)  {ratio:.2f} (target >= {TARGET}): "
              f"{'ok' if ratio >= TARGET else 'UNDER'}")


if __name__ == "__main__":
    main()
