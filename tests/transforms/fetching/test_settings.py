"""The limits on fetching and archiving, as plain settings the options load without the client."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace

import pytest

from newswire.transforms.fetching.settings import HttpSettings
from tests.imports import heavy_loaded


def test_the_settings_load_without_beam_or_the_http_client() -> None:
    assert heavy_loaded("newswire.transforms.fetching.settings") == []


def test_http_settings_are_fixed_once_made() -> None:
    settings = HttpSettings()
    with pytest.raises(FrozenInstanceError):
        settings.retries = 5  # type: ignore[misc]
    assert replace(settings, retries=5).retries == 5 and settings.retries == 2


def test_one_request_has_time_for_its_connection_and_its_read() -> None:
    settings = HttpSettings()
    assert settings.total_timeout >= settings.connect_timeout + settings.read_timeout

