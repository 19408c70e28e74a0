"""A Beam worker pool that shares nothing with the launcher but the pipeline and its options.

On Dataflow or a Flink cluster the workers run newswire from its installed package, in their own
environment and directory. `--environment_type=LOOPBACK` hides what that would catch: a
module-level global, a file only the checkout has, a dependency the package does not declare.
So newswire can build its wheel, install it with its dependencies alone into a virtual
environment of its own (cached under the newswire cache directory: the dependencies by their
list, each wheel by its contents), and run Beam's worker pool from there, in an empty working
directory, for a portable runner to reach with `--environment_type=EXTERNAL
--environment_config=localhost:PORT`. Started through Beam's SDK boot program, as in the worker
image, each worker first installs what the job staged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from apache_beam.version import __version__ as BEAM_VERSION

from newswire.pipeline.services.golang import GoBuildFailed, find_go, install_program
from newswire.pipeline.services.host import Say, exclusive, home_dir
from newswire.pipeline.services.jobserver import LocalJobServer
from newswire.pipeline.services.prism import go_module_version

REPO_ROOT = Path(__file__).resolve().parents[2]
SDK_BOOT_PACKAGE = "github.com/apache/beam/sdks/v2/python/container"


class WheelBuildFailed(RuntimeError):
    """The wheel, or the environment it installs into, could not be built."""


def _run(command: list[str], cwd: Path | None = None) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise WheelBuildFailed(f"`{' '.join(command)}` failed:\n{result.stderr[-3000:]}")


def build_wheel(out_dir: Path, source: Path = REPO_ROOT) -> Path:
    """newswire's wheel, built from `source` into `out_dir` (what the Dockerfiles install)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out_dir),
          str(source)])
    return max(out_dir.glob("newswire-*.whl"), key=lambda path: path.stat().st_mtime)


def wheel_key(wheel: Path) -> str:
    """A short hash of what the wheel installs: its RECORD lists every file's own hash, so the
    key changes with the code and not with file times inside the zip."""
    return _hash(_dist_info(wheel, "RECORD"))


def requirements_key(wheel: Path) -> str:
    """A short hash of the wheel's declared dependencies and of this Python's version."""
    metadata = _dist_info(wheel, "METADATA").decode()
    requires = sorted(line for line in metadata.splitlines() if line.startswith("Requires-Dist:"))
    return _hash("\n".join([sys.version.split()[0], *requires]).encode())


