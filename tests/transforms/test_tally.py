"""Tally: elements pass through, and each instance's count lands in a file of its own."""

from __future__ import annotations

from pathlib import Path

from newswire.transforms.tally import Tally


def test_elements_pass_on_and_the_count_is_written_at_the_bundles_end(tmp_path: Path) -> None:
    tally = Tally(str(tmp_path), "fetched", every=3600)
    tally.setup()
    passed = [out for element in ("a", "b", "c") for out in tally.process(element)]
    assert passed == ["a", "b", "c"]
    tally.finish_bundle()
    [written] = tmp_path.glob("fetched-*.count")
    assert written.read_text() == "3"
    assert not list(tmp_path.glob("*.tmp"))


def test_the_count_is_rewritten_as_it_goes_when_due(tmp_path: Path) -> None:
    tally = Tally(str(tmp_path), "fetched", every=0)
    tally.setup()
    for count, element in enumerate("abc", start=1):
        list(tally.process(element))
        assert tally.path.read_text() == str(count)


def test_two_instances_keep_two_files(tmp_path: Path) -> None:
    for _ in range(2):
        tally = Tally(str(tmp_path), "indexed")
        tally.setup()
        list(tally.process("x"))
        tally.finish_bundle()
    assert sorted(path.read_text() for path in tmp_path.glob("indexed-*.count")) == ["1", "1"]


def test_a_directory_gone_at_the_end_of_a_run_is_no_error(tmp_path: Path) -> None:
    tally = Tally(str(tmp_path / "gone"), "entries")
    tally.setup()
    assert list(tally.process("x")) == ["x"]
    tally.finish_bundle()
    assert not (tmp_path / "gone").exists()
