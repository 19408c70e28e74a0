"""`newswire schema`: it prints what validation and the index use, and refuses a bad pairing in
one line."""

from __future__ import annotations

import json
from typing import Any

import pytest

from newswire.pipeline import cli
from newswire.schemas.validation import article_schema
from newswire.transforms.index.layout import ARTICLE_MAPPING, article_mapping


@pytest.mark.parametrize(("argv", "expected"), [
    (["schema"], article_schema()),
    (["schema", "--mapping"], ARTICLE_MAPPING),
    (["schema", "--mapping", "--english"], article_mapping(english=True)),
])
def test_the_schema_command_prints_what_validation_and_the_index_use(
        argv: list[str], expected: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 0
    assert json.loads(capsys.readouterr().out) == expected


def test_english_without_mapping_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["schema", "--english"]) == 1
    assert capsys.readouterr().err == "newswire: --english applies to --mapping only\n"
