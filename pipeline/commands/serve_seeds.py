"""`newswire serve-seeds`: the bundled corpus (or another folder) over loopback until Ctrl-C."""

from __future__ import annotations

import argparse
from pathlib import Path

from newswire.pipeline.services.seed_server import CORPUS_PORT, SeedServer


def arguments(parser: argparse.ArgumentParser) -> None:
    """`newswire serve-seeds [--port N] [--root DIR]`."""
    parser.add_argument("--port", type=int, default=CORPUS_PORT)
    parser.add_argument("--root", type=Path, help="a corpus directory (default: the bundled one)")
    parser.set_defaults(handler=_serve_seeds)


def _serve_seeds(args: argparse.Namespace, _: list[str]) -> int:
    server = SeedServer(root=args.root, port=args.port)
    print(f"serving {server.layers[0]} at {server.base_url} (feed list: "
          f"{server.url('feeds.opml')}); Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()
    return 0
