"""A rerun over unchanged feeds against the first run: what the crawl state saves.

Serves N small article pages behind F RSS feeds on loopback (SeedServer: ETag, Last-Modified,
304), runs `newswire run` twice into fresh aliases on a node at --port, and prints each run's
wall time, the pages and feeds the server was asked for, and rerun/first.

    .venv/bin/python bench/rerun.py [--pages 1000] [--feeds 10] [--port 9268]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.index.client import EsConnection

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:site_name" content="Rerun Times">
<meta property="article:published_time" content="2026-11-{day:02d}T10:00:00Z">
<link rel="canonical" href="https://rerun.example/{n}"></head>
<body><article><h1>{title}</h1>
<p>Story {n} opens with what happened on day {day}, in words of its own: {words}.</p>
<p>A second paragraph of story {n} says who said what, and why it matters to readers.</p>
<p>The last paragraph of story {n} tells what is expected to happen next, and when.</p>
</article></body></html>
"""


class CountingServer(SeedServer):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.asked: Counter[str] = Counter()

    def resolve(self, path: str) -> Path | None:
        self.asked["page" if path.endswith(".html") else "feed"
                   if path.endswith(".xml") else "other"] += 1
        return super().resolve(path)


def write_site(root: Path, pages: int, feeds: int) -> None:
    items: list[list[str]] = [[] for _ in range(feeds)]
    for n in range(pages):
        title = f"Story number {n}"
        words = " ".join(f"w{(n * 7 + k) % 997}" for k in range(40))
        (root / f"{n}.html").write_text(_PAGE.format(title=title, n=n, day=1 + n % 28,
                                                     words=words))
        items[n % feeds].append(f"<item><title>{title}</title>"
                                f"<link>{{{{BASE_URL}}}}/{n}.html</link><guid>rerun-{n}</guid>"
                                f"<pubDate>Sun, {1 + n % 28:02d} Nov 2026 10:00:00 GMT</pubDate>"
                                "</item>")
    for feed, listed in enumerate(items):
        (root / f"feed{feed}.xml").write_text(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Rerun Times</title>'
            f"<link>https://rerun.example/</link>{''.join(listed)}</channel></rss>")


def state_size(client: Any, alias: str) -> str:
    """The state's documents, their size on disk, and the JSON of a source and an entry."""
    client.indices.refresh(index=alias)
    client.indices.forcemerge(index=alias, max_num_segments=1)
    stats = client.indices.stats(index=alias, metric="store,docs")["_all"]["primaries"]
    documents, stored = stats["docs"]["count"], stats["store"]["size_in_bytes"]
    sizes = {kind: statistics.mean(len(json.dumps(hit["_source"])) for hit in client.search(
        index=alias, query={"term": {"kind": kind}}, size=100)["hits"]["hits"])
        for kind in ("source", "entry")}
    return (f"state  {documents} documents, {stored / 1024:.0f} KiB on disk "
            f"({stored / documents:.0f} bytes each); JSON: a source {sizes['source']:.0f} "
            f"bytes, an entry {sizes['entry']:.0f} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--feeds", type=int, default=10)
    parser.add_argument("--port", type=int, default=9268, help="a running node's port")
    args = parser.parse_args()
    index = f"bench-rerun-{uuid.uuid4().hex[:8]}"
    connection = EsConnection(f"http://127.0.0.1:{args.port}")
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        write_site(root, args.pages, args.feeds)
        with CountingServer(root) as server:
            (root / "feeds.txt").write_text("".join(
                server.url(f"feed{feed}.xml") + "\n" for feed in range(args.feeds)))
            command = [str(Path(sys.executable).with_name("newswire")), "run", "--feeds",
                       str(root / "feeds.txt"), "--es-url", connection.url, "--index", index,
                       "--dead-letter-index", f"{index}-dead", "--history-index",
                       f"{index}-history", "--allow-private-addresses"]
            times = []
            try:
                for name in ("first", "rerun"):
                    server.asked.clear()
                    start = time.monotonic()
                    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
                    times.append(time.monotonic() - start)
                    print(f"{name:6} {times[-1]:6.1f} s  pages asked {server.asked['page']:5}"
                          f"  feeds asked {server.asked['feed']}")
                with connection.session() as client:
                    print(state_size(client, f"{index}-state"))
            finally:
                with connection.session() as client:
                    for name in client.indices.get(index=f"{index}*"):
                        client.indices.delete(index=name)
                    for suffix in ("", "-dead", "-history", "-state"):
                        client.options(ignore_status=404).indices.delete_index_template(
                            name=index + suffix)
    print(f"rerun/first {times[1] / times[0]:.2f} ({args.pages} pages, {args.feeds} feeds)")


if __name__ == "__main__":
    main()
