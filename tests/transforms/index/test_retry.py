"""The sink's handling of transient failures, against a loopback stand-in for the bulk API:
429 items are retried alone, a socket timeout is retried, and nothing is dead-lettered."""

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

from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.retry import RetryPolicy
from newswire.transforms.index.sink import BulkSettings, Document, WriteToElasticsearch
from tests.loopback import reply, serve


class FakeBulk(BaseHTTPRequestHandler):
    """Answers _bulk: each id's first attempt gets the scripted status, later ones 201, except
    ids in `overloaded`, which always get 429."""

    script: ClassVar[dict[str, int]] = {}
    overloaded: ClassVar[set[str]] = set()
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
            status = 429 if id_ in FakeBulk.overloaded else FakeBulk.script.pop(id_, 201)
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
    FakeBulk.overloaded = set()
    with serve(FakeBulk) as url:
        yield url


def write(url: str, ids: list[str], timeout: float = 5.0) -> dict[str, int]:
    documents = [Document(id=i, source={"id": i, "url": f"https://a.example/{i}"}, version=1)
                 for i in ids]
    pipeline = beam.Pipeline(runner=FnApiRunner())
    _ = (pipeline | beam.Create(documents)
         | WriteToElasticsearch(EsConnection(url, request_timeout=timeout), "articles", "t",
                                BulkSettings(retry=RetryPolicy(backoff=0.01))))
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


def test_retries_are_bounded_then_the_item_is_rejected(fake_es: str) -> None:
    FakeBulk.overloaded = {"a"}
    counts = write(fake_es, ["a", "b"])
    attempts = RetryPolicy().retries + 1
    assert (counts["created"], counts["rejected"]) == (1, 1)
    assert [ids.count("a") for ids in FakeBulk.requests] == [1] * attempts
