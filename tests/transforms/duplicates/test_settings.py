"""How long duplicates are remembered and how alike two copies are, as defaults without Beam."""

from __future__ import annotations

from newswire.transforms.duplicates.settings import DEFAULT_THRESHOLD, DEFAULT_TTL
from tests.imports import heavy_loaded


def test_the_defaults_load_without_beam() -> None:
    assert heavy_loaded("newswire.transforms.duplicates.settings") == []


def test_keys_are_remembered_for_whole_seconds_and_the_threshold_is_a_similarity() -> None:
    assert isinstance(DEFAULT_TTL, int) and DEFAULT_TTL > 0
    assert 0.0 < DEFAULT_THRESHOLD < 1.0
