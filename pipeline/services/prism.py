"""A local Prism binary for Beam's PrismRunner, built from the Go module proxy instead of GitHub.

PrismRunner normally downloads a release zip from GitHub, which this project's machines cannot
reach. `ensure_prism` finds or builds the binary of the installed Beam version and caches it
under the newswire cache directory, and `PrismJobServer` runs it for newswire's jobs.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from apache_beam.version import __version__ as BEAM_VERSION

from newswire.pipeline.services.golang import GoBuildFailed, find_go, install_program
from newswire.pipeline.services.host import Say, home_dir
from newswire.pipeline.services.jobserver import LocalJobServer

PRISM_PACKAGE = "github.com/apache/beam/sdks/v2/go/cmd/prism"
ENV_OVERRIDE = "NEWSWIRE_PRISM"


class PrismUnavailable(RuntimeError):
    """No Prism binary could be found, built or downloaded."""


def prism_root() -> Path:
    """The folder holding each cached Prism version."""
    return home_dir() / "prism"


def cached_binary(version: str = BEAM_VERSION) -> Path:
    """Where the Prism binary for a Beam version is cached."""
    return prism_root() / f"v{version}" / "prism"


def go_module_version(beam_version: str) -> str:
    """The Go module version of a Beam release: 2.77.0 -> v2.77.0, 2.78.0rc2 -> v2.78.0-RC2."""
    match = re.fullmatch(r"(\d+\.\d+\.\d+)rc(\d+)", beam_version)
    return f"v{match[1]}-RC{match[2]}" if match else f"v{beam_version}"


def ensure_prism(say: Say = print) -> Path:
    """The path of a Prism binary for the installed Beam: $NEWSWIRE_PRISM, the cache, a Go build,
    or Beam's own GitHub download, in that order.
    """
    if explicit := os.environ.get(ENV_OVERRIDE):
        path = Path(explicit)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise PrismUnavailable(f"${ENV_OVERRIDE} names {path}, which is not an executable file")
        return path
    target = cached_binary()
    if target.is_file():
        return target
    go = find_go()
    if go is not None:
        return build_prism(go, target, say)
    try:
        return _download_with_beam(target, say)
    except (OSError, RuntimeError, ValueError) as error:
        raise PrismUnavailable(
            f"no Prism binary for Beam {BEAM_VERSION}: Go is not installed and Beam could not "
            f"download one ({error}). Install Go 1.26+ (https://go.dev/doc/install) so newswire "
            f"can build it, or set ${ENV_OVERRIDE} to a prism binary."
        ) from error


def build_prism(go: Path, target: Path, say: Say = print) -> Path:
    """`go install` Prism at the installed Beam's module version into `target`."""
    try:
        return install_program(go, PRISM_PACKAGE, go_module_version(BEAM_VERSION), target, say)
    except GoBuildFailed as error:
        raise PrismUnavailable(
            f"{error}\nSet ${ENV_OVERRIDE} to a prism binary instead.") from error


def _download_with_beam(target: Path, say: Say) -> Path:
    """Fetch the release binary with Beam's own resolver and downloader, caching it at `target`."""
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.runners.portability.prism_runner import PrismJobServer

    url = PrismJobServer(PipelineOptions([])).path_to_binary()
    say(f"downloading Prism from {url} ...")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download-") as scratch:
        os.replace(PrismJobServer.local_bin(url, bin_cache=scratch), target)
    say(f"downloaded Prism to {target}")
    return target


class PrismJobServer(LocalJobServer):
    """Prism as a job server in its own session, for a streaming job that the user stops.

    Beam's PrismRunner starts Prism in the caller's process group, so a terminal's Ctrl-C kills
    it before newswire can read the job's metrics. Started here, Ctrl-C reaches only newswire,
    which then reads the summary, cancels the job and stops this server.
    """

    name = "Prism job server"

    def __init__(self, binary: Path, log: Path | None = None) -> None:
        super().__init__(log or prism_root() / "job-server.log")
        self.binary = binary

    def command(self, port: int) -> list[str]:
        return [str(self.binary), f"--job_port={port}", "--serve_http=false"]
