"""Fetch throughput: 1,000 pages from a loopback server that adds 50 ms to every response.

Runs newswire's FetchPages DoFn in-process (each page keyed by host slot, as KeyBySlot keys it)
and prints its wall time against the ideal,
pages x latency / allowed concurrency. Target: within 1.25x of the ideal.

    .venv/bin/python bench/fetch.py [--pages 1000] [--latency 0.05] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from apache_beam.transforms.window import GlobalWindow

from newswire.transforms.fetching.fetch import FetchPages
from newswire.transforms.fetching.politeness import SlotKeys
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.records import FeedEntry

TARGET = 1.25
PAGE = b"<html><body><article><p>" + b"News text. " * 400 + b"</p></article></body></html>"


def serve(latency: float, ready: multiprocessing.Queue) -> None:
    """The slow server, in its own process so it does not share the client's GIL."""
    class Slow(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as two writes

        def do_GET(self) -> None:
            time.sleep(latency)
            self.send_response(404 if self.path == "/robots.txt" else 200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    server.request_queue_size = 256
    ready.put(server.server_address[1])
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    if args.latency <= 0:
        parser.error("--latency must be positive: the ideal divides by it")

    ready: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(args.latency, ready), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{ready.get(timeout=30)}"
    settings = HttpSettings(allow_private=True, concurrency=args.concurrency,
                            per_host_concurrency=args.concurrency)
    dofn = FetchPages(settings)
    slot_of = SlotKeys(settings.per_host_concurrency)
    dofn.setup()
    dofn.start_bundle()
    started = time.perf_counter()
    outputs = []
    for i in range(args.pages):
        entry = FeedEntry(link=f"{base}/article/{i}.html", feed_url=base)
        # no --per-host-delay: the slot's state is not asked
        outputs.extend(dofn.process((slot_of(entry.link), entry), window=GlobalWindow(),
                                    timestamp=0, fetched_by=None))
    outputs.extend(dofn.finish_bundle())
    wall = time.perf_counter() - started
    dofn.teardown()
    server.terminate()

    pages = sum(1 for out in outputs if not hasattr(out, "tag"))
    ideal = args.pages * args.latency / args.concurrency
    ratio = wall / ideal
    print(f"pages fetched   {pages} of {args.pages}")
    print(f"wall time       {wall:.2f} s")
    print(f"ideal           {ideal:.2f} s  ({args.pages} x {args.latency * 1000:.0f} ms "
          f"/ {args.concurrency} in flight)")
    print(f"ratio wall/ideal {ratio:.2f} (target <= {TARGET}): "
          f"{'ok' if ratio <= TARGET else 'OVER'}")


if __name__ == "__main__":
    main()
