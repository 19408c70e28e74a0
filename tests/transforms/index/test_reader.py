"""The reader answers as the client does, connects as it does (TLS, credentials), and fails in
the same one line."""

from __future__ import annotations

import base64
import ssl
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import certifi
import pytest
from elasticsearch import Elasticsearch

from newswire.transforms.index.client import ClusterRefused, EsConnection
from newswire.transforms.index.layout import ensure_index
from newswire.transforms.index.reader import Reader, authorization, cloud_url, reading
from tests.loopback import reply, serve

PLAIN = {"properties": {"title": {"type": "text"}, "n": {"type": "integer"}}}


def test_a_cloud_id_names_its_elasticsearch_host() -> None:
    encoded = base64.b64encode(b"eu-west-1.aws.found.io:9243$es123$kb456").decode()
    assert cloud_url(f"news:{encoded}") == "https://es123.eu-west-1.aws.found.io:9243"
    bare = base64.b64encode(b"found.io$es123").decode()
    assert cloud_url(f"news:{bare}") == "https://es123.found.io:443"
    with pytest.raises(ValueError, match="Cloud ID is not properly formatted"):
        cloud_url("news:not-base64!")


def test_each_kind_of_credential_makes_the_client_s_header() -> None:
    assert authorization({"api_key": "a2V5"}) == {"authorization": "ApiKey a2V5"}
    assert authorization({"bearer_auth": "tok"}) == {"authorization": "Bearer tok"}
    basic = base64.b64encode(b"elastic:s3cret").decode()
    assert authorization({"basic_auth": ("elastic", "s3cret")}) == {
        "authorization": f"Basic {basic}"}
    assert authorization({}) == {}


def _https(monkeypatch: pytest.MonkeyPatch, **env: str) -> Any:
    for name in ("API_KEY", "USERNAME", "BEARER_TOKEN", "CLOUD_ID", "CA_CERTS", "FINGERPRINT"):
        monkeypatch.delenv(f"NEWSWIRE_ES_{name}", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(f"NEWSWIRE_ES_{name}", value)
    return Reader(EsConnection("https://es.example:9243")).pool


def test_tls_is_verified_against_certifi_s_bundle_by_default(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pool = _https(monkeypatch)
    assert (pool.host, pool.port) == ("es.example", 9243)
    assert (pool.cert_reqs, pool.ca_certs) == ("CERT_REQUIRED", certifi.where())
    context = pool.conn_kw["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2


def test_a_ca_bundle_or_a_pinned_fingerprint_from_the_environment_is_used(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    bundle = tmp_path / "ca.pem"
    assert _https(monkeypatch, CA_CERTS=str(bundle)).ca_certs == str(bundle)
    pinned = _https(monkeypatch, FINGERPRINT="AB:CD")
    assert (pinned.assert_fingerprint, pinned.cert_reqs) == ("AB:CD", "CERT_NONE")


class Recording(BaseHTTPRequestHandler):
    """Answers like Elasticsearch (or, with `product` empty, like something else); keeps the
    request lines and Authorization headers it saw."""

    seen: ClassVar[list[tuple[str, str | None]]] = []
    product: ClassVar[str] = "Elasticsearch"

    def do_POST(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {"Content-Type": "application/json"}
        if self.product:
            headers["X-Elastic-Product"] = self.product
        reply(self, 200, b'{"hits": {"hits": [], "total": {"value": 0}}}', headers)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def recording() -> Iterator[str]:
    Recording.seen, Recording.product = [], "Elasticsearch"
    with serve(Recording) as url:
        yield url


def test_credentials_come_from_the_environment_and_go_only_in_the_header(
        recording: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
        capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "key"
    key.write_text("c2VjcmV0LWtleQ==\n")
    monkeypatch.delenv("NEWSWIRE_ES_API_KEY", raising=False)
    monkeypatch.setenv("NEWSWIRE_ES_API_KEY_FILE", str(key))
    with reading(EsConnection(recording)) as reader:
        answer = reader.search("news", {"size": 0}, _source_excludes="entry")
    assert answer["hits"]["total"]["value"] == 0
    assert Recording.seen == [("/news/_search?_source_excludes=entry",
                               "ApiKey c2VjcmV0LWtleQ==")]
    assert "c2VjcmV0" not in reader.where + "".join(capsys.readouterr())


def test_a_server_that_is_not_elasticsearch_is_refused_as_the_client_refuses_it(
        recording: str) -> None:
    Recording.product = ""
    with pytest.raises(ClusterRefused) as by_reader, reading(EsConnection(recording)) as reader:
        reader.search("news", {})
    with pytest.raises(ClusterRefused) as by_client, EsConnection(recording).session() as client:
        client.search(index="news")
    assert str(by_reader.value) == str(by_client.value)
    assert "not Elasticsearch" in str(by_reader.value)


def test_a_refused_connection_is_the_client_s_one_line() -> None:
    nowhere = EsConnection("http://127.0.0.1:9")
    with pytest.raises(ClusterRefused) as by_reader, reading(nowhere) as reader:
        reader.refresh("news")
    with pytest.raises(ClusterRefused) as by_client, nowhere.session() as client:
        client.indices.refresh(index="news")
    assert str(by_reader.value) == str(by_client.value) == (
        "could not reach Elasticsearch at http://127.0.0.1:9: Connection refused")


@pytest.mark.es
def test_the_reader_s_answers_are_the_client_s(es_connection: EsConnection,
                                                es_client: Elasticsearch, index_name: str) -> None:
    ensure_index(es_client, index_name, PLAIN)
    for n in range(3):
        es_client.index(index=index_name, id=f"d{n}", document={"title": f"port strike {n}",
                                                                "n": n})
    es_client.indices.refresh(index=index_name)
    body = {"query": {"match": {"title": "strike"}}, "sort": [{"n": "desc"}], "size": 2}
    with reading(es_connection) as reader:
        answer, expected = reader.search(index_name, body), es_client.search(index=index_name,
                                                                              **body).body
        assert answer.pop("took") >= 0 and expected.pop("took") >= 0  # times, not answers
        assert answer == expected and len(answer["hits"]["hits"]) == 2
        assert reader.mget(index_name, ["d1", "nope"]) == es_client.mget(
            index=index_name, ids=["d1", "nope"])["docs"]
        assert reader.get_alias(index_name) == es_client.indices.get_alias(
            name=index_name).body
        assert reader.get_alias(f"{index_name}-none") is None
        assert reader.exists_alias(index_name) and not reader.exists_alias(f"{index_name}-none")
        behind = list(reader.get_alias(index_name) or {})
        assert reader.cat_indices(behind, h="index,docs.count") == es_client.cat.indices(
            index=",".join(behind), format="json", h="index,docs.count").body


@pytest.mark.es
def test_a_missing_index_fails_as_the_client_fails(es_connection: EsConnection) -> None:
    with pytest.raises(ClusterRefused) as by_reader, reading(es_connection) as reader:
        reader.search("newswire-no-such-index", {})
    with pytest.raises(ClusterRefused) as by_client, es_connection.session() as client:
        client.search(index="newswire-no-such-index")
    assert str(by_reader.value) == str(by_client.value)
    assert "no such index" in str(by_reader.value)
