"""newswire's Elasticsearch plugins: a build per source, installed once, a failure said plainly.
(A managed node with the plugin installed: test_elasticsearch.py.)"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from newswire.pipeline.services import es_plugin


def test_a_changed_plugin_source_is_built_again(tmp_path: Path) -> None:
    source = tmp_path / es_plugin.LANGUAGES.source.name
    source.write_bytes(es_plugin.LANGUAGES.source.read_bytes())
    plugin = dataclasses.replace(es_plugin.LANGUAGES, source=source)
    installed = tmp_path / "dist" / "plugins" / plugin.name
    installed.mkdir(parents=True)
    (installed / plugin.jar_name).touch()
    assert plugin.installed_in(tmp_path / "dist")
    source.write_text(source.read_text() + "// changed\n")
    assert not plugin.installed_in(tmp_path / "dist")


def test_each_plugin_has_its_own_source_class_and_name() -> None:
    plugins = (es_plugin.LANGUAGES, es_plugin.SECURITY)
    assert all(plugin.source.is_file() for plugin in plugins)
    assert [plugin.classname for plugin in plugins] == [
        "newswire.analysis.LanguageAnalysisPlugin", "newswire.analysis.SecurityAnalysisPlugin"]
    assert es_plugin.LANGUAGES.jar_name != es_plugin.SECURITY.jar_name
    assert es_plugin.LANGUAGES.jar_name.startswith("newswire-language-analysis-")


def test_an_installed_build_is_not_built_again(tmp_path: Path) -> None:
    installed = tmp_path / "plugins" / es_plugin.LANGUAGES.name
    installed.mkdir(parents=True)
    (installed / es_plugin.LANGUAGES.jar_name).touch()
    said: list[str] = []
    es_plugin.ensure_installed(es_plugin.LANGUAGES, tmp_path, "9.0.0", tmp_path / "no-jdk",
                               said.append)
    assert said == []


def test_a_failed_build_names_the_plugin_and_says_why(tmp_path: Path) -> None:
    javac = tmp_path / "jdk" / "bin" / "javac"
    javac.parent.mkdir(parents=True)
    javac.write_text("#!/bin/sh\necho 'error: cannot find symbol' >&2\nexit 1\n")
    javac.chmod(0o755)
    said: list[str] = []
    with pytest.raises(es_plugin.PluginError, match=r"(?s)failed while installing "
                       r"newswire-language-analysis.*cannot find symbol"):
        es_plugin.ensure_installed(es_plugin.LANGUAGES, tmp_path / "dist", "9.0.0",
                                   tmp_path / "jdk", said.append)
    assert said == ["building the newswire-language-analysis plugin for Elasticsearch 9.0.0 "
                    "(once) ..."]
