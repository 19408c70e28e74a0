"""The crawl state on the real node: a second batch run over unchanged feeds asks each feed
conditionally, fetches no page and changes no index; what changed or was left is fetched."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing import test_stream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue
from elasticsearch import Elasticsearch

from newswire.pipeline import cli
from newswire.pipeline.job import lifecycle
from newswire.pipeline.job.summary import Summary
from newswire.pipeline.services.prism import PrismJobServer
from newswire.transforms.coders import StateKey
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import (
    DEAD_LETTER_MAPPING,
    HISTORY_MAPPING,
    article_mapping_for,
    current_index,
    ensure_index,
)
from newswire.transforms.index.pieces import first_piece
from newswire.transforms.records import DeadLetter, FeedEntry
from newswire.transforms.sources import state as crawl_state
from newswire.transforms.sources.schedule import FeedState
from newswire.transforms.sources.settings import StateSettings, entry_id, source_id
from newswire.transforms.sources.state import (
    STATE_MAPPING,
    CrawlState,
    _AwaitWritten,
    edited_in_place,
    is_due,
    retry_due,
)
from tests.conftest import drop_index
from tests.faults.site import article_id, write_site
from tests.loopback import CountingServer
from tests.transforms.duplicates.test_exact import article, at, prism_pipeline, stamp

pytestmark = [pytest.mark.es, pytest.mark.slow]
PAGES = 8
DAY = 86400.0
NOW = 1_800_000_000.0


def dates(count: int) -> dict[str, str]:
    return {f"story{i}": f"2026-11-{10 + i:02d}T10:00:00Z" for i in range(count)}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[CountingServer, Path]]:
    root = tmp_path / "site"
    root.mkdir()
    write_site(root, dates(PAGES))
    with CountingServer(root) as server:
        feeds = tmp_path / "feeds.txt"  # a list, so the feed itself is first asked by the job
        feeds.write_text(server.url("feed.xml") + "\n")
        yield server, feeds


def run(feeds: Path, connection: EsConnection, aliases: dict[str, str],
        **options: Any) -> Summary:
    return lifecycle.run(PipelineOptions(feeds=[str(feeds)], es_url=connection.url,
                                         allow_private_addresses=True, **aliases, **options),
                         say=lambda _: None)


def snapshot(client: Elasticsearch, aliases: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every document of the job's indices but the state, with its version and sequence
    number (any write moves the latter)."""
    written = [alias for name, alias in aliases.items() if name != "state_index"]
    client.indices.refresh(index=written)
    return {alias: {hit["_id"]: (hit["_version"], hit["_seq_no"]) for hit in client.search(
        index=alias, size=1000, version=True, seq_no_primary_term=True)["hits"]["hits"]}
        for alias in written}


def test_a_rerun_over_unchanged_feeds_fetches_no_page_and_changes_no_index(
        site: tuple[CountingServer, Path], es_connection: EsConnection,
        es_client: Elasticsearch, aliases: dict[str, str]) -> None:
    server, feeds = site
    first = run(feeds, es_connection, aliases)
    assert (first.entries_seen, first.created) == (PAGES, PAGES)
    assert len(server.pages_asked()) == PAGES
    before = snapshot(es_client, aliases)
    server.asked.clear()
    gone = "https://gone.example/rss"  # a source dropped from the feed lists 40 days ago
    stale = CrawlState(StateSettings(es_connection, aliases["state_index"])).open()
    try:
        stale.record_poll(FeedState(gone, last_poll=time.time() - 40 * DAY), "200", "",
                          [FeedEntry(link="https://gone.example/a", feed_url=gone)],
                          time.time() - 40 * DAY)
    finally:
        stale.close()

    second = run(feeds, es_connection, aliases)
    assert server.pages_asked() == Counter()
    assert server.asked["/feed.xml"] == 1 and second.feeds_not_modified == 1  # a 304
    assert (second.entries_seen, second.pages_fetched, second.indexed) == (0, 0, 0)
    assert second.balanced
    assert snapshot(es_client, aliases) == before

    found = es_client.mget(index=aliases["state_index"], ids=[
        source_id(gone), entry_id("https://gone.example/a")])["docs"]
    assert [doc["found"] for doc in found] == [False, False]  # pruned by the run
    source = es_client.get(index=aliases["state_index"], id=source_id(server.url("feed.xml")))
    assert source["_source"]["outcome"] == "304" and source["_source"]["entries"] == PAGES
    record = es_client.get(index=aliases["state_index"],
                           id=entry_id(server.url("story3.html")))["_source"]
    assert record["article_id"] == article_id(server.base_url, "story3")
    assert record["first_seen"] <= record["last_seen"] <= record["fetched_at"] + 60


