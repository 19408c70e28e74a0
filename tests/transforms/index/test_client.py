"""Credentials reach Elasticsearch as the right Authorization header, from env or files."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from newswire.transforms.index.client import EsConnection
from tests.loopback import reply, serve

INFO = b'{"name":"n","cluster_name":"c","version":{"number":"9.5.4"},"tagline":""}'


class FakeNode(BaseHTTPRequestHandler):
    """Answers GET / like Elasticsearch and remembers the Authorization header it got."""

    seen: list[str | None] = []  # noqa: RUF012 - one list shared by the handler's threads

    def do_GET(self) -> None:
        FakeNode.seen.append(self.headers.get("Authorization"))
        reply(self, 200, INFO, {"Content-Type": "application/json",
                                "X-Elastic-Product": "Elasticsearch"})

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def node_url() -> Iterator[str]:
    with serve(FakeNode) as url:
        yield url


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("API_KEY", "BEARER_TOKEN", "USERNAME", "PASSWORD", "CLOUD_ID"):
        monkeypatch.delenv(f"NEWSWIRE_ES_{name}", raising=False)
        monkeypatch.delenv(f"NEWSWIRE_ES_{name}_FILE", raising=False)


def header_for(url: str) -> str | None:
    client = EsConnection(url).client()
    client.info()
    client.close()
    return FakeNode.seen[-1]


def test_api_key(node_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_ES_API_KEY", "aWQ6a2V5")
    assert header_for(node_url) == "ApiKey aWQ6a2V5"


def test_api_key_from_a_file(node_url: str, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "key").write_text("aWQ6a2V5\n")
    monkeypatch.setenv("NEWSWIRE_ES_API_KEY_FILE", str(tmp_path / "key"))
    assert header_for(node_url) == "ApiKey aWQ6a2V5"


def test_bearer_token(node_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_ES_BEARER_TOKEN", "tok")
    assert header_for(node_url) == "Bearer tok"


def test_basic_auth(node_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_ES_USERNAME", "ingest")
    monkeypatch.setenv("NEWSWIRE_ES_PASSWORD", "pw")
    assert header_for(node_url) == "Basic " + base64.b64encode(b"ingest:pw").decode()


def test_no_credentials(node_url: str) -> None:
    assert header_for(node_url) is None


def test_the_connection_holds_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_ES_API_KEY", "aWQ6a2V5")
    assert "aWQ6a2V5" not in repr(EsConnection("http://x:9200"))


def test_an_elastic_cloud_id_replaces_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    # A cloud id is "name:" + base64("host:port$es-uuid$kibana-uuid"); the client goes to
    # https://es-uuid.host:port, whatever --es-url says.
    encoded = base64.b64encode(b"es.example.io:9243$abc123$kb456").decode()
    monkeypatch.setenv("NEWSWIRE_ES_CLOUD_ID", f"newswire:{encoded}")
    client = EsConnection("http://127.0.0.1:9200").client()
    nodes = [(n.config.scheme, n.config.host, n.config.port)
             for n in client.transport.node_pool.all()]
    client.close()
    assert nodes == [("https", "abc123.es.example.io", 9243)]
