"""Beam's Flink job server with an embedded Flink cluster, for running newswire on a second
portable runner besides Prism.

Beam publishes the job server as one shaded jar (`beam-runners-flink-<line>-job-server`), but the
Maven Central this project reaches carries none of those jars, nor any Beam Java artifact of the
installed 2.77.0, nor any runner for Flink 1.20. What it does carry is the unshaded runner with
its whole dependency tree for Flink 1.19 at Beam 2.62.0, and the job server's main class lives in
that runner. (It also serves that runner at 2.70.0, but not the 2.70.0 of its dependency
beam-runners-java-job-service, so 2.70.0 does not resolve.) So Maven resolves the
runner's runtime classpath (checking every jar against Maven Central's .sha1), newswire caches it
under the newswire cache directory, and `FlinkJobServer` runs the driver from it on Java 11 or 17.
The job server's Beam version need not match the SDK's: both speak the portable job and Fn APIs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from newswire.pipeline.services.host import (
    Say,
    exclusive,
    find_java_home,
    home_dir,
    maven_repo,
)
from newswire.pipeline.services.jobserver import LocalJobServer

DRIVER = "org.apache.beam.runners.flink.FlinkJobServerDriver"
FLINK_JAVA = (11, 17)
# slf4j-jdk14 gives the driver a log binding, as the shaded jar has; without one it logs nothing.
_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>newswire</groupId><artifactId>flink-job-server</artifactId><version>1</version>
  <repositories><repository><id>central</id><url>{repo}</url></repository></repositories>
  <dependencies><dependency>
    <groupId>org.apache.beam</groupId><artifactId>beam-runners-flink-{line}</artifactId>
    <version>{version}</version>
  </dependency><dependency>
    <groupId>org.slf4j</groupId><artifactId>slf4j-jdk14</artifactId><version>1.7.30</version>
  </dependency></dependencies>
</project>
"""


def flink_line() -> str:
    """The Flink release line the runner is built for: $NEWSWIRE_FLINK_LINE, else 1.19."""
    return os.environ.get("NEWSWIRE_FLINK_LINE", "1.19")


def beam_java_version() -> str:
    """The Beam Java release of the job server: $NEWSWIRE_FLINK_BEAM_VERSION, else 2.62.0."""
    return os.environ.get("NEWSWIRE_FLINK_BEAM_VERSION", "2.62.0")


class FlinkUnavailable(RuntimeError):
    """The Flink job server's classpath or a Java to run it could not be had."""


def flink_root() -> Path:
    """The folder holding each cached job-server classpath, its artifacts and its log."""
    return home_dir() / "flink"


def ensure_flink_job_server(say: Say = print) -> Path:
    """The folder of jars that runs Beam's Flink job server, resolved and verified once."""
    line, version = flink_line(), beam_java_version()
    target = flink_root() / f"beam-{version}-flink-{line}"
    jar = target / f"beam-runners-flink-{line}-{version}.jar"
    if jar.is_file():
        return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise FlinkUnavailable("the Flink job server is resolved with Maven: install it "
                               "(e.g. `apt-get install maven`)")
    with exclusive(target):
        if jar.is_file():  # resolved by another process meanwhile
            return target
        say(f"resolving Beam {version}'s Flink {line} job server from Maven "
            "(about 150 MB, once) ...")
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".resolve-") as scratch:
            work = Path(scratch)
            (work / "pom.xml").write_text(
                _POM.format(repo=maven_repo(), line=line, version=version))
            command = [mvn, "--batch-mode", "--quiet", "--strict-checksums",
                       f"-Dmaven.repo.local={work / 'm2'}", "dependency:copy-dependencies",
                       "-DincludeScope=runtime", f"-DoutputDirectory={work / 'lib'}"]
            result = subprocess.run(command, cwd=work, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise FlinkUnavailable(f"`{' '.join(command)}` failed:\n{result.stdout[-3000:]}"
                                       f"{result.stderr[-3000:]}")
            os.replace(work / "lib", target)
        size_mb = sum(path.stat().st_size for path in target.glob("*.jar")) / 1e6
        say(f"cached the Flink job server in {target} ({size_mb:.0f} MB) "
            f"in {time.monotonic() - started:.0f} s")
    return target


def find_flink_java() -> Path:
    """The `java` of the first Java 11 or 17 home in JAVA_HOME, on PATH or in /usr/lib/jvm."""
    if home := find_java_home(lambda major: major in FLINK_JAVA, "JAVA_HOME"):
        return home / "bin" / "java"
    raise FlinkUnavailable(f"Flink {flink_line()} needs Java 11 or 17 and none was found: "
                           "install one (e.g. openjdk-17-jre-headless) or set JAVA_HOME to it")


class FlinkJobServer(LocalJobServer):
    """Beam's Flink job server running each job on an embedded local Flink cluster."""

    name = "Flink job server"
    start_timeout = 60.0

    def __init__(self, classpath: Path, java: Path | None = None,
                 log: Path | None = None) -> None:
        super().__init__(log or flink_root() / "job-server.log")
        self.classpath = classpath
        self.java = java or find_flink_java()

    def command(self, port: int) -> list[str]:
        """The driver on a free job port, with dynamic artifact and expansion ports."""
        return [str(self.java), "-cp", f"{self.classpath}/*", DRIVER,
                "--job-port", str(port), "--artifact-port", "0", "--expansion-port", "0",
                "--flink-master", "[local]",
                "--artifacts-dir", str(flink_root() / "artifacts")]
