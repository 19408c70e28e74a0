"""newswire's Elasticsearch plugins, built from source against the local distribution and installed.

The integration-test distribution that the managed node runs leaves out the analysis-common
module, and with it two things newswire needs, each supplied by a small plugin that wraps the
same Lucene classes as the module (es-plugin/*.java):

- LANGUAGES, on every managed node: the language analyzers (`english`, `german`, ...) that the
  article mapping names, so searches stem in each article's language.
- SECURITY, on a secured node: the analysis components the security index declares; without
  that index a secured node cannot issue API keys.

Each is compiled against the distribution's own jars, so it always matches its version; the
jar's name carries a digest of the source, so a changed source is rebuilt and reinstalled.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from newswire.pipeline.services.host import Say

SOURCES = Path(__file__).with_name("es-plugin")
JAVA_RELEASE = "21"


@dataclass(frozen=True)
class Plugin:
    """One plugin: its name, its single Java source (class = file name) and what it is for."""

    name: str
    source: Path
    description: str

    @property
    def classname(self) -> str:
        return f"newswire.analysis.{self.source.stem}"

    @property
    def jar_name(self) -> str:
        """The jar's file name, which changes whenever the source does."""
        digest = hashlib.sha256(self.source.read_bytes()).hexdigest()[:12]
        return f"{self.name}-{digest}.jar"

    def installed_in(self, dist_dir: Path) -> bool:
        """Whether this source's build is installed in the distribution at `dist_dir`."""
        return (dist_dir / "plugins" / self.name / self.jar_name).exists()


LANGUAGES = Plugin("newswire-language-analysis", SOURCES / "LanguageAnalysisPlugin.java",
                   "Elasticsearch's language analyzers (see LanguageAnalysisPlugin)")
SECURITY = Plugin("newswire-security-analysis", SOURCES / "SecurityAnalysisPlugin.java",
                  "Analysis components for the security index (see SecurityAnalysisPlugin)")


class PluginError(RuntimeError):
    """A plugin could not be built or installed."""


def ensure_installed(plugin: Plugin, dist_dir: Path, version: str, jdk: Path,
                     say: Say = print) -> None:
    """Build and install `plugin` into `dist_dir` unless this source's build is there."""
    if plugin.installed_in(dist_dir):
        return
    say(f"building the {plugin.name} plugin for Elasticsearch {version} (once) ...")
    with tempfile.TemporaryDirectory() as tmp:
        classes = Path(tmp) / "classes"
        _run(plugin, [str(jdk / "bin" / "javac"), "--release", JAVA_RELEASE, "-nowarn",
                      "-cp", str(dist_dir / "lib" / "*"), "-d", str(classes),
                      str(plugin.source)])
        bundle = Path(tmp) / f"{plugin.name}.zip"
        with zipfile.ZipFile(bundle, "w") as archive:
            archive.writestr("plugin-descriptor.properties", _descriptor(plugin, version))
            archive.writestr(plugin.jar_name, _jar(classes))
        tool = [str(dist_dir / "bin" / "elasticsearch-plugin")]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ES_", "JAVA_"))}
        env["ES_JAVA_HOME"] = str(jdk)
        if (dist_dir / "plugins" / plugin.name).exists():
            _run(plugin, [*tool, "remove", plugin.name], env)
        _run(plugin, [*tool, "install", "--batch", bundle.as_uri()], env)


def _descriptor(plugin: Plugin, version: str) -> str:
    return "\n".join([
        f"description={plugin.description}",
        "version=1.0",
        f"name={plugin.name}",
        f"classname={plugin.classname}",
        f"java.version={JAVA_RELEASE}",
        f"elasticsearch.version={version}",
        "",
    ])


def _jar(classes: Path) -> bytes:
    """A jar of the compiled classes (a jar is a zip; the manifest is optional)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as jar:
        for path in sorted(classes.rglob("*.class")):
            jar.write(path, path.relative_to(classes).as_posix())
    return buffer.getvalue()


def _run(plugin: Plugin, argv: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise PluginError(f"`{' '.join(argv[:2])} ...` failed while installing {plugin.name}:\n"
                          f"{result.stdout}{result.stderr}")
