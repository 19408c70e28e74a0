"""newswire's coders: articles as deterministic JSON; feed entries as compact JSON lists, on
every step between polling and fetching; state keys coded as the runners' keyed timers read
them, and deterministic, so Beam does not warn about any stateful step's key coder."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import apache_beam as beam
import pytest
from apache_beam import coders
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pipeline import AppliedPTransform, PipelineVisitor

from newswire.pipeline.config import IngestConfig
from newswire.pipeline.job.graph import IngestFeeds
from newswire.schemas import seed
from newswire.schemas.article import Article
from newswire.transforms.coders import ArticleCoder, FeedEntryCoder, StateKey, StateKeyCoder
from newswire.transforms.records import FeedEntry
from tests import REPO

SEED = REPO / "seeds" / "000_096ae25def07195c.txt"


def test_beam_uses_the_article_coder() -> None:
    assert isinstance(coders.registry.get_coder(Article), ArticleCoder)


def test_the_article_coder_round_trips_and_is_deterministic() -> None:
    article = seed.parse(SEED.read_text()).replace(authors=("Steve Holland",), tags=("ukraine",))
    coder = ArticleCoder()
    encoded = coder.encode(article)
    assert coder.decode(encoded) == article
    assert coder.encode(coder.decode(encoded)) == encoded
    assert coder.is_deterministic()


FEED = "https://news.example/feed.xml"
ENTRIES = [
    FeedEntry(link="https://news.example/a", feed_url=FEED, feed_title="News", title="A",
              entry_id="https://news.example/a",
              published=datetime(2026, 3, 1, 8, 30, tzinfo=timezone.utc)),
    FeedEntry(link="https://news.example/b", feed_url=FEED, title="Ümlaut ☃", entry_id="urn:b",
              published=datetime(2026, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=2))),
              updated=datetime(2026, 3, 2, 9, 0, 0, 123456), summary="<p>x</p>",
              authors=("Ann Lee", "Bo Ray"), tags=("ports",), image_url="https://i.example/1",
              image_credit="Photo: C", image_caption="A quay", language="de",
              source="sitemap", retry=2),
    FeedEntry(link="", feed_url=FEED),
    FeedEntry(link="https://news.example/c", feed_url=FEED, tags=("t",)),
]


def test_beam_codes_feed_entries_with_the_entry_coder() -> None:
    assert isinstance(coders.registry.get_coder(FeedEntry), FeedEntryCoder)
    assert FeedEntryCoder().is_deterministic()


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_feed_entry_round_trips_exactly_and_deterministically(entry: FeedEntry) -> None:
    coder = FeedEntryCoder()
    decoded = coder.decode(coder.encode(entry))
    assert decoded == entry
    assert [getattr(decoded, name).tzinfo for name in ("published", "updated")
            if getattr(decoded, name)] == [getattr(entry, name).tzinfo
                                          for name in ("published", "updated")
                                          if getattr(entry, name)]
    assert coder.encode(decoded) == coder.encode(entry)


def test_a_feed_entry_is_coded_in_a_third_of_its_pickle() -> None:
    entry = ENTRIES[0]
    assert len(FeedEntryCoder().encode(entry)) * 3 < len(coders.FastPrimitivesCoder().encode(entry))


def test_entries_decoded_from_one_feed_share_its_url_and_an_id_that_is_the_link() -> None:
    coder = FeedEntryCoder()
    first, second = (coder.decode(coder.encode(entry)) for entry in ENTRIES[:2])
    assert first.feed_url is second.feed_url
    assert first.entry_id is first.link


@pytest.mark.parametrize("streaming", [False, True])
def test_every_step_between_polling_and_fetching_codes_entries_with_the_entry_coder(
        streaming: bool) -> None:
    pipeline = beam.Pipeline(options=PipelineOptions(streaming=streaming))
    urls = pipeline | beam.Create([FEED]).with_output_types(Any)
    _ = urls | "Ingest" >> IngestFeeds(IngestConfig(streaming=streaming, progress_dir="/tmp"))
    between = ["DropDuplicateEntries/Decide" if not streaming else
               "DropDuplicateEntries/Remember", "Count_unique"]
    if not streaming:
        between.append("ReadSources/Entries")
    produced = _Outputs()
    pipeline.visit(produced)
    for label in between:
        assert produced.types[f"Ingest/{label}"] == FeedEntry, label


class _Outputs(PipelineVisitor):
    """The element type of each step's main output, by the step's full label."""

    def __init__(self) -> None:
        self.types: dict[str, Any] = {}

    def visit_transform(self, node: AppliedPTransform) -> None:
        if None in node.outputs:
            self.types[node.full_label] = node.outputs[None].element_type

    def enter_composite_transform(self, node: AppliedPTransform) -> None:
        self.visit_transform(node)


def test_a_state_key_is_coded_as_fast_primitives_codes_a_str() -> None:
    coder = coders.registry.get_coder(StateKey)
    assert isinstance(coder, StateKeyCoder) and coder.is_deterministic()
    for key in ("https://news.example/feed.xml", "band-3:19f2", "ümlaut ☃", ""):
        assert coder.encode(key) == coders.FastPrimitivesCoder().encode(key)
        assert coder.decode(coder.encode(key)) == key


def test_a_state_key_coder_refuses_what_it_cannot_code_deterministically() -> None:
    class Opaque:
        pass

    with pytest.raises(TypeError):
        StateKeyCoder().encode(Opaque())


@pytest.mark.parametrize("streaming", [False, True])
def test_no_stateful_step_of_the_job_warns_about_its_key_coder(
        streaming: bool, caplog: pytest.LogCaptureFixture) -> None:
    pipeline = beam.Pipeline(options=PipelineOptions(streaming=streaming))
    # untyped feed URLs, as the streaming job's ticks give them
    urls = pipeline | beam.Create(["https://news.example/feed.xml"]).with_output_types(Any)
    with caplog.at_level(logging.WARNING, logger="apache_beam.transforms.core"):
        _ = urls | IngestFeeds(IngestConfig())
    assert [r.getMessage() for r in caplog.records if "deterministic" in r.getMessage()] == []