def _dist_info(wheel: Path, name: str) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        [member] = [m for m in archive.namelist() if m.endswith(f".dist-info/{name}")]
        return archive.read(member)


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def ensure_worker_env(wheel: Path, say: Say = print, keep: int = 3) -> Path:
    """The Python of a virtual environment holding the wheel and its dependencies only.

    The dependencies are installed once per dependency list (about 40 s from a warm pip
    cache); each new wheel gets its own environment, a hard-linked copy of those with the
    wheel added (a few seconds), so runs of different code never share one. The `keep` newest
    wheel environments and the two newest dependency environments are kept.
    """
    root = home_dir() / "worker-envs"
    target = root / f"newswire-{wheel_key(wheel)}"
    if (target / "bin" / "python").is_file():
        return target / "bin" / "python"
    base = _dependencies_env(wheel, root / f"deps-{requirements_key(wheel)}", say)
    with exclusive(target):
        if (target / "bin" / "python").is_file():  # made by another process meanwhile
            return target / "bin" / "python"
        scratch = root / f".build-{os.getpid()}-{time.monotonic_ns()}"
        try:
            _run(["cp", "-al", str(base), str(scratch)])
            _run([str(scratch / "bin" / "python"), "-m", "pip", "install", "--quiet",
                  "--no-deps", "--disable-pip-version-check", str(wheel)])
            os.replace(scratch, target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        os.utime(target)  # `cp -a` kept the dependencies' old time: mark it the newest to keep
    _prune(root, "newswire-*", keep)
    _prune(root, "deps-*", 2)  # the copies are hard links: they outlive what they came from
    return target / "bin" / "python"


def bare_worker_env(wheel: Path, into: Path, say: Say = print) -> Path:
    """The Python of a new virtual environment at `into` holding the wheel's dependencies but
    not the wheel: workers that run from it have newswire only if the job staged it."""
    root = home_dir() / "worker-envs"
    root.mkdir(parents=True, exist_ok=True)
    _run(["cp", "-al", str(_dependencies_env(wheel, root / f"deps-{requirements_key(wheel)}",
                                             say)), str(into)])
    return into / "bin" / "python"


def ensure_sdk_boot(say: Say = print) -> Path:
    """Beam's Python SDK boot program (the worker image's /opt/apache/beam/boot) at the installed
    Beam's version, built once from the Go module proxy. Each worker a pool starts through it
    first fetches what the job staged and pip-installs it, as in the worker image."""
    target = home_dir() / "sdk-boot" / f"v{BEAM_VERSION}" / "boot"
    if target.is_file():
        return target
    go = find_go()
    if go is None:
        raise GoBuildFailed("Beam's SDK boot program is built with Go: install Go 1.26+")
    return install_program(go, SDK_BOOT_PACKAGE, go_module_version(BEAM_VERSION), target, say)


def _prune(root: Path, pattern: str, keep: int) -> None:
    """Remove all but the `keep` newest environments matching `pattern`."""
    for old in sorted(root.glob(pattern), key=lambda path: path.stat().st_mtime)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def _dependencies_env(wheel: Path, target: Path, say: Say) -> Path:
    """A virtual environment with the wheel's dependencies and not the wheel itself."""
    if (target / "bin" / "python").is_file():
        return target
    with exclusive(target):
        if (target / "bin" / "python").is_file():  # made by another process meanwhile
            return target
        say(f"installing the dependencies of {wheel.name} into a worker environment (once) ...")
        started = time.monotonic()
        scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=".build-"))
        try:
            python = str(scratch / "bin" / "python")
            _run([sys.executable, "-m", "venv", str(scratch)])
            _run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                  str(wheel)])
            _run([python, "-m", "pip", "uninstall", "--quiet", "--yes", "newswire"])
            os.replace(scratch, target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        say(f"worker dependencies {target} ready in {time.monotonic() - started:.0f} s")
    return target


class WorkerPool(LocalJobServer):
    """Beam's worker pool (SDK harnesses on request of a runner), run by `python` in `workdir`
    with none of the launcher's import paths."""

    name = "Beam worker pool"

    def __init__(self, python: Path, workdir: Path, log: Path | None = None,
                 boot: Path | None = None) -> None:
        super().__init__(log or workdir / "worker-pool.log")
        self.python = python
        self.workdir = workdir
        self.boot = boot

    def command(self, port: int) -> list[str]:
        """The pool; with `boot` (ensure_sdk_boot), each worker starts through it."""
        return [str(self.python), "-m", "apache_beam.runners.worker.worker_pool_main",
                f"--service_port={port}",
                *([f"--container_executable={self.boot}"] if self.boot else [])]

    def working_dir(self) -> Path:
        return self.workdir

    def environment(self) -> dict[str, str]:
        """This process's environment less its Python paths; the pool starts each SDK harness
        as `python` from PATH, so the environment's own comes first."""
        env = {name: value for name, value in os.environ.items()
               if name not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        env["PATH"] = os.pathsep.join([str(self.python.parent), env.get("PATH", "")])
        if self.boot:  # install what was staged into this environment, not a venv in /opt
            env["RUN_PYTHON_SDK_IN_DEFAULT_ENVIRONMENT"] = "1"
        return env

    def pipeline_args(self) -> list[str]:
        """The flags that send a portable runner's work to this pool."""
        return ["--environment_type=EXTERNAL", f"--environment_config={self.endpoint}"]
