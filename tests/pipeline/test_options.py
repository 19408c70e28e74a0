"""Each default is defined once, by the transform that uses it; the options and the CLI read it."""

from __future__ import annotations

import ast
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline import cli
from newswire.pipeline.job.graph import IngestConfig
from newswire.pipeline.options import NewswireOptions
from newswire.pipeline.services.elasticsearch import LocalNode
from newswire.transforms.duplicates.exact import DEFAULT_TTL
from newswire.transforms.duplicates.near import DEFAULT_THRESHOLD
from newswire.transforms.fetching.http import HttpSettings
from newswire.transforms.index.client import EsConnection
from newswire.transforms.sources.schedule import PollSettings
from tests import REPO

CONFIG = IngestConfig()


def test_the_ingest_config_holds_the_transforms_defaults() -> None:
    assert CONFIG.http == HttpSettings()
    assert CONFIG.es == EsConnection()
    assert CONFIG.poll == PollSettings()
    assert (CONFIG.dedup_ttl, CONFIG.near_dup_threshold) == (DEFAULT_TTL, DEFAULT_THRESHOLD)
    assert (CONFIG.index, CONFIG.dead_letter_index, CONFIG.history_index) == (
        "newswire-articles", "newswire-dead-letters", "newswire-history")


def test_run_s_options_default_to_the_config() -> None:
    args = vars(cli._parser().parse_args(["run"]))
    http = HttpSettings()
    expected = {
        "es_url": CONFIG.es.url, "index": CONFIG.index,
        "dead_letter_index": CONFIG.dead_letter_index, "history_index": CONFIG.history_index,
        "poll_interval": CONFIG.poll.min_interval, "max_poll_interval": CONFIG.poll.max_interval,
        "dedup_ttl_hours": CONFIG.dedup_ttl / 3600,
        "near_dup_threshold": CONFIG.near_dup_threshold,
        "fetch_user_agent": http.user_agent, "fetch_timeout": http.total_timeout,
        "max_page_bytes": http.max_bytes, "fetch_concurrency": http.concurrency,
        "per_host_concurrency": http.per_host_concurrency,
        "per_host_delay": http.per_host_delay,
    }
    assert {name: args[name] for name in expected} == expected


@pytest.mark.parametrize("command", [["search"], ["es", "status"]])
def test_the_other_commands_default_to_the_same_cluster_and_alias(command: list[str]) -> None:
    args = cli._parser().parse_args(command)
    assert (args.es_url, args.index) == (CONFIG.es.url, CONFIG.index)


def test_the_default_cluster_is_the_managed_node() -> None:
    args = cli._parser().parse_args(["es", "start"])
    node = LocalNode()
    assert (args.port, args.heap_mb) == (node.port, node.heap_mb)
    assert urlsplit(EsConnection().url).port == node.port


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize(("folder", "above"), [
    ("transforms", ("newswire.pipeline",)),
    ("schemas", ("newswire.pipeline", "newswire.transforms")),
    ("deploy", ("newswire.pipeline", "newswire.transforms")),
])
def test_dependencies_point_down(folder: str, above: tuple[str, ...]) -> None:
    """pipeline -> transforms -> schemas, deploy: a lower layer never imports a higher one."""
    for path in sorted((REPO / folder).rglob("*.py")):
        upward = {name for name in _imports(path) if name.startswith(above)}
        assert not upward, f"{path.relative_to(REPO)} imports {sorted(upward)}"


def test_the_sizing_options_make_each_piece_s_settings_and_rollover() -> None:
    sizing = PipelineOptions(["--es-shards", "3", "--es-replicas", "1", "--es-rollover-size",
                              "10gb", "--es-rollover-docs", "5"]
                             ).view_as(NewswireOptions).sizing()
    assert sizing.settings() == {"number_of_shards": 3, "number_of_replicas": 1}
    assert sizing.conditions() == {"max_primary_shard_size": "10gb", "max_docs": 5}
    laptop = PipelineOptions([]).view_as(NewswireOptions).sizing()
    assert laptop.settings() == {"number_of_shards": 1, "auto_expand_replicas": "0-1"}
