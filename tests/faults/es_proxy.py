"""Loopback proxies in front of the test node, to make it misbehave.

    VanishingProxy   once a request line it forwards contains `vanish_on` (e.g. b"/_bulk"),
                     drops that request, closes every connection and stops listening, so the
                     node looks gone (connections refused) to everything behind it
    ThrottlingProxy  answers bulk requests 429 for a while, as a loaded cluster does
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.loopback import reply


class VanishingProxy:
    def __init__(self, target_port: int, vanish_on: bytes) -> None:
        self.target_port = target_port
        self.vanish_on = vanish_on
        self.vanished = threading.Event()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def vanish(self) -> None:
        self.vanished.set()
        for sock in [self._listener, *self._sockets]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        while not self.vanished.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False),
                             daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, watch: bool) -> None:
        try:
            while data := source.recv(65536):
                if watch and self.vanish_on in data:
                    self.vanish()
                    return
                sink.sendall(data)
        except OSError:
            pass


class ThrottlingProxy:
    """A loopback HTTP proxy in front of the test node that answers bulk requests 429 (too many
    requests), as a loaded cluster does, for `seconds` from the first bulk request it sees
    (for ever if None): the whole request when `per_item` is false, else each item of a 200
    response. Everything else, and bulk requests after that, go to the node."""

    def __init__(self, target_port: int, seconds: float | None, per_item: bool) -> None:
        self.target_port, self.seconds, self.per_item = target_port, seconds, per_item
        self.throttled = 0  # bulk requests answered 429, or with every item 429
        self.first_bulk: float | None = None
        self.last_throttled: float | None = None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if "/_bulk" in self.path and proxy._throttling():
                    status, payload = proxy._refusal(body)
                    reply(self, status, payload, {"Content-Type": "application/json",
                                                  "X-Elastic-Product": "Elasticsearch"})
                    return
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.target_port, timeout=60)
                try:
                    upstream.request(self.command, self.path, body or None,
                                     {k: v for k, v in self.headers.items()
                                      if k.lower() not in ("host", "connection")})
                    response = upstream.getresponse()
                    reply(self, response.status, response.read(),
                          {k: v for k, v in response.getheaders()
                           if k.lower() not in ("content-length", "transfer-encoding",
                                                "connection")})
                finally:
                    upstream.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _relay

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _throttling(self) -> bool:
        now = time.monotonic()
        self.first_bulk = self.first_bulk or now
        if self.seconds is not None and now - self.first_bulk >= self.seconds:
            return False
        self.throttled += 1
        self.last_throttled = now
        return True

    def _refusal(self, body: bytes) -> tuple[int, bytes]:
        error = {"type": "es_rejected_execution_exception",
                 "reason": "rejected execution: the write queue is full"}
        if not self.per_item:
            return 429, json.dumps({"error": {"root_cause": [error], **error},
                                    "status": 429}).encode()
        actions = [json.loads(line) for line in body.splitlines() if line.strip()][::2]
        items = [{"index": {"_index": action["index"]["_index"], "_id": action["index"]["_id"],
                            "status": 429, "error": error}} for action in actions]
        return 200, json.dumps({"errors": True, "took": 1, "items": items}).encode()
