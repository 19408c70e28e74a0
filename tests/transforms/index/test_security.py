"""A node with security and TLS on: the job verifies the node's certificate (by CA or pinned
fingerprint), authenticates by API key, basic auth or bearer token from the environment or files,
and the secrets never show up in pipeline options or output.

The node can issue API keys because newswire installs its security-analysis plugin into it
(pipeline/services/es_plugin.py); the integration-test distribution alone cannot create its
security index.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from elasticsearch import AuthenticationException, Elasticsearch

from newswire.pipeline import cli
from newswire.pipeline.job import lifecycle
from newswire.pipeline.services import es_plugin
from newswire.pipeline.services.elasticsearch import LocalNode, find_java
from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.index.client import ClusterRefused, EsConnection
from tests.conftest import TEST_ES_PORT, assert_matches_manifest, drop_job_aliases, job_aliases

pytestmark = [pytest.mark.es, pytest.mark.slow, pytest.mark.timeout(600)]
SECURE_PORT = TEST_ES_PORT + 2  # the outage test's node has + 1
CREDENTIALS = ("API_KEY", "BEARER_TOKEN", "USERNAME", "PASSWORD", "CLOUD_ID")


@pytest.fixture(scope="module")
def secure_node() -> Iterator[LocalNode]:
    node = LocalNode(port=SECURE_PORT, admin_password=secrets.token_urlsafe(16), tls=True)
    node.start(say=lambda line: print(f"[es secure] {line}"))
    yield node
    node.stop(say=lambda line: print(f"[es secure] {line}"))


@pytest.fixture
def admin(secure_node: LocalNode) -> Iterator[Elasticsearch]:
    client = Elasticsearch(secure_node.url, basic_auth=("admin", secure_node.admin_password),
                           ca_certs=str(secure_node.ca_cert))
    yield client
    client.close()


@pytest.fixture(autouse=True)
def trusting_the_node_only(secure_node: LocalNode, monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials in the environment; the node's CA as the one to trust."""
    for name in CREDENTIALS:
        monkeypatch.delenv(f"NEWSWIRE_ES_{name}", raising=False)
        monkeypatch.delenv(f"NEWSWIRE_ES_{name}_FILE", raising=False)
    monkeypatch.delenv("NEWSWIRE_ES_FINGERPRINT", raising=False)
    monkeypatch.setenv("NEWSWIRE_ES_CA_CERTS", str(secure_node.ca_cert))


def node_fingerprint(node: LocalNode) -> str:
    """The SHA-256 of the node's HTTP certificate, as Kibana and the ES docs show it."""
    pem = (node.ca_cert.parents[1] / "node" / "node.crt").read_text()
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def authenticate(url: str) -> dict:
    """Who the node says we are, connecting as the job does (credentials from the environment)."""
    client = EsConnection(url).client()
    try:
        return dict(client.security.authenticate())
    finally:
        client.close()


def test_the_plugin_is_built_once_and_its_analysis_works(secure_node: LocalNode,
                                                          admin: Elasticsearch) -> None:
    said: list[str] = []
    es_plugin.ensure_installed(es_plugin.SECURITY, secure_node.dist_dir, secure_node.version,
                               find_java("javac"), said.append)
    assert said == []
    assert sorted(p["component"] for p in admin.cat.plugins(format="json")) == [
        es_plugin.LANGUAGES.name, es_plugin.SECURITY.name]
    # the security index's e-mail analyzer, piece by piece
    tokens = admin.indices.analyze(
        tokenizer="uax_url_email",
        filter=[{"type": "pattern_capture", "patterns": ["([^@]+)", "@(.+)"]},
                "lowercase", "unique"],
        text="Write to Jane.Doe@Example.com or jane.doe@example.com")["tokens"]
    assert [t["token"] for t in tokens] == ["write", "to", "jane.doe@example.com", "jane.doe",
                                            "example.com", "or"]


def test_without_credentials_the_node_refuses(secure_node: LocalNode) -> None:
    with pytest.raises(AuthenticationException):
        authenticate(secure_node.url)


