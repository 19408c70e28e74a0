"""Streaming on the real Flink runtime keeps its state across a worker crash: the corpus polled
with `--runner flink --streaming --checkpointing_interval`, its Python stages on the wheel-only
worker pool (`--environment_type EXTERNAL`); once checkpoints complete, the pool and every SDK
harness it started are killed and the pool restarted on the same port. Flink restores the job
from its last checkpoint, and the index ends with every article of the corpus once."""

from __future__ import annotations

import json
import os
import re
import signal
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from elasticsearch import Elasticsearch

from newswire.pipeline.job import lifecycle
from newswire.pipeline.services.flink import ensure_flink_job_server, flink_root
from newswire.pipeline.services.seed_server import SeedServer
from newswire.pipeline.services.worker_pool import WorkerPool
from newswire.transforms.index.client import EsConnection
from tests.conftest import drop_index

# Recovery after the pool is killed did not come within the waits below in 3 of 9 runs here;
# until it does every time, the test runs where it is asked for, not in the default suite.
pytestmark = [
    pytest.mark.es, pytest.mark.timeout(900),
    pytest.mark.skipif(os.environ.get("NEWSWIRE_FLINK_CHECKPOINT") != "1",
                       reason="set NEWSWIRE_FLINK_CHECKPOINT=1: recovery is not yet reliable "
                       "within its waits"),
]
CHECKPOINT_MS = 3000
REST = re.compile(r"Rest endpoint listening at (localhost:\d+)")


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """The first true value of `condition`; fails the test after `timeout` seconds. An HTTP
    error counts as not yet: Flink's REST API answers 500 while a job (re)initializes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if value := condition():
                return value
        except urllib.error.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.5)


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


class EmbeddedCluster:
    """The REST API of the Flink cluster the job server embedded for the job named `name`.

    Each embedded cluster logs its REST address into the job servers' shared log, where other
    runs' clusters log theirs too: the one to follow is the one running this job.
    """

    def __init__(self, log: Path, offset: int, name: str) -> None:
        self.log, self.offset, self.name = log, offset, name
        self.rest, self.job = wait_for(self._find, 240, f"the Flink job {name}")

    def _find(self) -> tuple[str, str] | None:
        with self.log.open("rb") as log:
            log.seek(self.offset)
            addresses = REST.findall(log.read().decode(errors="replace"))
        for address in dict.fromkeys(addresses):
            try:
                jobs = get(f"http://{address}/jobs/overview")["jobs"]
            except OSError:  # another run's cluster, gone since or not ready
                continue
            for job in jobs:
                if job["name"] == self.name:
                    return address, job["jid"]
        return None

    def get(self, path: str) -> dict[str, Any]:
        return get(f"http://{self.rest}{path}")

    def status(self) -> str:
        return self.get(f"/jobs/{self.job}")["state"]

    def failures(self) -> list[str]:
        """The stack traces of the exceptions the job has failed over with."""
        history = self.get(f"/jobs/{self.job}/exceptions")["exceptionHistory"]["entries"]
        return [entry["stacktrace"] for entry in history]

    def checkpoints(self) -> dict[str, int]:
        """Completed, failed and restored checkpoint counts."""
        return self.get(f"/jobs/{self.job}/checkpoints")["counts"]


def documents(client: Elasticsearch, index: str) -> list[dict[str, Any]]:
    """The documents in `index`, each its source with its `_id`."""
    client.indices.refresh(index=index)
    return [{"_id": hit["_id"], **hit["_source"]} for hit in client.search(
        index=index, size=1000, source=["url"])["hits"]["hits"]]


def crash(pool: WorkerPool) -> None:
    """Kill the pool and the SDK harnesses it started, at once, as a lost pod would be."""
    os.killpg(pool._process.pid, signal.SIGKILL)  # its own session: harnesses included
    pool._process.wait()


def test_flink_checkpoint_restores_the_job_after_the_worker_pool_is_killed(
        worker_pool: WorkerPool, es_connection: EsConnection, seed_server: SeedServer,
        manifest: dict) -> None:
    ensure_flink_job_server(say=lambda line: print(f"[flink] {line}"))
    log = flink_root() / "job-server.log"
    offset = log.stat().st_size if log.exists() else 0
    index = f"test-flinkcp-{uuid.uuid4().hex[:8]}"
    totals = manifest["totals"]
    client = es_connection.client()
    options = PipelineOptions(
        ["--runner", "flink", "--streaming", "--parallelism", "1", "--job_name", index,
         "--checkpointing_interval", str(CHECKPOINT_MS), *worker_pool.pipeline_args()],
        feeds=[seed_server.url("feeds.opml")], es_url=es_connection.url, index=index,
        dead_letter_index=f"{index}-dead", history_index=f"{index}-history",
        allow_private_addresses=True, poll_interval=5.0)
    try:
        with ExitStack() as resources:
            result = lifecycle.start(options, resources, say=print)
            try:
                cluster = EmbeddedCluster(log, offset, index)
                wait_for(lambda: cluster.checkpoints()["completed"] >= 1, 240,
                         "a completed checkpoint")
                before = cluster.checkpoints()
                indexed = len(documents(client, index))
                print(f"[flink] killing the worker pool: {before}, {indexed} articles indexed")
                crash(worker_pool)
                # The job fails over for its lost workers: the harness's connection lost, or,
                # when the job asks first, the pool's port refusing it.
                wait_for(lambda: [trace for trace in cluster.failures()
                                  if "SDK Harness connection lost" in trace
                                  or "Connection refused" in trace], 120,
                         "the job failing over for its lost worker pool")
                worker_pool.__enter__()  # a new pool on the same port
                wait_for(lambda: cluster.checkpoints()["restored"] >= 1, 240,
                         "a restore from the checkpoint")
                wait_for(lambda: len(documents(client, index)) >= totals["indexed"]
                         and len(documents(client, f"{index}-dead")) >= totals["dead_letters"],
                         300, "every article and dead letter indexed")
                restored = cluster.checkpoints()["completed"]
                wait_for(lambda: cluster.checkpoints()["completed"] > restored, 120,
                         "a checkpoint after the restore")
                assert cluster.status() == "RUNNING"
                print(f"[flink] recovered: {cluster.checkpoints()}")
                articles = documents(client, index)
                dead = documents(client, f"{index}-dead")
            finally:
                lifecycle.cancel(result)
    finally:
        client.close()
        for alias in (index, f"{index}-dead", f"{index}-history"):
            drop_index(es_connection, alias)
    assert before["completed"] >= 1 and before["restored"] == 0
    links = sorted(entry["link"].replace("{{BASE_URL}}", seed_server.base_url)
                   for entry in manifest["entries"] if entry["outcome"] == "indexed")
    assert len(links) == totals["indexed"]
    assert sorted(article["url"] for article in articles) == links  # each article once
    assert len({article["_id"] for article in articles}) == len(articles)
    assert len(dead) == totals["dead_letters"]
