"""The sink's handling of transient failures, against a loopback stand-in for the bulk API:
429 and 5xx items are retried alone, a socket timeout is retried, and nothing is dead-lettered;
5xx items only a few times, 429 items for as long as the policy waits for an overloaded node."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP

from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.retry import ClusterUnavailable
from newswire.transforms.index.settings import RetryPolicy
from newswire.transforms.index.sink import BulkSettings, Document, WriteToElasticsearch
from tests.loopback import reply, serve


class FakeBulk(BaseHTTPRequestHandler):
    """Answers _bulk: each id's first attempt gets the scripted status, later ones 201, except
    ids in `failing`, which always get their status there."""

    script: ClassVar[dict[str, int]] = {}
    failing: ClassVar[dict[str, int]] = {}
    stall_first_request: ClassVar[float] = 0.0
    requests: ClassVar[list[list[str]]] = []

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        lines = [json.loads(line) for line in body.splitlines() if line]
        ids = [line["index"]["_id"] for line in lines[::2]]
        FakeBulk.requests.append(ids)
        if len(FakeBulk.requests) == 1 and FakeBulk.stall_first_request:
            time.sleep(FakeBulk.stall_first_request)
        items = []
        for id_ in ids:
            status = FakeBulk.failing.get(id_) or FakeBulk.script.pop(id_, 201)
            item = {"_id": id_, "status": status}
            if status >= 400:
                item["error"] = {"type": "es_rejected_execution_exception", "reason": "busy"}
            items.append({"index": item})
        payload = json.dumps({"took": 1, "errors": any(i["index"]["status"] >= 400
                                                       for i in items), "items": items})
        reply(self, 200, payload.encode(), {"Content-Type": "application/json",
                                            "X-Elastic-Product": "Elasticsearch"})

    do_POST = do_PUT

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def fake_es() -> Iterator[str]:
    FakeBulk.script, FakeBulk.requests, FakeBulk.stall_first_request = {}, [], 0.0
    FakeBulk.failing = {}
    with serve(FakeBulk) as url:
        yield url


QUICK = RetryPolicy(backoff=0.01)


def write(url: str, ids: list[str], timeout: float = 5.0,
          policy: RetryPolicy = QUICK) -> dict[str, int]:
    documents = [Document(id=i, source={"id": i, "url": f"https://a.example/{i}"}, version=1)
                 for i in ids]
    pipeline = beam.Pipeline(runner=FnApiRunner())
    _ = (pipeline | beam.Create(documents)
         | WriteToElasticsearch(EsConnection(url, request_timeout=timeout), "articles", "t",
                                BulkSettings(retry=policy)))
    result = pipeline.run()
    result.wait_until_finish()
    counters = result.metrics().query(MetricsFilter().with_namespace("newswire"))["counters"]
    return {c.key.metric.name.removeprefix("t_"): c.committed for c in counters}


def test_429_items_are_retried_alone(fake_es: str) -> None:
    FakeBulk.script = {"b": 429, "c": 503}
    counts = write(fake_es, ["a", "b", "c"])
    assert counts["created"] == 3
    assert counts["retried"] == 2
    assert "rejected" not in counts
    assert sorted(FakeBulk.requests[0]) == ["a", "b", "c"]
    assert sorted(FakeBulk.requests[1]) == ["b", "c"]


def test_a_socket_timeout_is_retried(fake_es: str) -> None:
    FakeBulk.stall_first_request = 1.5
    counts = write(fake_es, ["a"], timeout=0.5)
    assert counts["created"] == 1
    assert len(FakeBulk.requests) >= 2


def test_5xx_retries_are_bounded_then_the_item_is_rejected(fake_es: str) -> None:
    FakeBulk.failing = {"a": 503}
    counts = write(fake_es, ["a", "b"])
    attempts = RetryPolicy().retries + 1
    assert (counts["created"], counts["rejected"]) == (1, 1)
    assert [ids.count("a") for ids in FakeBulk.requests] == [1] * attempts


def test_429_items_are_retried_until_the_wait_is_over_then_the_run_stops(fake_es: str) -> None:
    # The writer is driven by hand: a job failing under Beam would log the failure, and the
    # `newswire` command of a later test would print that record.
    FakeBulk.failing = {"a": 429}
    policy = RetryPolicy(backoff=0.05, max_backoff=0.2, outage_wait=2)
    writer = WriteToElasticsearch(EsConnection(fake_es), "articles", "t",
                                  BulkSettings(retry=policy)).writer
    writer.setup()
    started = time.monotonic()
    try:
        writer.start_bundle()
        for id_ in ("a", "b"):
            list(writer.process(Document(id=id_, source={"id": id_}, version=1),
                                GlobalWindow(), MIN_TIMESTAMP))
        with pytest.raises(ClusterUnavailable,
                           match=r"has answered 429 \(too many requests\) for 2 s"):
            list(writer.finish_bundle())
    finally:
        writer.teardown()
    assert time.monotonic() - started >= 2
    assert len(FakeBulk.requests) > policy.retries + 1  # not given up after the 5xx budget
