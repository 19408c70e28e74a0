"""The script a user would write instead of newswire: sequential, no politeness, no dedup state.

    python bench/script_baseline.py FEED_LIST_URL ES_URL INDEX

Reads a plain-text feed list, parses each feed with feedparser, fetches every entry's page with
urllib, extracts it with trafilatura (with metadata) and bulk-indexes the results.
bench/e2e.py runs it side by side with `newswire run` as the baseline.
"""

import sys
import urllib.request

import feedparser
import trafilatura
from elasticsearch import Elasticsearch, helpers


def articles(feed_list_url: str):
    with urllib.request.urlopen(feed_list_url, timeout=30) as response:
        feeds = [line.strip() for line in response.read().decode().splitlines()
                 if line.strip() and not line.startswith("#")]
    for feed_url in feeds:
        for entry in feedparser.parse(feed_url).entries:
            try:
                with urllib.request.urlopen(entry.link, timeout=30) as response:
                    html = response.read().decode("utf-8", errors="replace")
            except OSError as error:
                print(f"skipped {entry.link}: {error}", file=sys.stderr)
                continue
            doc = trafilatura.bare_extraction(html, url=entry.link, with_metadata=True)
            if doc is None or not doc.text:
                continue
            yield {"_index": INDEX, "_id": entry.link, "_source": {
                "url": entry.link, "title": doc.title, "author": doc.author, "date": doc.date,
                "sitename": doc.sitename, "text": doc.text}}


if __name__ == "__main__":
    feed_list, es_url, INDEX = sys.argv[1:4]
    client = Elasticsearch(es_url, request_timeout=60)
    indexed, _ = helpers.bulk(client, articles(feed_list), raise_on_error=False)
    print(f"indexed {indexed}")
