"""Replay: `newswire deadletter list` shows what failed; once the cause is fixed, `deadletter
replay` sends the fetch, extract and index letters through the pipeline again, removes the ones
that no longer fail, records the pages it fetched in the crawl state (the next run fetches none
of them), and a second replay changes nothing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from newswire.pipeline import cli
from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.index.client import EsConnection
from tests.faults.site import article_id, write_site
from tests.loopback import CountingServer

pytestmark = pytest.mark.es


@pytest.fixture
def options(es_connection: EsConnection, aliases: dict[str, str]) -> list[str]:
    """The command-line options for the fresh aliases."""
    return ["--es-url", es_connection.url, *[
        part for name, alias in aliases.items() for part in (f"--{name.replace('_', '-')}", alias)]]


def newswire(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out


def test_replay_after_the_cause_is_fixed(tmp_path: Path, es_connection: EsConnection,
                                         options: list[str],
                                         capsys: pytest.CaptureFixture) -> None:
    site = write_site(tmp_path, {"here": "2026-11-30T10:00:00Z", "late": "2026-11-30T11:00:00Z"})
    late = (site / "late.html").read_text()
    (site / "late.html").unlink()  # not published yet: a 404
    index, dead = options[3], options[5]
    listing = ["deadletter", "list", "--es-url", es_connection.url, "--dead-letter-index", dead]
    with CountingServer(site) as server:
        code, out = newswire(capsys, "run", "--feeds", server.url("feed.xml"),
                             "--allow-private-addresses", *options)
        assert code == 0 and "dead-lettered       1  (fetch 1)" in out

        code, out = newswire(capsys, *listing)
        assert code == 0
        assert "fetch" in out and "x1" in out and "http 404" in out and "/late.html" in out
        assert "(1 of 1 dead letters" in out
        assert "(0 of 0" in newswire(capsys, *listing, "--stage", "extract")[1]
        assert "(0 of 0" in newswire(capsys, *listing, "--since", "2999-01-01")[1]

        code, out = newswire(capsys, "deadletter", "replay", "--allow-private-addresses",
                             *options)  # still missing: fails again, counted
        assert code == 0 and "1 failed again" in out
        assert "x2" in newswire(capsys, *listing)[1]

        (site / "late.html").write_text(late)  # the cause is fixed
        code, out = newswire(capsys, "deadletter", "replay", "--allow-private-addresses",
                             *options)
        assert code == 0
        assert "replaying 1 dead letters (fetch 1)" in out
        assert "indexed             1  (new 1, updated 0, unchanged 0)" in out
        assert "entries = indexed + duplicates + dead letters: yes" in out
        assert "1 dead letters resolved and removed, 0 failed again" in out

        code, out = newswire(capsys, "deadletter", "replay", "--allow-private-addresses",
                             *options)
        assert (code, out.strip()) == (0, f"no replayable dead letters in {dead}")
        late_id = article_id(server.base_url, "late")

        # the replay recorded the page in the crawl state: the next run leaves it be
        server.asked.clear()
        code, out = newswire(capsys, "run", "--feeds", server.url("feed.xml"),
                             "--allow-private-addresses", *options)
        assert code == 0 and "pages fetched       0" in out
        assert server.pages_asked() == Counter()

    client = es_connection.client()
    try:
        client.indices.refresh(index=[index, dead])
        assert client.count(index=index)["count"] == 2
        assert client.count(index=dead)["count"] == 0
        assert client.get(index=index, id=late_id)["_source"]["title"] == "Story late"
    finally:
        client.close()


def test_validation_letters_are_not_replayable(options: list[str],
                                               capsys: pytest.CaptureFixture) -> None:
    code = cli.main(["deadletter", "replay", "--stage", "validate", *options])
    assert code == 1
    assert "validate letters are not replayable" in capsys.readouterr().err


def test_a_malformed_letter_is_skipped_and_the_others_replayed(
        tmp_path: Path, es_connection: EsConnection, options: list[str],
        capsys: pytest.CaptureFixture) -> None:
    # Defect (issue 20, 8): one letter that could not be read aborted the replay of all others.
    site = write_site(tmp_path, {"late": "2026-11-30T11:00:00Z"})
    late = (site / "late.html").read_text()
    (site / "late.html").unlink()
    index, dead = options[3], options[5]
    malformed = {  # hand-indexed into the dead-letter alias: each fails to read another way
        "not-json": {"stage": "fetch", "input": "{not json"},
        "not-an-entry": {"stage": "extract", "input": '{"title": "no url"}'},
        "not-an-article": {"stage": "index", "input": "[1, 2]"},
        "no-input": {"stage": "fetch"},
    }
    with SeedServer(site) as server:
        late_id = article_id(server.base_url, "late")
        code, out = newswire(capsys, "run", "--feeds", server.url("feed.xml"),
                             "--allow-private-addresses", *options)
        assert code == 0 and "dead-lettered       1  (fetch 1)" in out
        with es_connection.session() as client:
            for id_, letter in malformed.items():
                client.index(index=dead, id=id_, refresh=True, document={
                    "reason": "written by hand", "unit": "entry", "url": "",
                    "at": "2026-12-01T00:00:00+00:00", **letter})
        (site / "late.html").write_text(late)  # the cause of the real letter is fixed
        code, out = newswire(capsys, "deadletter", "replay", "--allow-private-addresses",
                             *options)
    assert code == 0
    skipped = [line for line in out.splitlines() if line.startswith("skipping dead letter")]
    assert sorted(line.split()[3].rstrip(":") for line in skipped) == sorted(malformed)
    assert any("not json" in line or "Expecting" in line for line in skipped)
    assert "replaying 1 dead letters (fetch 1)" in out
    assert "indexed             1  (new 1, updated 0, unchanged 0)" in out
    assert "1 dead letters resolved and removed, 0 failed again" in out
    with es_connection.session() as client:
        client.indices.refresh(index=[index, dead])
        assert client.get(index=index, id=late_id)["_source"]["title"] == "Story late"
        left = {hit["_id"] for hit in client.search(index=dead, size=10)["hits"]["hits"]}
    assert left == set(malformed)  # kept, to be looked at
