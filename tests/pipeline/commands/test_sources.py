"""`newswire sources` on the real node: each source's last poll, outcome, next due time,
failures and entries, and one source's entries, as a run left them in the crawl state."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline import cli
from newswire.pipeline.job import lifecycle
from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.index.client import EsConnection
from newswire.transforms.sources.settings import RETRY_FAILED
from tests.faults.site import article_id, write_site

WHEN = "%Y-%m-%d %H:%M:%SZ"

pytestmark = pytest.mark.es


def test_sources_say_why_a_feed_is_not_updating(
        tmp_path: Path, es_connection: EsConnection, aliases: dict[str, str],
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "site").mkdir()
    write_site(tmp_path / "site", {"one": "2026-11-20T10:00:00Z", "two": "2026-11-21T10:00:00Z"})
    (tmp_path / "site" / "two.html").unlink()  # listed, but its page is not there
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "feed.xml").write_text("this is not a feed")
    with SeedServer(tmp_path / "site") as site, SeedServer(tmp_path / "broken") as broken:
        good, bad = site.url("feed.xml"), broken.url("feed.xml")
        fetched = article_id(site.base_url, "one")
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(f"{good}\n{bad}\n")
        lifecycle.run(PipelineOptions(feeds=[str(feeds)], es_url=es_connection.url,
                                      allow_private_addresses=True, **aliases),
                      say=lambda _: None)
    es_client = es_connection.client()
    es_client.indices.refresh(index=aliases["state_index"])
    es_client.close()
    common = ["--es-url", es_connection.url, "--index", aliases["index"]]

    assert cli.main(["sources", *common]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["LAST", "POLL", "OUTCOME", "NEXT", "DUE", "FAILS", "ENTRIES",
                                "WAITING", "FAILED", "SOURCE"]
    rows = {line.split()[-1]: line.split() for line in lines[1:-1]}
    assert rows[good][2:3] + rows[good][5:9] == ["200", "0", "2", "1", "1"]
    assert rows[bad][2:3] + rows[bad][5:9] == ["failed", "1", "0", "0", "0"]
    assert lines[-1] == "2 sources"

    assert cli.main(["sources", bad, *common]) == 0
    out = capsys.readouterr().out
    assert "failed (not a feed" in out and "1 failures in a row" in out

    assert cli.main(["sources", good, *common]) == 0
    rows = {line.split()[-1]: line for line in capsys.readouterr().out.splitlines()}
    assert fetched in rows[site.url("one.html")] and "(1x: http 404)" in rows[site.url(
        "two.html")]
    assert "not yet" in rows[site.url("two.html")] and "not yet" not in rows[site.url(
        "one.html")]
    failed_at, next_try = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ",
                                     rows[site.url("two.html")])[-2:]
    assert (datetime.strptime(next_try, WHEN) - datetime.strptime(failed_at, WHEN)
            ).total_seconds() == RETRY_FAILED  # the first failure waits --retry-failed
