"""The batch job on Beam's Flink job server: proof that newswire runs on a portable runner
other than Prism, checked against the corpus ground truth."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from contextlib import redirect_stderr

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline import logs
from newswire.pipeline.job import lifecycle
from newswire.pipeline.job.summary import Summary
from newswire.pipeline.services.flink import ensure_flink_job_server
from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.index.client import EsConnection
from tests.conftest import assert_matches_manifest, drop_job_aliases, job_aliases

pytestmark = [pytest.mark.es, pytest.mark.slow, pytest.mark.timeout(900)]


def timed(what: str, started: float) -> None:
    """Print how long a step took, so a `-s` run shows the costs of the Flink runner."""
    print(f"[flink] {what}: {time.monotonic() - started:.1f} s")


@pytest.fixture(scope="module")
def flink_run(es_connection: EsConnection,
              seed_server: SeedServer) -> Iterator[tuple[str, Summary, str]]:
    """The bundled corpus ingested once with `--runner flink` into a fresh alias, dropped
    afterwards; with what the run printed on stderr at the command's default log level."""
    started = time.monotonic()
    ensure_flink_job_server(say=lambda line: print(f"[flink] {line}"))
    timed("job server classpath ready", started)
    index = f"test-flink-{uuid.uuid4().hex[:8]}"
    aliases = job_aliases(index)
    try:
        options = PipelineOptions(
            ["--runner", "flink"], feeds=[seed_server.url("feeds.opml")],
            es_url=es_connection.url, allow_private_addresses=True, **aliases)
        started = time.monotonic()
        said: list[str] = []
        with logs.configured(logs.DEFAULT_LEVEL), redirect_stderr(io.StringIO()) as stderr:
            summary = lifecycle.run(options, say=said.append)
        timed("job server start and pipeline run", started)
        assert any("embedded Flink cluster" in line for line in said)
        client = es_connection.client()
        client.indices.refresh(index=[index, aliases["dead_letter_index"]])
        client.close()
        yield index, summary, stderr.getvalue()
    finally:
        drop_job_aliases(es_connection, index)


def test_flink_summary_matches_the_corpus_ground_truth(
        flink_run: tuple[str, Summary, str], manifest: dict) -> None:
    assert_matches_manifest(flink_run[1], manifest)


def test_flink_run_prints_no_traceback(flink_run: tuple[str, Summary, str]) -> None:
    """Flink hangs up on the local worker's streams as it releases it; that is no error."""
    assert "Traceback" not in flink_run[2], flink_run[2]


def test_flink_run_fills_the_indices(
        flink_run: tuple[str, Summary, str], manifest: dict, es_connection: EsConnection
        ) -> None:
    aliases = job_aliases(flink_run[0])
    totals = manifest["totals"]
    client = es_connection.client()
    try:
        assert client.count(index=aliases["index"])["count"] == totals["indexed"]
        assert client.count(index=aliases["dead_letter_index"])["count"] == totals["dead_letters"]
    finally:
        client.close()
