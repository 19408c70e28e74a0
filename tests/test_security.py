"""A node with security on: the job authenticates with credentials from the environment, and
they never show up in pipeline options or output.

The bundled node cannot issue API keys or tokens (its security index needs the analysis-common
module, which the integration-test distribution lacks), so the live node is tested with basic
auth from a password file; tests/test_es_client.py checks API-key and bearer headers on the wire.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from elasticsearch import AuthenticationException

from deploy.elasticsearch import LocalNode
from pipeline import job
from pipeline.seed_server import SeedServer
from tests.conftest import drop_index
from transforms.es_client import EsConnection

pytestmark = [pytest.mark.es, pytest.mark.timeout(600)]
SECURE_PORT = 9251


@pytest.fixture(scope="module")
def secure_node() -> Iterator[LocalNode]:
    node = LocalNode(port=SECURE_PORT, admin_password=secrets.token_urlsafe(16))
    node.start(say=lambda line: print(f"[es secure] {line}"))
    yield node
    node.stop(say=lambda line: print(f"[es secure] {line}"))


def test_without_credentials_the_node_refuses(secure_node: LocalNode,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSWIRE_ES_API_KEY", raising=False)
    client = EsConnection(secure_node.url).client()
    with pytest.raises(AuthenticationException):
        client.info()
    client.close()


def test_the_job_indexes_with_credentials_it_never_prints(
        secure_node: LocalNode, seed_server: SeedServer, manifest: dict, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture) -> None:
    password = secure_node.admin_password
    (tmp_path / "password").write_text(password + "\n")
    monkeypatch.setenv("NEWSWIRE_ES_USERNAME", "admin")
    monkeypatch.setenv("NEWSWIRE_ES_PASSWORD_FILE", str(tmp_path / "password"))
    index = f"secure-{uuid.uuid4().hex[:8]}"
    aliases = {"index": index, "dead_letter_index": f"{index}-dead",
               "history_index": f"{index}-history"}
    options = PipelineOptions(feeds=[seed_server.url("feeds.opml")], es_url=secure_node.url,
                              allow_private_addresses=True, **aliases)
    try:
        summary = job.run(options, say=print)
    finally:
        for alias in aliases.values():
            drop_index(EsConnection(secure_node.url), alias)
    assert summary.created == manifest["totals"]["indexed"]
    assert summary.balanced
    assert password not in json.dumps(options.get_all_options(), default=str)
    captured = capfd.readouterr()
    assert password not in captured.out + captured.err
