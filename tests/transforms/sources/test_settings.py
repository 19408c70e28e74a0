"""How sources are polled and remembered, as plain settings the options load without Beam."""

from __future__ import annotations

from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.settings import RetryPolicy
from newswire.transforms.sources.settings import (
    DEFAULT_MAX_AGE,
    PollSettings,
    StateSettings,
    state_alias,
)
from tests.imports import heavy_loaded


def test_the_settings_load_without_beam_or_the_client() -> None:
    assert heavy_loaded("newswire.transforms.sources.settings") == []


def test_the_default_interval_lies_within_the_polling_bounds() -> None:
    poll = PollSettings()
    assert poll.min_interval <= poll.default_interval <= poll.max_interval
    assert poll.max_age == DEFAULT_MAX_AGE


def test_the_crawl_state_lives_beside_its_articles() -> None:
    assert state_alias("newswire-articles") == "newswire-articles-state"


def test_a_crawl_state_refetches_nothing_by_age_and_retries_as_the_sinks_do() -> None:
    state = StateSettings(EsConnection("http://127.0.0.1:9"), state_alias("news"))
    assert (state.alias, state.recheck_age, state.retry) == ("news-state", None, RetryPolicy())
