"""Issue 9, one retry layer: the client used to retry on its own (max_retries=2 and its
retry_on_status) under the sink's 4 retries, so one failing request was sent up to 15 times with
two different backoffs. Now the sink's RetryPolicy is the only one."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import apache_beam as beam
import pytest
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, ConnectionError

from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.retry import ClusterUnavailable, Repeater
from newswire.transforms.index.settings import RetryPolicy
from newswire.transforms.index.sink import BulkSettings, Document, WriteToElasticsearch
from tests.loopback import reply, serve


class Unavailable(BaseHTTPRequestHandler):
    """Answers every bulk request 503, counting them."""

    requests: ClassVar[list[str]] = []

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        Unavailable.requests.append(self.path)
        reply(self, 503, b'{"error":{"type":"unavailable","reason":"busy"},"status":503}',
              {"Content-Type": "application/json", "X-Elastic-Product": "Elasticsearch"})

    do_POST = do_PUT

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def unavailable() -> Iterator[str]:
    Unavailable.requests = []
    with serve(Unavailable) as url:
        yield url


def test_a_failing_request_is_sent_as_often_as_the_policy_says(unavailable: str) -> None:
    policy = RetryPolicy(backoff=0.01)
    pipeline = beam.Pipeline(runner=FnApiRunner())
    _ = (pipeline | beam.Create([Document(id="a", source={"id": "a"}, version=1)])
         | WriteToElasticsearch(EsConnection(unavailable), "articles", "t",
                                BulkSettings(retry=policy)))
    with pytest.raises(Exception, match="503"):
        pipeline.run().wait_until_finish()
    assert len(Unavailable.requests) == policy.retries + 1


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def failing(error: Exception, times: int, calls: list[int]) -> object:
    def request() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return "ok"
    return request


def api_error(status: int) -> ApiError:
    meta = ApiResponseMeta(status, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "es", 9200))
    return ApiError("error", meta, {})


def test_the_repeater_waits_out_an_outage_with_capped_backoff() -> None:
    clock = Clock()
    repeater = Repeater(RetryPolicy(backoff=0.5, max_backoff=4, outage_wait=60, jitter=0), "es",
                        clock.sleep, lambda: clock.now)
    calls: list[int] = []
    assert repeater.call(failing(ConnectionError("refused"), 8, calls)) == "ok"
    assert clock.sleeps == [0.5, 1, 2, 4, 4, 4, 4, 4]  # past `retries`: the node is down


def test_the_repeater_gives_up_on_an_outage_past_the_wait() -> None:
    clock = Clock()
    repeater = Repeater(RetryPolicy(backoff=1, max_backoff=1, outage_wait=5, jitter=0), "es",
                        clock.sleep, lambda: clock.now)
    with pytest.raises(ClusterUnavailable, match="has not answered for 5 s"):
        repeater.call(failing(ConnectionError("refused"), 100, []))


def test_the_repeater_waits_out_429s_as_long_as_an_outage() -> None:
    clock = Clock()
    repeater = Repeater(RetryPolicy(retries=2, backoff=1, max_backoff=4, outage_wait=60), "es",
                        clock.sleep, lambda: clock.now)
    calls: list[int] = []
    assert repeater.call(failing(api_error(429), 10, calls)) == "ok"  # well past `retries`
    assert len(calls) == 11
    with pytest.raises(ClusterUnavailable,
                       match=r"has answered 429 \(too many requests\) for 6\d s"):
        repeater.call(failing(api_error(429), 100, []))


def test_waits_are_spread_by_jitter_below_the_doubling() -> None:
    policy = RetryPolicy(backoff=1, max_backoff=8, jitter=0.5)
    for attempt, ceiling in ((1, 1), (2, 2), (3, 4), (4, 8), (9, 8)):
        delays = {policy.delay(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1  # workers refused together come back apart


def test_the_repeater_retries_5xx_a_bounded_number_of_times_and_400_not_at_all() -> None:
    clock = Clock()
    repeater = Repeater(RetryPolicy(retries=2), "es", clock.sleep, lambda: clock.now)
    calls: list[int] = []
    with pytest.raises(ApiError):
        repeater.call(failing(api_error(503), 100, calls))
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(ApiError):
        repeater.call(failing(api_error(400), 100, calls))
    assert len(calls) == 1
