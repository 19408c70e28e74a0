"""newswire's coders: articles as deterministic JSON; state keys coded as the runners' keyed
timers read them, and deterministic, so Beam does not warn about any stateful step's key coder."""

from __future__ import annotations

import logging
from typing import Any

import apache_beam as beam
import pytest
from apache_beam import coders
from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.config import IngestConfig
from newswire.pipeline.job.graph import IngestFeeds
from newswire.schemas import seed
from newswire.schemas.article import Article
from newswire.transforms.coders import ArticleCoder, StateKey, StateKeyCoder
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
