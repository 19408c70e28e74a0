"""Building the Go programs newswire uses (Prism; the compose checker) with a private Go workspace.

The module and build caches live under the newswire cache directory, so any user can build and
nothing lands in the user's own GOPATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from newswire.pipeline.services.host import Say, exclusive, home_dir

# Where the official Go installer puts the toolchain; non-login shells often lack it on PATH.
_GO_FALLBACK = Path("/usr/local/go/bin/go")


def find_go() -> Path | None:
    """The `go` command on PATH or at the standard install location, if there is one."""
    if found := shutil.which("go"):
        return Path(found)
    return _GO_FALLBACK if _GO_FALLBACK.is_file() else None


def run_go(go: Path, args: list[str], scratch: Path,
           cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`go ARGS` with the shared module cache, a build cache in `scratch` and GOBIN=`scratch`."""
    workspace = home_dir() / "go"
    env = {
        **os.environ,
        "GOPATH": str(workspace),
        "GOMODCACHE": str(workspace / "pkg" / "mod"),
        "GOCACHE": str(scratch / "cache"),
        "GOBIN": str(scratch),
        # Writable module files let the cache be deleted like any other folder.
        "GOFLAGS": f"{os.environ.get('GOFLAGS', '')} -modcacherw".strip(),
        "CGO_ENABLED": "0",
    }
    return subprocess.run([str(go), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          check=False)


class GoBuildFailed(RuntimeError):
    """`go install` of a program failed."""


def install_program(go: Path, package: str, version: str, target: Path, say: Say) -> Path:
    """`go install PACKAGE@VERSION` into `target`, through a scratch folder beside it, so a
    failed or interrupted build leaves nothing at `target`."""
    with exclusive(target):
        if target.is_file():  # built by another process meanwhile
            return target
        say(f"building {package} {version} with {go} (once; a few minutes on a small machine) ...")
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as scratch:
            command = ["install", "-trimpath", "-ldflags=-s -w", f"{package}@{version}"]
            result = run_go(go, command, Path(scratch))
            if result.returncode != 0:
                raise GoBuildFailed(f"`go {' '.join(command)}` failed:\n{result.stderr.strip()}")
            os.replace(Path(scratch) / package.rsplit("/", 1)[-1], target)
        say(f"built {target} ({target.stat().st_size / 1e6:.0f} MB) "
            f"in {time.monotonic() - started:.0f} s")
    return target
