"""A loopback TCP proxy in front of the test node that can vanish: once a request line it
forwards contains `vanish_on` (e.g. b"/_bulk"), it drops that request, closes every connection
and stops listening, so the node looks gone (connections refused) to everything behind it."""

from __future__ import annotations

import contextlib
import socket
import threading


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
