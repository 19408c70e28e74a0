"""The article the schema tests start from: the Reuters seed with every optional field set."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from newswire.schemas import seed
from newswire.schemas.article import Article
from tests import REPO

SEED = REPO / "seeds" / "000_096ae25def07195c.txt"


@pytest.fixture
def article() -> Article:
    return seed.parse(SEED.read_text()).replace(
        updated_at=datetime(2023, 10, 27, 8, 0, tzinfo=timezone.utc), authors=("Steve Holland",),
        tags=("ukraine",), language="en", provenance={"title": "json-ld"}, cluster_id="abc")
