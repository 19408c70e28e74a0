"""The managed node: a second start is a no-op that says so; status tells the truth; newswire's
plugin is there (its build and rebuild: test_es_plugin.py)."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch

from newswire.pipeline import cli
from newswire.pipeline.services import es_plugin
from newswire.pipeline.services.elasticsearch import LocalNode, find_java
from newswire.pipeline.services.host import java_major

pytestmark = pytest.mark.es


def test_a_second_start_is_a_no_op_that_says_so(es_node: LocalNode) -> None:
    said: list[str] = []
    LocalNode(port=es_node.port).start(say=said.append)
    assert said == [f"Elasticsearch is already running at {es_node.url}"]


def test_status_reports_a_healthy_cluster(es_node: LocalNode, capsys: pytest.CaptureFixture
                                          ) -> None:
    assert cli.main(["es", "status", "--port", str(es_node.port)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(("green", "yellow"))
    assert "newswire-local" in out


def test_it_runs_as_an_unprivileged_user(es_node: LocalNode) -> None:
    pid = es_node.running_pid()
    assert pid is not None
    with open(f"/proc/{pid}/status") as status:
        uid = next(int(line.split()[1]) for line in status if line.startswith("Uid:"))
    assert uid != 0


def test_status_of_a_stopped_node(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["es", "status", "--port", "9299"]) == 3
    assert "not running" in capsys.readouterr().out


def test_the_chosen_java_is_new_enough() -> None:
    assert java_major(find_java()) >= 21


def test_every_managed_node_has_the_language_analyzers(es_node: LocalNode,
                                                       es_client: Elasticsearch) -> None:
    assert es_plugin.LANGUAGES.installed_in(es_node.dist_dir)
    # (a secured node started from the same distribution adds the security plugin beside it)
    assert es_plugin.LANGUAGES.name in [p["component"]
                                        for p in es_client.cat.plugins(format="json")]
