"""`newswire run`: what it refuses before starting a job, and the latest articles it shows
after one (the job itself: tests/pipeline/job and tests/faults)."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch

from newswire.pipeline import cli
from newswire.pipeline.commands.run import _show_latest
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import ARTICLE_MAPPING, ensure_index


def test_a_remote_run_needs_feeds(capsys: pytest.CaptureFixture[str]) -> None:
    """Workers on Google Cloud cannot reach the corpus served on this machine's loopback."""
    assert cli.main(["run", "--runner", "DataflowRunner"]) == 1
    assert capsys.readouterr().err == (
        "newswire: give --feeds: remote workers cannot reach the bundled corpus, which is "
        "served on this machine's loopback\n")


def test_run_s_help_names_the_stop_wait(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    assert "--stop-wait" in capsys.readouterr().out


@pytest.mark.es
def test_the_latest_articles_are_shown_newest_first(
        es_connection: EsConnection, es_client: Elasticsearch, index_name: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    ensure_index(es_client, index_name, ARTICLE_MAPPING)
    for day, title in ((20, "Older story"), (22, "Newest story"), (21, "Middle story")):
        es_client.index(index=index_name, id=title, document={
            "title": title, "outlet": "Harbour Examiner", "url": f"https://h.example/{day}",
            "published_at": f"2026-11-{day}T08:00:00+00:00"})
    _show_latest(es_connection, index_name, count=2)
    assert capsys.readouterr().out.splitlines() == [
        "", f"3 articles in {index_name}; the latest:",
        "  2026-11-22 08:00  Harbour Examiner: Newest story",
        "  2026-11-21 08:00  Harbour Examiner: Middle story"]
