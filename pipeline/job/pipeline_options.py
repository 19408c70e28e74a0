"""NewswireOptions: newswire's options (`OPTIONS`) as Beam's typed PipelineOptions, so every
runner parses `newswire run`'s flags alike, and the job's settings built from them.

Apart from the options themselves, so that `pipeline/options.py` loads without Beam.
"""

from __future__ import annotations

import argparse
from typing import Any, TypeVar

from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.config import IngestConfig
from newswire.pipeline.options import OPTIONS, given
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.settings import RetryPolicy, Sizing
from newswire.transforms.sources.settings import PollSettings, state_alias

T = TypeVar("T")


class NewswireOptions(PipelineOptions):
    """Where to read feeds, where to index, and the limits on every fetch (`OPTIONS`)."""

    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        for option in OPTIONS:
            option.add_to(parser)

    def given(self, target: type) -> dict[str, Any]:
        """The keywords of `target` the options set, in its units; the rest keep its
        defaults."""
        return given(self, target)

    def settings(self, target: type[T]) -> T:
        """`target` (HttpSettings, PollSettings, ...) as the options set it."""
        return target(**self.given(target))

    def ingest_config(self, **context: Any) -> IngestConfig:
        """The job's configuration from the options, and what the job knows (`context`); the
        crawl state's alias follows the articles' unless `--state-index` names one."""
        given = self.given(IngestConfig)
        state_index = state_alias(given.get("index", IngestConfig.index), self.state_index)
        return IngestConfig(
            http=self.settings(HttpSettings), es=self.settings(EsConnection),
            es_retry=self.settings(RetryPolicy), poll=self.settings(PollSettings),
            sizing=self.settings(Sizing), state_index=state_index, warc=bool(self.warc),
            **given, **context)
