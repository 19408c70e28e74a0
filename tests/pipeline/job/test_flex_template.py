"""The Flex Template's entry point: the launcher's `--name=value` parameters as `newswire run`
flags, switches included."""

from __future__ import annotations

import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from newswire.pipeline.job.flex_template import template_argv
from newswire.pipeline.job.pipeline_options import NewswireOptions


def test_launcher_parameters_become_newswire_run_flags() -> None:
    argv = template_argv(["--feeds=https://a.example/x.opml, https://b.example/rss",
                          "--ignore_robots=true", "--drop_near_duplicates=false",
                          "--streaming=true", "--index=news", "--poll_interval=300"])
    assert argv == ["--feeds", "https://a.example/x.opml", "https://b.example/rss",
                    "--ignore_robots", "--streaming", "--index=news", "--poll_interval=300"]
    options = PipelineOptions(argv)
    newswire = options.view_as(NewswireOptions)
    assert newswire.feeds == ["https://a.example/x.opml", "https://b.example/rss"]
    assert newswire.ignore_robots and not newswire.drop_near_duplicates
    assert options.view_as(StandardOptions).streaming
    with pytest.raises(ValueError, match="switch"):
        template_argv(["--ignore_robots=maybe"])


def test_a_switch_that_turns_an_option_off_is_a_switch_too() -> None:
    argv = template_argv(["--no_use_public_ips=true", "--no_save_main_session=false"])
    assert argv == ["--no_use_public_ips"]
    assert PipelineOptions(argv).get_all_options()["use_public_ips"] is False
