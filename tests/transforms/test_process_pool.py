"""OrderedPool: results in input order, a bounded number in flight, dead workers survived."""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timezone

import apache_beam as beam
import pytest
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to

from newswire.schemas.article import Article
from newswire.transforms.extraction.extract import ExtractArticles, read_page
from newswire.transforms.process_pool import OrderedPool
from newswire.transforms.records import DEAD_LETTER, DeadLetter, FeedEntry, Page

KILLER = 13  # the item that kills its worker, every time it is tried
FLAKY_MARK = "flaky-died-once"  # a file: the flaky item has killed a worker already


def slow_square(item: int) -> tuple[int, int]:
    time.sleep(0.01 * (item % 3))  # finish out of order
    return item * item, os.getpid()


def square_or_die(item: int | str) -> int | str:
    if item == KILLER:
        os._exit(1)
    if isinstance(item, str):  # a path: die the first time only
        if not os.path.exists(item):
            open(item, "w").close()
            os._exit(1)
        return "survived"
    return item * item


def gave_up(item: int) -> str:
    return f"gave up on {item}"


def run(pool: OrderedPool, items: list) -> list:
    pool.open()
    try:
        results = [result for item in items for _, result in pool.put(item, item)]
        return results + [result for _, result in pool.drain()]
    finally:
        pool.close()


def test_results_come_back_in_input_order_from_several_processes() -> None:
    results = run(OrderedPool(slow_square, 2, gave_up), list(range(30)))
    assert [square for square, _ in results] == [n * n for n in range(30)]
    assert len({pid for _, pid in results}) == 2
    assert os.getpid() not in {pid for _, pid in results}


def test_at_most_twice_the_processes_are_in_flight() -> None:
    pool = OrderedPool(slow_square, 2, gave_up)
    pool.open()
    try:
        most, results = 0, []
        for item in range(20):
            results += pool.put(item)
            most = max(most, len(pool.pending))
        results += pool.drain()
        assert most == 4
        assert len(results) == 20 and not pool.pending
    finally:
        pool.close()


def test_a_worker_that_dies_is_replaced_and_its_items_tried_again(tmp_path) -> None:
    flaky = str(tmp_path / FLAKY_MARK)
    results = run(OrderedPool(square_or_die, 2, gave_up), [1, 2, flaky, 3, 4])
    assert results == [1, 4, "survived", 9, 16]


def test_an_item_that_kills_its_worker_twice_is_given_up_and_the_rest_go_on() -> None:
    results = run(OrderedPool(square_or_die, 2, gave_up), [1, 2, KILLER, 3, 4, 5, KILLER, 6])
    assert results == [1, 4, f"gave up on {KILLER}", 9, 16, 25, f"gave up on {KILLER}", 36]


@pytest.mark.parametrize("processes", [1, 3])
def test_any_number_of_processes(processes: int) -> None:
    results = run(OrderedPool(slow_square, processes, gave_up), list(range(7)))
    assert [square for square, _ in results] == [n * n for n in range(7)]


PAGE = """<html><head><title>Harbour market {n} reopens</title></head><body><article>
<h1>Harbour market {n} reopens</h1><p>The harbour board voted on Tuesday to reopen market {n}
after two years of repairs, and traders said they expected crowds by the weekend.</p>
<p>Repairs to the old pier cost more than planned, the board said, but came in on time.</p>
</article></body></html>"""
LINKS = "<html><body><a href='/'>Home</a></body></html>"


def test_extracting_in_processes_gives_what_extracting_inline_gives() -> None:
    pages = [Page(entry=FeedEntry(link=f"https://news.example/{n}",
                                  feed_url="https://news.example/rss"),
                  url=f"https://news.example/{n}", html=PAGE.format(n=n) if n % 4 else LINKS,
                  fetched_at=datetime(2026, 12, 1, tzinfo=timezone.utc)) for n in range(12)]
    inline = [read_page(page) for page in pages]
    titles = [out.title for out in inline if isinstance(out, Article)]
    reasons = [(out.url, out.reason) for out in inline if isinstance(out, DeadLetter)]
    assert len(titles) == 9 and len(reasons) == 3

    with beam.Pipeline(runner=FnApiRunner()) as pipeline:
        out = (pipeline | beam.Create(pages)
               | beam.ParDo(ExtractArticles(processes=2)).with_outputs(DEAD_LETTER, main="ok"))
        assert_that(out.ok | beam.Map(lambda article: article.title), equal_to(titles),
                    label="titles")
        assert_that(out[DEAD_LETTER] | beam.Map(lambda letter: (letter.url, letter.reason)),
                    equal_to(reasons), label="reasons")


def warns(item: int) -> int:
    logging.getLogger("some.library").warning("a warning in a worker, about %s", item)
    return item


def test_workers_print_no_log_records(capfd: pytest.CaptureFixture[str]) -> None:
    assert run(OrderedPool(warns, 2, gave_up), [1, 2, 3]) == [1, 2, 3]
    assert "a warning in a worker" not in capfd.readouterr().err
