"""Streaming on the real Flink runtime keeps its state across a worker crash: the corpus polled
with `--runner flink --streaming --checkpointing_interval`, its Python stages on the wheel-only
worker pool (`--environment_type EXTERNAL`); once checkpoints complete, the pool and every SDK
harness it started are killed and the pool restarted on the same port. Flink restores the job
from its last checkpoint, and the index ends with every article of the corpus once.

`--runner flink` asks Beam's runner to finish each bundle before a checkpoint
(pipeline/job/runners.py): what a bundle output inside one would otherwise wait in it for the
step's next input, which a quiet streaming job may never bring. Each wait is bounded and says,
when it runs out, where the job stood; together they stay under the test's timeout."""

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
from tests.conftest import drop_job_aliases, job_aliases

pytestmark = [pytest.mark.es, pytest.mark.slow, pytest.mark.timeout(900)]
CHECKPOINT_MS = 3000
REST = re.compile(r"Rest endpoint listening at (localhost:\d+)")


def wait_for(condition: Callable[[], Any], timeout: float, what: str,
             situation: Callable[[], str] = lambda: "") -> Any:
    """The first true value of `condition`; fails the test after `timeout` seconds, saying
    what did not happen and `situation()`. An HTTP error counts as not yet: Flink's REST API
    answers 500 while a job (re)initializes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if value := condition():
                return value
        except urllib.error.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:.0f} s: {situation()}",
                        pytrace=False)
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
        self.rest, self.job = wait_for(self._find, 120, f"the Flink job {name}",
                                       lambda: f"not in {log} past byte {offset}")

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

    def describe(self) -> str:
        """The job's state, checkpoint counts and last failure, as far as the API answers."""
        try:
            failures = self.failures()
            last = failures[0].splitlines()[0] if failures else "none"
            return (f"job {self.status()}, checkpoints {self.checkpoints()}, "
                    f"{len(failures)} failures, the last: {last}")
        except OSError as error:
            return f"Flink's REST API at {self.rest} did not answer: {error}"


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
    aliases = job_aliases(index)
    totals = manifest["totals"]
    client = es_connection.client()
    options = PipelineOptions(
        ["--runner", "flink", "--streaming", "--parallelism", "1", "--job_name", index,
         "--checkpointing_interval", str(CHECKPOINT_MS), *worker_pool.pipeline_args()],
        feeds=[seed_server.url("feeds.opml")], es_url=es_connection.url,
        allow_private_addresses=True, poll_interval=5.0, **aliases)
    started = time.monotonic()

    def indexed() -> tuple[int, int]:
        return len(documents(client, index)), len(documents(client, aliases["dead_letter_index"]))

    try:
        with ExitStack() as resources:
            result = lifecycle.start(options, resources, say=print)
            try:
                cluster = EmbeddedCluster(log, offset, index)

                def situation() -> str:
                    articles, letters = indexed()
                    return (f"{cluster.describe()}; {articles} of {totals['indexed']} articles "
                            f"and {letters} of {totals['dead_letters']} dead letters indexed, "
                            f"{time.monotonic() - started:.0f} s in (logs: {log}, "
                            f"{worker_pool.log})")

                wait_for(lambda: cluster.checkpoints()["completed"] >= 1, 150,
                         "a completed checkpoint", situation)
                before = cluster.checkpoints()
                print(f"[flink] killing the worker pool: {before}, {indexed()} indexed")
                crash(worker_pool)
                # The job fails over for its lost workers: the harness's connection lost, or,
                # when the job asks first, the pool's port refusing it.
                wait_for(lambda: [trace for trace in cluster.failures()
                                  if "SDK Harness connection lost" in trace
                                  or "Connection refused" in trace], 90,
                         "the job failing over for its lost worker pool", situation)
                worker_pool.__enter__()  # a new pool on the same port
                wait_for(lambda: cluster.checkpoints()["restored"] >= 1, 150,
                         "a restore from the checkpoint", situation)
                wanted = (totals["indexed"], totals["dead_letters"])
                wait_for(lambda: all(n >= w for n, w in zip(indexed(), wanted, strict=True)), 240,
                         "every article and dead letter indexed after the restore", situation)
                restored = cluster.checkpoints()["completed"]
                wait_for(lambda: cluster.checkpoints()["completed"] > restored, 90,
                         "a checkpoint after the restore", situation)
                assert cluster.status() == "RUNNING", situation()
                print(f"[flink] recovered in {time.monotonic() - started:.0f} s: "
                      f"{cluster.checkpoints()}")
                articles = documents(client, index)
                dead = documents(client, aliases["dead_letter_index"])
            finally:
                lifecycle.cancel(result)
    finally:
        client.close()
        drop_job_aliases(es_connection, index)
    assert before["completed"] >= 1 and before["restored"] == 0
    links = sorted(entry["link"].replace("{{BASE_URL}}", seed_server.base_url)
                   for entry in manifest["entries"] if entry["outcome"] == "indexed")
    assert len(links) == totals["indexed"]
    assert sorted(article["url"] for article in articles) == links  # each article once
    assert len({article["_id"] for article in articles}) == len(articles)
    assert len(dead) == totals["dead_letters"]
