"""Each option is declared once (`OPTIONS`): its flags, its settings and the Dataflow template's
parameters come from there, and each default from the transform that uses it."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline import cli
from newswire.pipeline.config import IngestConfig
from newswire.pipeline.job.pipeline_options import NewswireOptions
from newswire.pipeline.options import OPTIONS, sizing_of, template_metadata
from newswire.pipeline.services.elasticsearch import LocalNode
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.settings import Sizing
from newswire.transforms.sources.settings import PollSettings
from tests import REPO

METADATA = REPO / "deploy" / "dataflow" / "metadata.json"


def options(*argv: str) -> NewswireOptions:
    return PipelineOptions(list(argv)).view_as(NewswireOptions)


def test_the_template_metadata_is_current() -> None:
    assert METADATA.read_text() == template_metadata(), (
        "regenerate: python -m newswire.pipeline.options --metadata > "
        "deploy/dataflow/metadata.json")


def test_options_not_given_leave_the_transforms_defaults() -> None:
    """Only the default poll interval follows `--poll-interval`'s (the shortest), and the run
    keeps a crawl state beside its articles."""
    nw = options()
    poll = PollSettings()
    expected = IngestConfig(poll=replace(poll, default_interval=poll.min_interval),
                            state_index=f"{IngestConfig.index}-state")
    assert nw.ingest_config() == expected


def test_a_value_given_is_converted_once_into_its_setting_s_unit() -> None:
    nw = options("--dedup-ttl-hours", "2.5", "--archive-file-mb", "1.5",
                 "--archive-file-minutes", "2", "--max-age", "90m", "--rediscover-minutes", "5",
                 "--poll-interval", "30", "--fetch-timeout", "7", "--es-outage-wait", "3",
                 "--ignore-robots", "--insecure-skip-tls-verify", "--allow-private-addresses",
                 "--index", "news", "--drop-near-duplicates")
    config = nw.ingest_config()
    assert (config.dedup_ttl, config.archive_file_bytes, config.archive_file_age) == (
        9000, 1572864, 120.0)
    assert isinstance(config.dedup_ttl, int) and isinstance(config.archive_file_bytes, int)
    assert (config.poll.max_age, config.poll.min_interval, config.poll.default_interval) == (
        5400.0, 30.0, 30.0)
    assert config.poll.rediscover_every == 300.0
    assert (config.http.obey_robots, config.http.verify_tls, config.http.allow_private) == (
        False, False, True)
    assert (config.http.total_timeout, config.es_retry.outage_wait) == (7.0, 3.0)
    assert (config.index, config.drop_near_duplicates) == ("news", True)


def test_a_bad_duration_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="not a duration: '2 weeks'"):
        options("--max-age", "2 weeks").ingest_config()


def test_run_s_help_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli._parser().parse_args(["run", "--help"])
    shown = capsys.readouterr().out
    for option in OPTIONS:
        assert f"--{option.name.replace('_', '-')}" in shown, option.name


@pytest.mark.parametrize(("command", "names"), [
    (["search"], ("es_url", "index")), (["es", "status"], ("es_url", "index")),
    (["deadletter", "list"], ("es_url", "dead_letter_index")),
])
def test_the_other_commands_default_to_the_same_cluster_and_aliases(
        command: list[str], names: tuple[str, ...]) -> None:
    args = vars(cli._parser().parse_args(command))
    config = IngestConfig()
    expected = {"es_url": config.es.url, "index": config.index,
                "dead_letter_index": config.dead_letter_index}
    assert {name: args[name] for name in names} == {name: expected[name] for name in names}


def test_the_default_cluster_is_the_managed_node() -> None:
    args = cli._parser().parse_args(["es", "start"])
    node = LocalNode()
    assert (args.port, args.heap_mb) == (node.port, node.heap_mb)
    assert urlsplit(EsConnection().url).port == node.port


EXAMPLES = {"feeds": "https://a.example/feeds.opml,https://b.example/rss",
            "es_api_key_secret": "projects/p/secrets/es-api-key/versions/latest",
            "archive": "gs://bucket/warc", "warc": "gs://bucket/warc/*.warc.gz",
            "es_replicas": "1", "state_index": "newswire-state", "recheck_age": "7d",
            "dead_letter_files": "gs://bucket/dead-letters/"}


@pytest.mark.parametrize("option", OPTIONS, ids=lambda option: option.name)
def test_each_template_check_takes_a_good_value_and_refuses_a_bad_one(option) -> None:
    parameter = option.parameter()
    default = option.setting_default
    example = EXAMPLES.get(option.name) or (
        "false" if option.kind is bool else option.unit.shown(default))
    for regex in parameter.get("regexes", []):
        assert re.fullmatch(regex, example), (regex, example)
        assert not re.fullmatch(regex, "has space,")


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
                             ).view_as(NewswireOptions).settings(Sizing)
    assert sizing.settings() == {"number_of_shards": 3, "number_of_replicas": 1}
    assert sizing.conditions() == {"max_primary_shard_size": "10gb", "max_docs": 5}
    laptop = PipelineOptions([]).view_as(NewswireOptions).settings(Sizing)
    assert laptop.settings() == {"number_of_shards": 1, "auto_expand_replicas": "0-1"}


def test_es_migrate_s_sizing_flags_are_the_run_s() -> None:
    """`es` takes the sizing flags from their one declaration: not given, the run's sizing."""
    parse = cli._parser().parse_args
    assert sizing_of(parse(["es", "migrate"])) == Sizing()
    given = parse(["es", "migrate", "--es-shards", "3", "--es-replicas", "1",
                   "--es-rollover-size", "10gb", "--es-rollover-docs", "5"])
    assert sizing_of(given) == Sizing(shards=3, replicas=1, max_primary_shard_size="10gb",
                                      max_docs=5)
