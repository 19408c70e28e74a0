"""What the local builds and services share about the host: where newswire keeps its files, the
Maven repository it downloads from, and which Java runtimes are installed. The environment is
read when asked, never at import."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

Say = Callable[[str], None]


def home_dir() -> Path:
    """Where downloads and node state live: $NEWSWIRE_HOME, else the user's cache directory.

    root's cache is not readable by the service user, so root uses /var/cache/newswire.
    """
    if env := os.environ.get("NEWSWIRE_HOME"):
        return Path(env)
    if os.geteuid() == 0:
        return Path("/var/cache/newswire")
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "newswire"


@contextmanager
def exclusive(target: Path) -> Iterator[None]:
    """Hold the lock on building or changing `target`, so that processes starting at once
    (parallel test workers, two runs on a fresh machine) build it once, one after the other,
    instead of racing to put it in place. The lock goes when the process does; its file stays
    in the cache's `locks` folder."""
    locks = home_dir() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    with (locks / f"{target.parent.name}-{target.name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def maven_repo() -> str:
    """The Maven repository the node and the Flink job server are downloaded from:
    $NEWSWIRE_MAVEN_REPO (a mirror), else Maven Central."""
    return os.environ.get("NEWSWIRE_MAVEN_REPO", "https://repo1.maven.org/maven2")


_JAVA_VERSION = re.compile(r'version "(\d+)')


def java_major(java_home: Path) -> int | None:
    """The major version of the JDK at `java_home`, or None if it does not run."""
    try:
        result = subprocess.run([str(java_home / "bin" / "java"), "-version"],
                                capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    match = _JAVA_VERSION.search(result.stderr)
    return int(match[1]) if match else None


def java_candidates(*variables: str) -> list[Path]:
    """JDK homes to try: those named by `variables`, the `java` on PATH, then /usr/lib/jvm."""
    candidates = [Path(os.environ[v]) for v in variables if os.environ.get(v)]
    if java := shutil.which("java"):
        candidates.append(Path(java).resolve().parent.parent)
    jvm_dir = Path("/usr/lib/jvm")
    if jvm_dir.is_dir():
        candidates.extend(sorted(jvm_dir.iterdir(), reverse=True))
    return candidates


def find_java_home(accept: Callable[[int], bool], *variables: str,
                   tool: str = "java") -> Path | None:
    """The first JDK home among `java_candidates(*variables)` that has bin/`tool` and whose
    major version `accept` takes; None if there is none."""
    for home in java_candidates(*variables):
        if (home / "bin" / tool).exists() and (major := java_major(home)) and accept(major):
            return home
    return None
