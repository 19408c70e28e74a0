"""Defect: in streaming, one entry dated 1969 made every bulk request fail and the job went
FAILED. Now the entry is indexed with the others and the job keeps running (Prism)."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineState

from newswire.pipeline.job import lifecycle
from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.index.client import EsConnection
from tests.faults.site import write_site
from tests.pipeline.job.test_streaming import wait_for

pytestmark = [pytest.mark.es, pytest.mark.timeout(600)]


def test_a_date_before_1970_does_not_fail_a_streaming_job(
        tmp_path: Path, es_connection: EsConnection, aliases: dict[str, str]) -> None:
    site = write_site(tmp_path, {"moon": "1969-07-20T20:17:00Z", "today": "2026-11-30T10:00:00Z"})
    client = es_connection.client()

    def count() -> int:
        try:
            return client.count(index=aliases["index"])["count"]
        except Exception:  # the index appears with the first write
            return -1

    try:
        with ExitStack() as resources:
            server = resources.enter_context(SeedServer(site))
            result = lifecycle.start(PipelineOptions(
                ["--streaming"], feeds=[server.url("feed.xml")], es_url=es_connection.url,
                allow_private_addresses=True, poll_interval=2.0, max_poll_interval=2.0,
                **aliases), resources, say=lambda _: None)
            try:
                wait_for(lambda: count() == 2 or result.state == PipelineState.FAILED, 180,
                         "both articles being indexed")
                assert result.state != PipelineState.FAILED
                assert count() == 2
            finally:
                lifecycle.cancel(result)  # stops the in-process workers before the job server
    finally:
        client.close()
