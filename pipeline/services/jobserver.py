"""A local Beam job server (Prism, Flink) as a child process newswire starts and stops."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path


class JobServerFailed(RuntimeError):
    """A local job server exited at start or never listened on its port."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalJobServer:
    """A Beam job server process on a free loopback port, in its own session so a terminal's
    Ctrl-C reaches only newswire; entering waits until the port accepts connections.

    Subclasses say how to start theirs with `command(port)`. Entered again after it stopped,
    it comes back on the port it had, as a restarted service would.
    """

    name = "job server"
    start_timeout = 30.0

    def __init__(self, log: Path) -> None:
        self.log = log
        self.port = 0
        self._process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"localhost:{self.port}"

    def command(self, port: int) -> list[str]:
        """The command line that serves the job API on `port`."""
        raise NotImplementedError

    def working_dir(self) -> Path | None:
        """Where the process runs; None: this process's directory."""
        return None

    def environment(self) -> dict[str, str] | None:
        """The process's environment; None: this process's."""
        return None

    def __enter__(self) -> LocalJobServer:
        self.port = self.port or free_port()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                self.command(self.port), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.working_dir(),
                env=self.environment())
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise JobServerFailed(f"the {self.name} exited at start; see {self.log}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.1)
        self.__exit__()
        raise JobServerFailed(
            f"the {self.name} did not listen on {self.endpoint} within {self.start_timeout:.0f} s")

    def __exit__(self, *_: object) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
