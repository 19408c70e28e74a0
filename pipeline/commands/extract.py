"""`newswire extract SOURCE`: one page's article record, from a URL or an HTML file."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from pathlib import Path

from newswire.schemas import seed
from newswire.transforms.extraction.extract import extract_article
from newswire.transforms.fetching.fetch import page_from_response
from newswire.transforms.fetching.http import HttpClient
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.records import FeedEntry


def arguments(parser: argparse.ArgumentParser) -> None:
    """`newswire extract SOURCE [--url URL] [--format seed|json]`."""
    parser.add_argument("source", help="a URL to fetch or an HTML file")
    parser.add_argument("--url", help="the page's URL, when SOURCE is a file")
    parser.add_argument("--format", choices=("seed", "json"), default="seed")
    parser.add_argument("--allow-private-addresses", action="store_true")
    parser.set_defaults(handler=_extract)


def _extract(args: argparse.Namespace, _: list[str]) -> int:
    if args.source.startswith(("http://", "https://")):
        client = HttpClient(HttpSettings(allow_private=args.allow_private_addresses))
        client.open()
        try:
            response = client.get(args.source)
        finally:
            client.close()
        page = page_from_response(FeedEntry(link=args.source, feed_url=""), response)
        html, url = page.html, page.url
    else:
        html, url = Path(args.source).read_text(errors="replace"), args.url or ""
        if not url:
            raise ValueError("give --url with an HTML file: links and ids depend on it")
    article = extract_article(html, url, fetched_at=datetime.now(timezone.utc))
    if args.format == "json":
        print(json.dumps(article.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(seed.render(article))
    return 0
