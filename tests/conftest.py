"""Shared fixtures: a real Elasticsearch node, the corpus over loopback, throwaway indices."""

from __future__ import annotations

import json
import os
import runpy
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from elasticsearch import Elasticsearch

from newswire.pipeline import logs
from newswire.pipeline.job.summary import Summary
from newswire.pipeline.services.elasticsearch import LocalNode
from newswire.pipeline.services.host import maven_repo
from newswire.pipeline.services.prism import PrismJobServer, ensure_prism
from newswire.pipeline.services.seed_server import SeedServer, corpus_dir
from newswire.transforms.index.client import DEFAULT_PORT, EsConnection

# Tests get their own node, apart from the one `newswire es start` runs for a user; each
# parallel test worker (pytest-xdist's gw0, gw1, ...) its own, ten ports apart.
TEST_ES_PORT = (int(os.environ.get("NEWSWIRE_TEST_ES_PORT", "9250"))
                + 10 * int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")))
# Loaded first by every Python process the tests start: it refuses traffic off loopback.
OFFLINE_GUARD = Path(__file__).with_name("offline") / "sitecustomize.py"


def pytest_configure(config: pytest.Config) -> None:
    """Guard this process and the ones it starts against traffic off loopback (see
    OFFLINE_GUARD); each test process, pytest-xdist's workers too, records refusals apart."""
    os.environ["NEWSWIRE_TEST_REFUSED"] = str(
        Path(tempfile.gettempdir()) / f"newswire-test-refused-{os.getpid()}.log")
    os.environ["NEWSWIRE_TEST_REGISTRIES"] = ",".join(_registries())
    guard_dir = str(OFFLINE_GUARD.parent)
    paths = [path for path in os.environ.get("PYTHONPATH", "").split(os.pathsep) if path]
    if guard_dir not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([guard_dir, *paths])
    if getattr(sys.modules.get("sitecustomize"), "__file__", None) != str(OFFLINE_GUARD):
        runpy.run_path(str(OFFLINE_GUARD))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files marked slow (half a minute or more of jobs, nodes and clusters) first: the workers
    then end together on short files, not one of them alone on a long one."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def _registries() -> set[str]:
    """The hosts a fresh machine provisions from: the Maven repository newswire downloads its
    node from, pip's package index (which builds of the wheel and worker environments use),
    and a proxy in between where the environment names one."""
    urls = [maven_repo(), os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple"),
            *os.environ.get("PIP_EXTRA_INDEX_URL", "").split(),
            "https://files.pythonhosted.org",  # where pypi.org's files are
            *(os.environ.get(name, "") for name in ("HTTPS_PROXY", "https_proxy",
                                                     "HTTP_PROXY", "http_proxy"))]
    return {urlsplit(url).hostname or "" for url in urls if url} - {""}


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    """A test that looked up or connected to a host off loopback fails, with what it asked."""
    refused = Path(os.environ["NEWSWIRE_TEST_REFUSED"])
    refused.unlink(missing_ok=True)
    yield
    if refused.exists():
        pytest.fail(f"asked for hosts off loopback:\n{refused.read_text()}", pytrace=False)


@pytest.fixture(autouse=True)
def _fresh_log_records() -> None:
    """Each test's commands print only what they logged, not what an earlier test left held."""
    logs.drop_held()


@pytest.fixture(scope="session")
def es_node() -> Iterator[LocalNode]:
    node = LocalNode(port=TEST_ES_PORT)
    started_here = node.health() is None
    # From an empty node: what earlier sessions left slows its start and work. Never the data
    # of the node `newswire es start` runs for a user, should the tests be pointed at its port.
    if started_here and node.port != DEFAULT_PORT:
        shutil.rmtree(node.state_dir / "data", ignore_errors=True)
    node.start(say=lambda line: print(f"[es] {line}"))
    yield node
    if started_here:
        node.stop(say=lambda line: print(f"[es] {line}"))


@pytest.fixture(scope="session")
def es_connection(es_node: LocalNode) -> EsConnection:
    return EsConnection(es_node.url)


@pytest.fixture
def es_client(es_connection: EsConnection) -> Iterator[Elasticsearch]:
    client = es_connection.client()
    yield client
    client.close()


@pytest.fixture
def index_name(es_connection: EsConnection) -> Iterator[str]:
    """A fresh alias name; its versioned indices and template are removed afterwards."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    yield name
    drop_index(es_connection, name)


@pytest.fixture
def aliases(es_connection: EsConnection) -> Iterator[dict[str, str]]:
    """Fresh names for a job's four aliases, as options (see job_aliases); removed afterwards."""
    index = f"test-{uuid.uuid4().hex[:10]}"
    yield job_aliases(index)
    drop_job_aliases(es_connection, index)


def job_aliases(index: str) -> dict[str, str]:
    """The four aliases a job writes, named after its articles' alias `index`, as options
    (`index`, `dead_letter_index`, `history_index`, `state_index`)."""
    return {"index": index, "dead_letter_index": f"{index}-dead",
            "history_index": f"{index}-history", "state_index": f"{index}-state"}


def drop_job_aliases(connection: EsConnection, index: str) -> None:
    """Drops a job's four aliases (job_aliases), whichever of them its run made."""
    for alias in job_aliases(index).values():
        drop_index(connection, alias)


def drop_index(connection: EsConnection, alias: str) -> None:
    client = connection.client()
    try:
        # the node refuses wildcard deletes, so name each versioned index
        for name in client.indices.get(index=f"{alias}-v*", expand_wildcards="all"):
            client.indices.delete(index=name)
        client.options(ignore_status=404).indices.delete_index_template(name=alias)
    finally:
        client.close()


def stored_by_canonical_url(client: Elasticsearch, index: str, url: str) -> dict[str, Any]:
    """The one indexed document naming `url` as canonical. Its id derives from `url` only on
    the page's own site, and corpus pages are served from loopback, not their outlets' sites."""
    client.indices.refresh(index=index)
    hits = client.search(index=index, query={"term": {"canonical_url": url}}, size=2)
    assert len(hits["hits"]["hits"]) == 1, url
    return hits["hits"]["hits"][0]


def assert_matches_manifest(summary: Summary, manifest: dict[str, Any]) -> None:
    """A first run over the corpus ends exactly as its manifest says."""
    totals = manifest["totals"]
    assert summary.feeds_polled == totals["feeds"]
    assert summary.entries_seen == totals["entries"]
    assert summary.indexed == summary.created == totals["indexed"]
    assert summary.duplicates_dropped == totals["duplicates"]
    assert summary.dead_letters == totals["dead_letters"]
    assert summary.balanced


@pytest.fixture(scope="session")
def seed_server() -> Iterator[SeedServer]:
    with SeedServer() as server:
        yield server


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    return json.loads((corpus_dir() / "manifest.json").read_text())


@pytest.fixture(scope="session")
def corpus() -> Path:
    return corpus_dir()


@pytest.fixture(scope="session")
def prism_server() -> Iterator[PrismJobServer]:
    """Prism as `newswire run` starts it, for tests that run their own pipelines on it. Beam's
    process-wide PrismRunner server is no use: a DirectRunner test may have made it first,
    without the local binary, and it then tries to download one."""
    with PrismJobServer(ensure_prism()) as server:
        yield server


def on_prism(server: PrismJobServer, *flags: str) -> PipelineOptions:
    """Options that run a pipeline on `server`, its workers in this process."""
    return PipelineOptions(["--runner=PortableRunner", f"--job_endpoint={server.endpoint}",
                            "--environment_type=LOOPBACK", *flags])