def test_an_index_written_without_a_state_gains_it_on_the_next_run(
        site: tuple[CountingServer, Path], es_connection: EsConnection,
        es_client: Elasticsearch, aliases: dict[str, str]) -> None:
    """As after an upgrade from a version that kept no crawl state: that run fetches once more
    and changes no article; the next fetches nothing."""
    server, feeds = site
    run(feeds, es_connection, aliases)
    drop_index(es_connection, aliases["state_index"])
    before = snapshot(es_client, aliases)
    server.asked.clear()
    upgraded = run(feeds, es_connection, aliases)
    assert len(server.pages_asked()) == PAGES and upgraded.unchanged == PAGES
    assert snapshot(es_client, aliases) == before
    server.asked.clear()
    after = run(feeds, es_connection, aliases)
    assert server.pages_asked() == Counter()
    assert (after.feeds_not_modified, after.pages_fetched, after.indexed) == (1, 0, 0)


def test_a_new_entry_is_the_only_page_fetched(
        site: tuple[CountingServer, Path], es_connection: EsConnection,
        aliases: dict[str, str]) -> None:
    server, feeds = site
    run(feeds, es_connection, aliases)
    write_site(server.layers[0], dates(PAGES + 1))  # the feed lists one more story
    server.asked.clear()
    second = run(feeds, es_connection, aliases)
    assert server.pages_asked() == Counter({f"/story{PAGES}.html": 1})
    assert (second.feeds_not_modified, second.entries_seen, second.created) == (0, 1, 1)
    assert second.balanced


def test_an_entry_a_run_did_not_record_is_fetched_by_the_next(
        site: tuple[CountingServer, Path], es_connection: EsConnection,
        es_client: Elasticsearch, aliases: dict[str, str]) -> None:
    """As if the first run had died after polling, before story2's article was written."""
    server, feeds = site
    run(feeds, es_connection, aliases)
    record_id = entry_id(server.url("story2.html"))
    record = es_client.get(index=aliases["state_index"], id=record_id)["_source"]
    unfetched = {key: value for key, value in record.items()
                 if key not in ("fetched_at", "fetched_updated", "article_id",
                                "article_version", "fingerprint")}
    es_client.index(index=aliases["state_index"], id=record_id, document=unfetched,
                    refresh=True)
    server.asked.clear()
    second = run(feeds, es_connection, aliases)
    assert second.feeds_not_modified == 1  # the feed did not change: the state handed it on
    assert server.pages_asked() == Counter({"/story2.html": 1})
    assert (second.entries_seen, second.unchanged) == (1, 1)


def test_a_recheck_asks_every_page_again_with_the_validators_it_was_served_with(
        site: tuple[CountingServer, Path], es_connection: EsConnection,
        es_client: Elasticsearch, aliases: dict[str, str]) -> None:
    """`--recheck-age 0` asks every page again, conditionally: the pages not changed answer
    304 (nothing extracted or written, the record's fetch time moved on), the changed ones are
    fetched whole and their articles updated, whether the page's dates moved or not. Every
    re-check was a full fetch before, and an edit without new dates stayed `unchanged`."""
    server, feeds = site
    run(feeds, es_connection, aliases)
    first_fetch = es_client.get(index=aliases["state_index"],
                                id=entry_id(server.url("story0.html")))["_source"]
    before = snapshot(es_client, aliases)
    write_site(server.layers[0], {**dates(PAGES), "story3": "2026-11-20T10:00:00Z"})
    edited = server.layers[0] / "story5.html"  # changed, its dates not
    edited.write_text(edited.read_text().replace("next week", "next month"))
    server.requests.clear()
    time.sleep(1)  # so the re-check's fetch time is a later second
    second = run(feeds, es_connection, aliases, recheck_age="0")
    pages = [request for request in server.requests if request.path.endswith(".html")]
    assert len(pages) == PAGES and all(request.if_none_match for request in pages)
    assert second.balanced
    assert (second.entries_seen, second.pages_fetched, second.pages_not_modified,
            second.articles_extracted, second.updated) == (PAGES, PAGES, PAGES - 2, 2, 2)
    assert "(6 not modified)" in second.render()
    after = snapshot(es_client, aliases)[aliases["index"]]
    changed = {doc for doc, seen in after.items() if seen != before[aliases["index"]][doc]}
    assert changed == {article_id(server.base_url, slug) for slug in ("story3", "story5")}
    record = es_client.get(index=aliases["state_index"],
                           id=entry_id(server.url("story0.html")))["_source"]
    assert record["fetched_at"] > first_fetch["fetched_at"]
    assert (record["etag"], record["article_id"]) == (first_fetch["etag"],
                                                      first_fetch["article_id"])


