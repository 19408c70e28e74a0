"""Streaming on Prism: a page that failed is tried again within the job once its wait
(`--retry-failed`) is over, not only by the next job."""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from elasticsearch import Elasticsearch

from newswire.pipeline.job import lifecycle
from newswire.schemas.article import document_id
from newswire.transforms.index.client import EsConnection
from tests.loopback import CountingServer
from tests.pipeline.job.test_streaming import doc_count, entry_record, wait_for, write_wire

pytestmark = [pytest.mark.es, pytest.mark.slow, pytest.mark.timeout(600),
              pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")]
RETRY_SECONDS = 3


def test_a_failed_page_is_retried_within_the_job_once_its_wait_is_over(
        es_connection: EsConnection, es_client: Elasticsearch, aliases: dict[str, str],
        tmp_path: Path) -> None:
    """The story is missing at first (404): its entry's record says it failed; put back, it
    is asked once more after `--retry-failed`, by the same job, indexed, and its record
    cleared. The summary counts the retry, and every entry seen ends somewhere."""
    root = write_wire(tmp_path / "wire")
    story = root / "story.html"
    page = story.read_text()
    story.unlink()
    with CountingServer(root) as wire:
        options = PipelineOptions(["--streaming"], feeds=[wire.url("feed.xml")],
                                  es_url=es_connection.url, allow_private_addresses=True,
                                  **aliases, poll_interval=1.0, max_poll_interval=1.0,
                                  retry_failed=f"{RETRY_SECONDS}s")

        def record() -> dict[str, Any]:
            return entry_record(es_client, aliases["state_index"], wire)

        with ExitStack() as resources:
            result = lifecycle.start(options, resources, say=print)
            try:
                wait_for(lambda: record().get("failures") == 1, 180, "the failure's record")
                story.write_text(page)
                wait_for(lambda: doc_count(es_client, aliases["index"]) == 1, 60,
                         "the retried page indexed")
                wait_for(lambda: record().get("fetched_at") is not None, 30,
                         "the retry's record")
                summary = lifecycle.current_summary(result)
            finally:
                lifecycle.cancel(result)
        asked = [request.at for request in wire.requests if request.path == "/story.html"]
    # the record keeps whole seconds, so the wait may end up to a second early
    assert len(asked) == 2 and asked[1] - asked[0] >= RETRY_SECONDS - 1
    assert wire.pages_asked() == Counter({"/story.html": 2})
    assert (record()["failures"], record()["failed_at"]) == (0, None)
    assert record()["article_id"] == document_id(wire.url("story.html"))
    # a poll while the retry is under way may hand it on again (it is due once more when
    # the job takes longer than the wait): dropped as a duplicate, the page asked only twice
    assert summary.retried >= 1 and summary.entries_seen == 1 + summary.retried
    assert (summary.created, summary.duplicates_dropped) == (1, summary.retried - 1)
    assert summary.dead_letters_by_stage == {"fetch": 1} and summary.balanced
