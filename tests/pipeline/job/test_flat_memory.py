"""A batch run with a crawl state holds no whole-batch group of articles, so its memory does not
grow with the batch (bench/memory.py measures it); without a state it still groups them."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pipeline import AppliedPTransform, PipelineVisitor

from newswire.pipeline.config import IngestConfig
from newswire.pipeline.job.graph import IngestFeeds


class _Groups(PipelineVisitor):
    """The full labels of the GroupByKeys in a pipeline."""

    def __init__(self) -> None:
        self.labels: list[str] = []

    def visit_transform(self, node: AppliedPTransform) -> None:
        if isinstance(node.transform, beam.GroupByKey):
            self.labels.append(node.full_label)


def groups(config: IngestConfig) -> list[str]:
    pipeline = beam.Pipeline(options=PipelineOptions())
    _ = pipeline | beam.Create(["http://127.0.0.1:9/feed.xml"]) | IngestFeeds(config)
    visitor = _Groups()
    pipeline.visit(visitor)
    return visitor.labels


BEFORE_FETCHING = ("ReadSources", "Entries")  # sources, entries, not articles


def after_fetching(labels: list[str]) -> list[str]:
    return [label for label in labels if not any(step in label for step in BEFORE_FETCHING)]


def test_a_batch_run_with_a_state_groups_no_articles() -> None:
    assert after_fetching(groups(IngestConfig(state_index="articles-state"))) == []


def test_without_a_state_or_when_dropping_copies_the_articles_are_grouped() -> None:
    for config in (IngestConfig(), IngestConfig(state_index="articles-state",
                                                drop_near_duplicates=True)):
        labels = after_fetching(groups(config))
        assert any("DropDuplicateArticles" in label for label in labels)
        assert any("LinkNearDuplicates" in label for label in labels)