def test_a_page_that_failed_is_left_alone_until_its_retry_is_due(
        site: tuple[CountingServer, Path], es_connection: EsConnection,
        es_client: Elasticsearch, aliases: dict[str, str]) -> None:
    server, feeds = site
    missing = server.layers[0] / "story5.html"
    page = missing.read_text()
    missing.unlink()

    def record() -> dict[str, Any]:
        return es_client.get(index=aliases["state_index"],
                             id=entry_id(server.url("story5.html")))["_source"]

    first = run(feeds, es_connection, aliases)
    assert (first.created, first.dead_letters_by_stage) == (PAGES - 1, {"fetch": 1})
    assert record()["failures"] == 1 and "404" in record()["error"] and record()["lasting"]
    server.asked.clear()
    second = run(feeds, es_connection, aliases)  # within the hour: the page is not asked
    assert server.pages_asked() == Counter()
    assert (second.entries_seen, second.dead_letters, second.waiting_retry) == (0, 0, 1)

    third = run(feeds, es_connection, aliases, retry_failed="0")  # no wait: asked, fails again
    assert server.pages_asked() == Counter({"/story5.html": 1})
    assert third.dead_letters_by_stage == {"fetch": 1} and record()["failures"] == 2
    assert (third.entries_seen, third.retried) == (1, 1)
    missing.write_text(page)
    server.asked.clear()
    fourth = run(feeds, es_connection, aliases, retry_failed="0")
    assert server.pages_asked() == Counter({"/story5.html": 1})
    assert (fourth.created, fourth.dead_letters) == (1, 0)
    assert (record()["failures"], record()["failed_at"], record()["retry_due"]) == (0, None, None)
    assert record()["article_id"] == article_id(server.base_url, "story5")


def recheck(age: float | None) -> StateSettings:
    return StateSettings(EsConnection(), "state", recheck_age=age)


def test_a_recheck_that_finds_its_page_edited_without_new_dates_outranks_the_indexed_version(
        ) -> None:
    indexed = article("https://a.example/x", 10)
    entry = FeedEntry(link=indexed.url, feed_url="https://a.example/rss",
                      indexed_fingerprint=indexed.fingerprint,
                      indexed_version=indexed.version + 5, page_version=indexed.version)
    edited = article(indexed.url, 10, body="Body, corrected.")
    advanced = edited_in_place(edited, entry)
    assert advanced.version > entry.indexed_version
    assert (advanced.fingerprint, advanced.provenance["updated_at"]) == (edited.fingerprint,
                                                                         "first-seen")
    assert edited_in_place(indexed, entry) == indexed  # the same text: a repeat
    older = article(indexed.url, 9, body="An older copy.")
    assert edited_in_place(older, entry) == older  # to lose to the newer one indexed
    assert edited_in_place(edited, replace(entry, page_version=0)) == edited  # recorded before


def test_an_entry_is_due_when_new_unfetched_updated_or_old_enough() -> None:
    entry = FeedEntry(link="https://a.example/x", feed_url="https://a.example/rss")
    fetched = {"fetched_at": 1000, "fetched_updated": None}
    assert is_due(entry, None, 2000, recheck(None))
    assert is_due(entry, {"first_seen": 900}, 2000, recheck(None))
    assert not is_due(entry, fetched, 2000, recheck(None))
    assert not is_due(entry, fetched, 2000, recheck(1001))
    assert is_due(entry, fetched, 2000, recheck(1000))
    updated = FeedEntry(link=entry.link, feed_url=entry.feed_url,
                        updated=datetime.fromtimestamp(1500, timezone.utc))
    assert is_due(updated, fetched, 2000, recheck(None))
    assert not is_due(updated, {"fetched_at": 1600, "fetched_updated": 1500}, 2000,
                      recheck(None))


