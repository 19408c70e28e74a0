"""With `--dead-letter-files`, every dead letter is also written as JSON lines through Beam
FileSystems, out of Elasticsearch's way (issue 19: on Dataflow streaming an outage left dead
letters nowhere to go)."""

from __future__ import annotations

import json
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.job import lifecycle
from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.index.client import EsConnection
from tests.conftest import drop_job_aliases, job_aliases
from tests.faults.site import write_site

pytestmark = pytest.mark.es


def test_dead_letters_are_written_to_files_too(
        tmp_path: Path, es_connection: EsConnection) -> None:
    (tmp_path / "site").mkdir()
    site = write_site(tmp_path / "site", {"a": "2026-11-30T10:00:00Z"})
    (site / "broken.xml").write_text("this is not a feed")
    (site / "gone.xml").write_text(  # one entry whose page is not there: a fetch dead letter
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item>'
        "<title>Gone</title><link>{{BASE_URL}}/gone.html</link><guid>gone</guid></item>"
        "</channel></rss>")
    index = f"test-dlfiles-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "letters"
    out.mkdir()
    try:
        with SeedServer(site) as server:
            summary = lifecycle.run(PipelineOptions(
                feeds=[server.url(name) for name in ("feed.xml", "broken.xml", "gone.xml")],
                es_url=es_connection.url, allow_private_addresses=True,
                dead_letter_files=f"{out}/", **job_aliases(index)), say=lambda _: None)
    finally:
        drop_job_aliases(es_connection, index)
    letters = [json.loads(line) for file in sorted(out.glob("dead-letters*.jsonl"))
               for line in file.read_text().splitlines()]
    assert (summary.dead_letters, summary.feeds_failed) == (1, 1)  # entry letters, feed letters
    assert sorted((letter["unit"], letter["stage"]) for letter in letters) == [
        ("entry", "fetch"), ("feed", "poll")]
    assert all(letter["reason"] for letter in letters)


@pytest.mark.timeout(600)
def test_a_streaming_run_writes_its_dead_letters_per_minute(
        tmp_path: Path, es_connection: EsConnection) -> None:
    """On Prism: the file of a minute's letters appears once that minute has passed."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "broken.xml").write_text("this is not a feed")
    index = f"test-dlstream-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "letters"
    out.mkdir()
    with ExitStack() as resources:
        server = resources.enter_context(SeedServer(site))
        result = lifecycle.start(PipelineOptions(
            ["--streaming"], feeds=[server.url("broken.xml")], es_url=es_connection.url,
            allow_private_addresses=True, poll_interval=5.0, dead_letter_files=f"{out}/",
            **job_aliases(index)),
            resources, say=lambda _: None)
        try:
            deadline = time.monotonic() + 240
            while not list(out.glob("dead-letters*.jsonl")) and time.monotonic() < deadline:
                time.sleep(1)
        finally:
            lifecycle.cancel(result)
    drop_job_aliases(es_connection, index)
    files = list(out.glob("dead-letters*.jsonl"))
    assert files, "no dead-letter file within 240 s"
    letters = [json.loads(line) for file in files for line in file.read_text().splitlines()]
    assert letters and {(letter["unit"], letter["stage"]) for letter in letters} == {
        ("feed", "poll")}
