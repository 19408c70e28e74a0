"""The offline news world over loopback: serves seeds/corpus with ETag and Last-Modified.

Text files have `{{BASE_URL}}` replaced by the server's own address, so feeds link to pages on
whatever port it got. Overlay directories are searched first: a test swaps in an updated page
by adding one.
"""

from __future__ import annotations

import email.utils
import hashlib
import mimetypes
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlsplit

PLACEHOLDER = b"{{BASE_URL}}"
CORPUS_PORT = 8765  # where `newswire run` and `serve-seeds` serve the bundled corpus if free
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".rdf": "application/rdf+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".pdf": "application/pdf",
}
_TEXT_SUFFIXES = {".html", ".xml", ".rdf", ".atom", ".opml", ".txt", ".json"}


def corpus_dir() -> Path:
    """The bundled corpus, wherever the package is installed."""
    return Path(str(resources.files("newswire.seeds") / "corpus"))


class SeedServer:
    """A loopback HTTP server over a corpus directory; start() runs it in a daemon thread."""

    def __init__(self, root: Path | None = None, port: int = 0, host: str = "127.0.0.1") -> None:
        self.layers: list[Path] = [root or corpus_dir()]
        self._server = _QuietServer((host, port), _handler_for(self))
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def add_overlay(self, directory: Path) -> None:
        """Serve files from `directory` in place of the corpus's files at the same paths."""
        self.layers.insert(0, directory)

    def start(self) -> SeedServer:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def resolve(self, path: str) -> Path | None:
        """The file a URL path names, from the first layer that has it; never outside a layer."""
        relative = unquote(urlsplit(path).path).lstrip("/")
        for layer in self.layers:
            candidate = (layer / relative).resolve()
            if candidate.is_file() and candidate.is_relative_to(layer.resolve()):
                return candidate
        return None

    def body(self, file: Path) -> bytes:
        data = file.read_bytes()
        if file.suffix in _TEXT_SUFFIXES:
            data = data.replace(PLACEHOLDER, self.base_url.encode())
        return data

    def __enter__(self) -> SeedServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up early (timeouts, closed pools) are normal here, not errors."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(server: SeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body are two writes; with Nagle on, each response waits ~40 ms for the
        # client's delayed ACK.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            file = server.resolve(self.path)
            if file is None:
                self._send(HTTPStatus.NOT_FOUND, b"not found", {"Content-Type": "text/plain"})
                return
            body = server.body(file)
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            modified = email.utils.formatdate(file.stat().st_mtime, usegmt=True)
            headers = {
                "Content-Type": _TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0]
                or "application/octet-stream",
                "ETag": etag,
                "Last-Modified": modified,
                "Cache-Control": "max-age=60",
            }
            if self._not_modified(etag, file.stat().st_mtime):
                self._send(HTTPStatus.NOT_MODIFIED, b"", headers)
            else:
                self._send(HTTPStatus.OK, body, headers)

        def _not_modified(self, etag: str, mtime: float) -> bool:
            if match := self.headers.get("If-None-Match"):
                return etag in [tag.strip() for tag in match.split(",")] or match.strip() == "*"
            if since := self.headers.get("If-Modified-Since"):
                try:
                    return int(mtime) <= email.utils.parsedate_to_datetime(since).timestamp()
                except (TypeError, ValueError):
                    return False
            return False

        def _send(self, status: HTTPStatus, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != HTTPStatus.NOT_MODIFIED:
                self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            """Quiet: the pipeline's own metrics say what was fetched."""

    return Handler