def test_an_entry_whose_page_failed_waits_longer_after_each_failure_in_a_row() -> None:
    settings = StateSettings(EsConnection(), "state", recheck_age=0, retry_failed=3600)
    assert [settings.failed_wait(n) for n in (1, 2, 3, 5, 6, 10_000)] == [
        3600, 7200, 14400, 57600, DAY, DAY]
    entry = FeedEntry(link="https://a.example/x", feed_url="https://a.example/rss")

    def failed(failures: int, fetched: bool = False) -> dict[str, Any]:
        return {"failed_at": 10_000, "failures": failures, **({"fetched_at": 5000} if fetched
                                                               else {})}

    assert not is_due(entry, failed(1), 10_000 + 3599, settings)
    assert is_due(entry, failed(1), 10_000 + 3600, settings)
    assert not is_due(entry, failed(3), 10_000 + 14399, settings)
    # a re-check that failed waits too, though a re-check is due at every run (recheck_age 0)
    assert not is_due(entry, failed(1, fetched=True), 10_000 + 60, settings)
    assert is_due(entry, failed(1), 10_000, StateSettings(EsConnection(), "s", retry_failed=0))
    # a retry handed on (under way, or lost with its job) counts as a try: the wait restarts
    handed_on = {**failed(1), "retried_at": 10_000 + 3600}
    assert not is_due(entry, handed_on, 10_000 + 7199, settings)
    assert is_due(entry, handed_on, 10_000 + 7200, settings)
    assert (retry_due(failed(3), settings), retry_due(handed_on, settings)) == (24_400, 17_200)
    assert retry_due({"fetched_at": 5000}, settings) is None


def test_a_page_that_would_fail_the_same_way_again_is_asked_rarely_but_not_given_up() -> None:
    """A page gone (a 404, a PDF, disallowed by robots.txt) waits as long as any failure at
    first (it may be listed before it is put up), then goes on doubling past a day, to a
    month: tried again 9 times in the month after it failed, not 33 (daily after the fifth)."""
    settings = StateSettings(EsConnection(), "state", retry_failed=3600)
    assert [settings.failed_wait(n, lasting=True) for n in (1, 2, 6, 7, 10, 11, 10_000)] == [
        3600, 7200, 32 * 3600, 64 * 3600, 512 * 3600, 30 * DAY, 30 * DAY]

    def retries_in_a_month(lasting: bool) -> int:
        waited = retries = 0
        while (waited := waited + settings.failed_wait(retries + 1, lasting)) <= 30 * DAY:
            retries += 1
        return retries

    assert (retries_in_a_month(lasting=True), retries_in_a_month(lasting=False)) == (9, 33)
    gone = {"failed_at": 10_000, "failures": 7, "lasting": True}
    assert retry_due(gone, settings) == 10_000 + 64 * 3600
    assert retry_due({**gone, "lasting": False}, settings) == 10_000 + DAY
    assert StateSettings(EsConnection(), "s", retry_failed=0).failed_wait(7, lasting=True) == 0


def test_two_runs_at_once_index_nothing_twice_and_lose_nothing(
        site: tuple[CountingServer, Path], es_connection: EsConnection,
        es_client: Elasticsearch, aliases: dict[str, str]) -> None:
    server, feeds = site
    # The aliases exist, as for a scheduled run that overlaps the one before it (two runs
    # creating an index at the same instant is the index layout's own race).
    mappings = {"index": article_mapping_for(es_client), "dead_letter_index": DEAD_LETTER_MAPPING,
                "history_index": HISTORY_MAPPING, "state_index": STATE_MAPPING}
    for name, alias in aliases.items():
        ensure_index(es_client, alias, mappings[name])
    command = [str(Path(sys.executable).with_name("newswire")), "run", "--feeds", str(feeds),
               "--es-url", es_connection.url, "--allow-private-addresses",
               *[f"--{name.replace('_', '-')}={alias}" for name, alias in aliases.items()]]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], "\n=====\n".join(outputs)
    created = [int(re.search(r"indexed +\d+ +\(new (\d+)", out)[1]) for out in outputs]
    assert sum(created) == PAGES  # each article created by one run; the other found it there
    assert all("dead letters: yes" in out for out in outputs), outputs

    es_client.indices.refresh(index=list(aliases.values()))
    assert es_client.count(index=aliases["index"])["count"] == PAGES
    assert es_client.count(index=aliases["dead_letter_index"])["count"] == 0
    unfetched = es_client.count(index=aliases["state_index"], query={"bool": {
        "filter": {"term": {"kind": "entry"}},
        "must_not": {"exists": {"field": "fetched_at"}}}})["count"]
    assert unfetched == 0  # every entry is recorded with its article
    server.asked.clear()
    third = run(feeds, es_connection, aliases)
    assert server.pages_asked() == Counter() and third.indexed == 0