def test_an_unknown_certificate_is_refused(secure_node: LocalNode,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSWIRE_ES_CA_CERTS")  # the system's CAs do not know the node's
    with pytest.raises(ClusterRefused, match="certificate verify failed"), \
            EsConnection(secure_node.url).session() as client:
        client.info()


def test_a_pinned_fingerprint_instead_of_a_ca(secure_node: LocalNode,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSWIRE_ES_CA_CERTS")
    monkeypatch.setenv("NEWSWIRE_ES_USERNAME", "admin")
    monkeypatch.setenv("NEWSWIRE_ES_PASSWORD", secure_node.admin_password)
    monkeypatch.setenv("NEWSWIRE_ES_FINGERPRINT", node_fingerprint(secure_node))
    assert authenticate(secure_node.url)["username"] == "admin"
    monkeypatch.setenv("NEWSWIRE_ES_FINGERPRINT", "00" * 32)
    with pytest.raises(ClusterRefused, match=r"[Ff]ingerprint"), \
            EsConnection(secure_node.url).session() as client:
        client.info()


def test_basic_auth_with_the_password_in_a_file(secure_node: LocalNode, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "password").write_text(secure_node.admin_password + "\n")
    monkeypatch.setenv("NEWSWIRE_ES_USERNAME", "admin")
    monkeypatch.setenv("NEWSWIRE_ES_PASSWORD_FILE", str(tmp_path / "password"))
    me = authenticate(secure_node.url)
    assert (me["username"], me["authentication_type"]) == ("admin", "realm")


def test_a_bearer_token(secure_node: LocalNode, admin: Elasticsearch,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    # OAuth2 tokens need a paid licence; a service-account token is a bearer token on basic.
    name = f"newswire-{uuid.uuid4().hex[:8]}"
    created = admin.security.create_service_token(namespace="elastic", service="fleet-server",
                                                  name=name)
    try:
        monkeypatch.setenv("NEWSWIRE_ES_BEARER_TOKEN", created["token"]["value"])
        me = authenticate(secure_node.url)
        assert (me["username"], me["authentication_type"]) == ("elastic/fleet-server", "token")
    finally:
        admin.security.delete_service_token(namespace="elastic", service="fleet-server",
                                            name=name)


def test_the_job_indexes_with_a_least_privilege_api_key_it_never_prints(
        secure_node: LocalNode, admin: Elasticsearch, seed_server: SeedServer, manifest: dict,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture) -> None:
    index = f"secure-{uuid.uuid4().hex[:8]}"
    # What the job needs, and no more: its templates, and everything on its own indices.
    key = admin.security.create_api_key(name=index, role_descriptors={"newswire": {
        "cluster": ["monitor", "manage_index_templates"],
        "indices": [{"names": [f"{index}*"], "privileges": ["all"]}],
    }})
    (tmp_path / "api-key").write_text(key["encoded"] + "\n")
    monkeypatch.setenv("NEWSWIRE_ES_API_KEY_FILE", str(tmp_path / "api-key"))
    assert authenticate(secure_node.url)["authentication_type"] == "api_key"
    options = PipelineOptions(feeds=[seed_server.url("feeds.opml")], es_url=secure_node.url,
                              allow_private_addresses=True, **job_aliases(index))
    try:
        summary = lifecycle.run(options, say=print)
    finally:
        drop_job_aliases(EsConnection(secure_node.url), index)
    assert_matches_manifest(summary, manifest)
    assert key["api_key"] not in json.dumps(options.get_all_options(), default=str)
    captured = capfd.readouterr()
    assert key["api_key"] not in captured.out + captured.err
    assert key["encoded"] not in captured.out + captured.err


def test_a_revoked_api_key_stops_the_run_with_a_clear_error(
        secure_node: LocalNode, admin: Elasticsearch, seed_server: SeedServer,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    key = admin.security.create_api_key(name=f"revoked-{uuid.uuid4().hex[:8]}")
    admin.security.invalidate_api_key(ids=[key["id"]])
    monkeypatch.setenv("NEWSWIRE_ES_API_KEY", key["encoded"])
    status = cli.main(["run", "--feeds", seed_server.url("feeds.opml"),
                       "--es-url", secure_node.url, "--allow-private-addresses"])
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith(f"newswire: Elasticsearch at {secure_node.url} refused the credentials")
    assert "Traceback" not in err and key["api_key"] not in err
