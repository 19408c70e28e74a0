"""Hostile WARC input: records warcio trips over, and `--warc` naming nothing readable."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.io import fileio
from apache_beam.io.filesystem import FileMetadata

from newswire.pipeline import cli
from newswire.transforms.fetching.warc import ReadWarcRecords
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


def test_a_file_of_one_gzip_member_is_dead_lettered_at_a_real_offset(tmp_path: Path) -> None:
    """Many records in one gzip member: warcio's offset went to -73 in the reason."""
    path = tmp_path / "one-member.warc.gz"
    path.write_bytes(gzip.compress(warc_record("response", "https://a.example/1", story("1"))
                                   + warc_record("response", "https://a.example/2", story("2"))))
    outputs = list(ReadWarcRecords().process(fileio.ReadableFile(FileMetadata(
        str(path), path.stat().st_size))))
    letter = outputs[-1].value
    assert letter.reason.startswith("unreadable WARC file from offset 0: ArchiveLoadFailed")
    assert json.loads(letter.input)["offset"] == 0


def test_a_record_over_the_size_cap_is_a_dead_letter(tmp_path: Path) -> None:
    """A record's content was read whole, however large; now as far as a download may go."""
    page = story("large")
    letter, after = warc_file(tmp_path, warc_record("response", "https://a.example/l", page),
                              warc_record("response", "https://a.example/s", b"<p>small</p>"),
                              reader=ReadWarcRecords(max_bytes=len(page) - 1))
    assert letter.value.reason == f"too large: over {len(page) - 1} bytes"
    assert letter.value.url == "https://a.example/l"
    assert after.url == "https://a.example/s"


def test_a_warc_date_in_the_future_is_no_fetch_time(tmp_path: Path) -> None:
    """It was stored as the page's fetch time."""
    [page] = warc_file(tmp_path, warc_record("response", "https://a.example/1", story("1"),
                                             date="2999-01-01T00:00:00Z"))
    assert page.fetched_at is None