RETRY = 3600


@pytest.fixture
def crowded(es_client: Elasticsearch, es_connection: EsConnection, index_name: str,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CrawlState, list[FeedEntry]]]:
    """A source's state with more pending entries than a poll takes (PENDING_LIMIT, 2 here):
    its oldest entry never fetched, the next two failed a day ago (their retry due), the four
    newest failed just now (waiting)."""
    monkeypatch.setattr(crawl_state, "PENDING_LIMIT", 2)
    ensure_index(es_client, index_name, STATE_MAPPING)
    source = "https://a.example/rss"
    entries = [FeedEntry(link=f"https://a.example/{n}", feed_url=source) for n in range(7)]
    state = CrawlState(StateSettings(es_connection, index_name, retry_failed=RETRY)).open()

    def failures(listed: list[FeedEntry], when: float) -> list[DeadLetter]:
        return [DeadLetter("fetch", "HTTP 503", "entry", entry.link, "",
                           at=datetime.fromtimestamp(when, timezone.utc)) for entry in listed]

    try:
        for n, listed in enumerate(entries):
            state.record_poll(FeedState(source), "200", "", [listed], NOW - DAY + n)
        state.record_failures(failures(entries[1:3], NOW - DAY))
        state.record_failures(failures(entries[3:], NOW))
        es_client.indices.refresh(index=index_name)
        yield state, entries
    finally:
        state.close()


def test_later_polls_find_the_due_retries_however_many_failed_entries_wait(
        crowded: tuple[CrawlState, list[FeedEntry]], es_client: Elasticsearch) -> None:
    """A streaming job's later polls ask for the failed entries whose retry is due, longest
    due first: when they asked for every failed entry, newest first, the due ones behind the
    waiting ones were never found."""
    state, entries = crowded

    def record(entry: FeedEntry) -> dict[str, Any]:
        return es_client.get(index=state.alias, id=entry_id(entry.link))["_source"]

    failed = record(entries[1])
    handed = state.due([], entries[0].feed_url, NOW, pending="failed")
    es_client.indices.refresh(index=state.alias)
    again = state.due([], entries[0].feed_url, NOW + 60, pending="failed")
    assert failed["retry_due"] == failed["failed_at"] + RETRY
    assert [(entry.link, entry.retry) for entry in handed] == [
        (entries[2].link, 1), (entries[1].link, 1)]
    assert again == []  # handed on: each waits again from then
    assert (record(entries[1])["retried_at"], record(entries[1])["retry_due"]) == (
        NOW, NOW + RETRY)


def test_a_first_poll_finds_what_was_never_fetched_however_many_failed_entries_wait(
        crowded: tuple[CrawlState, list[FeedEntry]]) -> None:
    """A run's first poll reads the pending entries never failed first, then the failed ones
    longest due first: newest first, the waiting ones had filled the poll's share."""
    state, entries = crowded
    handed = state.due([], entries[0].feed_url, NOW)
    assert [(entry.link, entry.retry) for entry in handed] == [
        (entries[0].link, 0), (entries[2].link, 1)]


def test_a_source_keeps_validators_of_any_length(
        es_client: Elasticsearch, es_connection: EsConnection, index_name: str) -> None:
    ensure_index(es_client, index_name, STATE_MAPPING)
    state = CrawlState(StateSettings(es_connection, index_name)).open()
    try:
        polled = FeedState("https://a.example/rss", etag='"' + "e" * 40_000 + '"',
                           last_modified="Tue, 01 Dec 2026 10:00:00 GMT", last_poll=1000.0,
                           next_poll=1900.0, interval=900.0)
        state.record_poll(polled, "200", "", [], 1000.0)
        assert state.source("https://a.example/rss") == polled
    finally:
        state.close()


