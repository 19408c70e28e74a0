"""`newswire schema`: print the article's JSON Schema, or its Elasticsearch mapping.

Both are generated from one field table (`newswire.schemas.fields`), so what this prints is what
validation and the index use.
"""

from __future__ import annotations

import argparse
import json

from newswire.schemas.validation import article_schema
from newswire.transforms.index.layout import article_mapping


def arguments(command: argparse.ArgumentParser) -> None:
    """`newswire schema [--mapping [--english]]`."""
    command.description = ("Print the JSON Schema article records are validated against, or "
                           "with --mapping the Elasticsearch mapping of the articles index.")
    command.add_argument("--mapping", action="store_true",
                         help="the Elasticsearch mapping instead of the JSON Schema")
    command.add_argument("--english", action="store_true",
                         help="with --mapping: prose stemmed (English; other languages under "
                         "by_language)")
    command.set_defaults(handler=_print)


def _print(args: argparse.Namespace, _: list[str]) -> int:
    if args.english and not args.mapping:
        raise ValueError("--english applies to --mapping only")
    document = article_mapping(args.english) if args.mapping else article_schema()
    print(json.dumps(document, indent=2))
    return 0
