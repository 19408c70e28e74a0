"""Hostile WARC input: records warcio trips over, and `--warc` naming nothing readable."""

from __future__ import annotations

import re
from pathlib import Path

import apache_beam as beam
import pytest

from newswire.pipeline import cli
from newswire.transforms.index.client import EsConnection
from tests.faults.hostile import run_job, story, warc_file, warc_record, write_warc


def without_target(record: bytes) -> bytes:
    """The record with its WARC-Target-URI line taken out."""
    return re.sub(rb"WARC-Target-URI: [^\r]*\r\n", b"", record, count=1)


@pytest.mark.parametrize("kind", ["response", "revisit"])
def test_a_record_without_a_target_uri_is_a_dead_letter_and_the_rest_is_read(
        tmp_path: Path, kind: str) -> None:
    """warcio raised AttributeError on it, before our own check: once the end of --warc."""
    nameless = without_target(warc_record(kind, "https://a.example/1", story("1")))
    assert b"WARC-Target-URI" not in nameless
    letter, page = warc_file(tmp_path, nameless,
                             warc_record("response", "https://a.example/2", story("2")))
    assert isinstance(letter, beam.pvalue.TaggedOutput)
    assert letter.value.reason == f"malformed {kind} record: no WARC-Target-URI"
    assert page.url == "https://a.example/2"


@pytest.mark.parametrize("name", ["missing.warc.gz", "none-*.warc.gz"])
def test_a_warc_pattern_matching_nothing_is_refused_in_one_line(
        tmp_path: Path, name: str, capsys: pytest.CaptureFixture) -> None:
    """It used to run, read nothing and exit 0 saying nothing."""
    pattern = str(tmp_path / name)
    code = cli.main(["run", "--warc", pattern, "--es-url", "http://127.0.0.1:9"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err == f"newswire: --warc {pattern}: no files match\n"


@pytest.mark.es
@pytest.mark.timeout(300)
def test_a_warc_directory_is_read_file_by_file(tmp_path: Path,
                                               es_connection: EsConnection) -> None:
    """`--warc DIR` ended in a traceback; now it reads the files in DIR (its subdirectories
    left out), as `--archive DIR` writes them."""
    (tmp_path / "older").mkdir()
    for n in (1, 2):
        write_warc(tmp_path / f"part-{n}.warc.gz",
                   warc_record("response", f"https://a.example/{n}", story(str(n))))
    said: list[str] = []
    summary, articles, letters = run_job(es_connection, warc=str(tmp_path), say=said.append)
    assert sorted(article["url"] for article in articles) == [
        "https://a.example/1", "https://a.example/2"]
    assert letters == [] and summary.balanced
    assert any(line.startswith(f"reading pages from 2 WARC files matching {tmp_path} into ")
               for line in said)
