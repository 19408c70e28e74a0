"""NewswireOptions: every option as a typed Beam flag, and the job's settings built from them.
(Each option's units and defaults: tests/pipeline/test_options.py.)"""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.config import IngestConfig
from newswire.pipeline.job.pipeline_options import NewswireOptions
from newswire.pipeline.options import OPTIONS
from newswire.transforms.fetching.settings import HttpSettings


def options(*argv: str) -> NewswireOptions:
    return PipelineOptions(list(argv)).view_as(NewswireOptions)


def test_every_option_is_a_flag_of_the_pipeline_options() -> None:
    parsed = options()
    assert all(hasattr(parsed, option.name) for option in OPTIONS)


def test_a_flag_in_either_spelling_reaches_its_setting() -> None:
    assert options("--per-host-delay", "2").settings(HttpSettings).per_host_delay == 2.0
    assert options("--per_host_delay=2").settings(HttpSettings).per_host_delay == 2.0
    assert options().settings(HttpSettings) == HttpSettings()


def test_the_crawl_state_follows_the_articles_alias_unless_named() -> None:
    assert options("--index", "news").ingest_config().state_index == "news-state"
    assert options("--index", "news", "--state-index", "crawl").ingest_config(
        ).state_index == "crawl"
    assert options().ingest_config().state_index == f"{IngestConfig.index}-state"


def test_what_the_job_knows_joins_what_the_flags_say() -> None:
    config = options("--index", "news", "--warc", "/tmp/pages/*.warc.gz").ingest_config(
        streaming=True, progress_dir="/tmp/progress")
    assert (config.index, config.warc, config.streaming, config.progress_dir) == (
        "news", True, True, "/tmp/progress")
    assert config.state is None  # a WARC replay keeps no crawl state
