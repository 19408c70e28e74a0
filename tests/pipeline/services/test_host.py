"""The host helpers the local builds share, apart from the Elasticsearch node module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from newswire.pipeline.services import elasticsearch, flink
from newswire.pipeline.services.host import find_java_home, maven_repo


def test_the_builds_do_not_load_the_elasticsearch_node_module() -> None:
    probe = ("import sys; import newswire.pipeline.services.prism, "
             "newswire.pipeline.services.flink, newswire.pipeline.services.golang, "
             "newswire.pipeline.services.es_plugin; "
             "print('newswire.pipeline.services.elasticsearch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_settings_from_the_environment_are_read_when_used_not_at_import(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert maven_repo() == "https://repo1.maven.org/maven2"
    monkeypatch.setenv("NEWSWIRE_MAVEN_REPO", "https://mirror.example/maven2")
    monkeypatch.setenv("NEWSWIRE_ES_VERSION", "9.0.0")
    monkeypatch.setenv("NEWSWIRE_FLINK_LINE", "1.18")
    monkeypatch.setenv("NEWSWIRE_FLINK_BEAM_VERSION", "2.60.0")
    assert maven_repo() == "https://mirror.example/maven2"
    assert elasticsearch.LocalNode().version == "9.0.0"
    assert (flink.flink_line(), flink.beam_java_version()) == ("1.18", "2.60.0")


def _fake_jdk(home: Path, major: int) -> Path:
    java = home / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{major}.0.1\"' >&2\n")
    java.chmod(0o755)
    return home


def test_find_java_home_takes_the_first_accepted_version(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLD_JDK", str(_fake_jdk(tmp_path / "old", 11)))
    monkeypatch.setenv("NEW_JDK", str(_fake_jdk(tmp_path / "new", 42)))
    assert find_java_home(lambda major: major >= 42, "OLD_JDK", "NEW_JDK") == tmp_path / "new"
    assert find_java_home(lambda major: major == 11, "OLD_JDK", "NEW_JDK") == tmp_path / "old"
    assert find_java_home(lambda major: major == 99, "OLD_JDK", "NEW_JDK",
                          tool="javac") is None
