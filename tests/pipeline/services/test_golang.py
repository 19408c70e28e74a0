"""Building Go programs with a private workspace, with a stand-in `go` that says what it got."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from newswire.pipeline.services import golang


def fake_go(path: Path, script: str) -> Path:
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return path


def test_go_is_found_on_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    go = fake_go(tmp_path / "go", "exit 0")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert golang.find_go() == go


def test_go_runs_with_the_newswire_workspace_and_its_own_build_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GOFLAGS", "-mod=mod")
    go = fake_go(tmp_path / "go", 'echo "$@|$GOPATH|$GOMODCACHE|$GOCACHE|$GOBIN|$GOFLAGS|'
                 '$CGO_ENABLED"')
    result = golang.run_go(go, ["version"], tmp_path / "scratch")
    home, scratch = tmp_path / "home", tmp_path / "scratch"
    assert result.stdout.strip().split("|") == [
        "version", str(home / "go"), str(home / "go" / "pkg" / "mod"), str(scratch / "cache"),
        str(scratch), "-mod=mod -modcacherw", "0"]


def test_a_program_is_installed_at_its_target(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_HOME", str(tmp_path / "home"))
    go = fake_go(tmp_path / "go", 'echo built > "$GOBIN/prism"')
    target = tmp_path / "bin" / "prism-v1"
    said: list[str] = []
    assert golang.install_program(go, "example.com/cmd/prism", "v1.0.0", target,
                                  said.append) == target
    assert target.read_text() == "built\n"
    assert said[0].startswith("building example.com/cmd/prism v1.0.0 with")
    assert [p.name for p in target.parent.iterdir()] == ["prism-v1"]  # no scratch left


def test_a_failed_build_leaves_nothing_at_the_target(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_HOME", str(tmp_path / "home"))
    go = fake_go(tmp_path / "go", "echo 'no such module' >&2; exit 1")
    target = tmp_path / "bin" / "prism-v1"
    with pytest.raises(golang.GoBuildFailed, match="no such module"):
        golang.install_program(go, "example.com/cmd/prism", "v1.0.0", target, lambda _: None)
    assert list(target.parent.iterdir()) == []


def test_builds_asked_for_at_once_build_the_program_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As parallel test workers or two first runs do: the second waits for the first's build."""
    monkeypatch.setenv("NEWSWIRE_HOME", str(tmp_path / "home"))
    builds = tmp_path / "builds"
    go = fake_go(tmp_path / "go", f'echo once >> {builds}; sleep 0.5; echo built > "$GOBIN/prism"')
    target = tmp_path / "bin" / "prism-v1"
    with ThreadPoolExecutor(3) as pool:
        done = list(pool.map(lambda _: golang.install_program(
            go, "example.com/cmd/prism", "v1.0.0", target, lambda _: None), range(3)))
    assert done == [target] * 3
    assert builds.read_text() == "once\n"
