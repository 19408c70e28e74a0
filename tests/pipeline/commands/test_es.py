"""`newswire es status`: the pieces behind each alias, read without the client library; the
node's own actions take their flags."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch

from newswire.pipeline import cli
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.layout import DEAD_LETTER_MAPPING, ensure_index


def test_the_node_s_actions_take_its_port_and_heap() -> None:
    args = cli._parser().parse_args(["es", "start", "--port", "9299", "--heap-mb", "768"])
    assert (args.action, args.port, args.heap_mb) == ("start", 9299, 768)


def test_another_cluster_that_cannot_be_reached_is_one_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["es", "status", "--es-url", "http://127.0.0.1:9"]) == 1
    assert capsys.readouterr().err == (
        "newswire: could not reach Elasticsearch at http://127.0.0.1:9: Connection refused\n")


@pytest.mark.es
def test_status_shows_each_alias_s_pieces_and_which_takes_writes(
        es_connection: EsConnection, es_client: Elasticsearch, index_name: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    written = ensure_index(es_client, index_name, DEAD_LETTER_MAPPING)
    for n in range(3):
        es_client.index(index=index_name, id=str(n), document={"stage": "fetch"},
                        refresh=True)
    status = cli.main(["es", "status", "--es-url", es_connection.url, "--index", index_name,
                       "--dead-letter-index", f"{index_name}-none",
                       "--history-index", f"{index_name}-none"])
    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert lines[0].startswith(f"{index_name}: 1 piece, 3 documents, ")
    assert lines[1].startswith(f"  {written}  ") and lines[1].endswith("<- writes")
    assert "3 documents" in lines[1] and "1 shard(s), 0 replica(s)" in lines[1]
    assert lines[2:] == [f"{index_name}-none: none yet"] * 2