def test_a_prune_forgets_what_no_source_has_listed_within_the_retention(
        es_client: Elasticsearch, es_connection: EsConnection, index_name: str) -> None:
    ensure_index(es_client, index_name, STATE_MAPPING)
    now, old, recent = 1_800_000_000.0, 1_800_000_000.0 - 40 * DAY, 1_800_000_000.0 - DAY
    live, dormant, gone = (f"https://{name}.example/rss" for name in ("live", "dormant", "gone"))

    def entry(source: str, name: str) -> FeedEntry:
        return FeedEntry(link=f"{source.removesuffix('rss')}{name}", feed_url=source)

    def poll(state: CrawlState, source: str, outcome: str, listed: list[FeedEntry],
             when: float) -> None:
        state.record_poll(FeedState(source, last_poll=when), outcome, "", listed, when)

    forever = CrawlState(StateSettings(es_connection, index_name)).open()
    state = CrawlState(StateSettings(es_connection, index_name, retention=30 * DAY)).open()
    try:
        poll(state, live, "200", [entry(live, "dropped"), entry(live, "kept")], old)
        poll(state, live, "200", [entry(live, "kept")], recent)
        poll(state, dormant, "200", [entry(dormant, "quiet")], old)
        poll(state, dormant, "304", [], recent)  # lists nothing, but its feed still has it
        poll(state, gone, "200", [entry(gone, "left")], old)  # not polled since
        es_client.indices.refresh(index=index_name)
        assert forever.prune(now) == 0
        assert state.prune(now) == 3  # live's dropped entry, and what the gone one left
        es_client.indices.refresh(index=index_name)
        left = {hit["_id"] for hit in es_client.search(index=index_name, size=20)["hits"]["hits"]}
    finally:
        state.close()
        forever.close()
    assert left == {source_id(live), source_id(dormant), entry_id(entry(live, "kept").link),
                    entry_id(entry(dormant, "quiet").link)}


def test_es_migrate_moves_the_crawl_state_with_the_articles_and_es_status_shows_it(
        es_client: Elasticsearch, es_connection: EsConnection, aliases: dict[str, str],
        capsys: pytest.CaptureFixture) -> None:
    ensure_index(es_client, aliases["index"], article_mapping_for(es_client))
    ensure_index(es_client, aliases["state_index"], STATE_MAPPING)
    es_client.index(index=aliases["state_index"], id=source_id("https://a.example/rss"),
                    document={"kind": "source", "source": "https://a.example/rss"},
                    refresh=True)
    assert cli.main(["es", "migrate", "--es-url", es_connection.url,
                     "--index", aliases["index"]]) == 0
    assert current_index(es_client, aliases["index"]) == first_piece(aliases["index"], 2)
    assert current_index(es_client, aliases["state_index"]) == first_piece(
        aliases["state_index"], 2)
    assert es_client.count(index=aliases["state_index"])["count"] == 1
    capsys.readouterr()
    assert cli.main(["es", "status", "--es-url", es_connection.url,
                     "--index", aliases["index"]]) == 0
    assert f"{aliases['state_index']}: 1 piece, 1 documents" in capsys.readouterr().out


@pytest.mark.timeout(900)
def test_a_streaming_entry_record_waits_for_the_sink_to_answer_for_its_article(
        prism_server: PrismJobServer) -> None:
    """On Prism, per article: a record passes on the sink's answer for its version or a newer
    one, at once if the answer came first; one never answered (a dead letter) is forgotten
    after the TTL, so a late answer for another copy does not record it."""
    def record(entry: str, article: str, version: int, day: int) -> TimestampedValue:
        return stamp((article, (version, (entry, {"article_id": article}))), day)

    def answer(article: str, version: int, day: int) -> TimestampedValue:
        return stamp((article, (version, None)), day)

    stream = (
        test_stream.TestStream()
        .advance_watermark_to(at(20).timestamp())
        .add_elements([record("first", "a", 1, 20), answer("a", 1, 20)])
        .add_elements([answer("b", 1, 20), record("after", "b", 1, 20)])  # the answer first
        .add_elements([record("newer", "c", 2, 20), answer("c", 1, 20)])  # not yet: holds v1
        .add_elements([answer("c", 2, 20)])
        .add_elements([record("refused", "d", 1, 20)])
        .advance_watermark_to(at(26).timestamp())  # the TTL (3 days) runs out for d
        .add_elements([answer("d", 1, 26)])
        .advance_watermark_to_infinity())
    pipeline = prism_pipeline(prism_server)
    passed = (pipeline | stream
              | beam.Map(lambda keyed: keyed).with_output_types(tuple[StateKey, Any])
              | beam.ParDo(_AwaitWritten(int(3 * DAY)))
              | beam.Map(lambda fetched: fetched[0]))
    assert_that(passed, equal_to(["first", "after", "newer"]))
    pipeline.run().wait_until_finish()
