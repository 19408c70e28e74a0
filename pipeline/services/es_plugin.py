"""newswire's Elasticsearch plugin, built from source against the local distribution and installed.

The integration-test distribution leaves out the analysis-common module, whose analysis components
the security index declares; without that index a secured node cannot issue API keys. The plugin
(es-plugin/SecurityAnalysisPlugin.java) supplies those components, wrapping the same Lucene
classes. It is compiled against the distribution's own jars, so it always matches its version.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tempfile
import zipfile
from pathlib import Path

from newswire.pipeline.services.host import Say

NAME = "newswire-security-analysis"
SOURCE = Path(__file__).with_name("es-plugin") / "SecurityAnalysisPlugin.java"
CLASS = "newswire.analysis.SecurityAnalysisPlugin"
JAVA_RELEASE = "21"


class PluginError(RuntimeError):
    """The plugin could not be built or installed."""


def ensure_installed(dist_dir: Path, version: str, jdk: Path,
                     say: Say = print) -> None:
    """Build and install the plugin into `dist_dir` unless this source's build is there."""
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:12]
    jar_name = f"{NAME}-{digest}.jar"
    if (dist_dir / "plugins" / NAME / jar_name).exists():
        return
    say(f"building the {NAME} plugin for Elasticsearch {version} (once) ...")
    with tempfile.TemporaryDirectory() as tmp:
        classes = Path(tmp) / "classes"
        _run([str(jdk / "bin" / "javac"), "--release", JAVA_RELEASE, "-nowarn",
              "-cp", str(dist_dir / "lib" / "*"), "-d", str(classes), str(SOURCE)])
        bundle = Path(tmp) / f"{NAME}.zip"
        with zipfile.ZipFile(bundle, "w") as plugin:
            plugin.writestr("plugin-descriptor.properties", _descriptor(version))
            plugin.writestr(jar_name, _jar(classes))
        tool = [str(dist_dir / "bin" / "elasticsearch-plugin")]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ES_", "JAVA_"))}
        env["ES_JAVA_HOME"] = str(jdk)
        if (dist_dir / "plugins" / NAME).exists():
            _run([*tool, "remove", NAME], env)
        _run([*tool, "install", "--batch", bundle.as_uri()], env)


def _descriptor(version: str) -> str:
    return "\n".join([
        "description=Analysis components for the security index (see SecurityAnalysisPlugin)",
        "version=1.0",
        f"name={NAME}",
        f"classname={CLASS}",
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


def _run(argv: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise PluginError(f"`{' '.join(argv[:2])} ...` failed while installing {NAME}:\n"
                          f"{result.stdout}{result.stderr}")
