"""The Docker Compose stack, resolved by compose-go, the loader Docker Compose itself uses.

No Docker engine runs here, so the stack is never started; but `deploy/compose/check` loads it
exactly as `docker compose up` would (schema, interpolation, merges, relative paths) and the
tests read the resolved project.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from newswire.pipeline import cli
from newswire.pipeline.services.elasticsearch import PINNED_VERSION
from newswire.pipeline.services.golang import find_go, run_go
from newswire.pipeline.services.host import home_dir
from tests import REPO

COMPOSE_DIR = REPO / "deploy" / "compose"
CHECKER = COMPOSE_DIR / "check"
PASSWORDS = {"ELASTIC_PASSWORD": "elastic0pass", "KIBANA_PASSWORD": "kibana0pass"}


@pytest.fixture(scope="session")
def compose_check() -> Path:
    """The checker binary, built once per revision of its source into the newswire cache."""
    sources = b"".join((CHECKER / name).read_bytes() for name in ("main.go", "go.mod", "go.sum"))
    target = home_dir() / "compose-check" / hashlib.sha256(sources).hexdigest()[:12] / "check"
    if target.exists():
        return target
    go = find_go()
    if go is None:
        pytest.fail("the compose check needs Go 1.22+ (https://go.dev/doc/install)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        built = Path(scratch) / "check"
        result = run_go(go, ["build", "-trimpath", "-o", str(built), "."], Path(scratch),
                        cwd=CHECKER)
        assert result.returncode == 0, result.stderr
        built.replace(target)
    return target


def load(checker: Path, env_file: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in PASSWORDS}
    return subprocess.run([str(checker), "-env-file", str(env_file),
                           str(COMPOSE_DIR / "docker-compose.yml")],
                          env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def project(compose_check: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The stack as Compose resolves it, with .env.example filled in as the README says."""
    env_file = tmp_path_factory.mktemp("compose") / ".env"
    example = (COMPOSE_DIR / ".env.example").read_text()
    for name, value in PASSWORDS.items():
        example = example.replace(f"{name}=\n", f"{name}={value}\n")
    env_file.write_text(example)
    result = load(compose_check, env_file)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_passwords_compose_names_each_one(compose_check: Path) -> None:
    result = load(compose_check, COMPOSE_DIR / ".env.example")
    assert result.returncode == 1
    assert "set ELASTIC_PASSWORD in .env" in result.stderr
    assert "set KIBANA_PASSWORD in .env" in result.stderr


def test_the_services_and_their_start_order(project: dict[str, Any]) -> None:
    services = project["services"]
    assert set(services) == {"setup", "es01", "kibana", "newswire", "kibana-import"}
    waits = {name: {dep: spec["condition"] for dep, spec in service.get("depends_on", {}).items()}
             for name, service in services.items()}
    assert waits == {
        "setup": {},
        "es01": {"setup": "service_healthy"},
        "kibana": {"es01": "service_healthy"},
        "newswire": {"es01": "service_healthy"},
        "kibana-import": {"kibana": "service_healthy"},
    }
    images = {name: service["image"] for name, service in services.items()
              if name not in ("newswire", "kibana-import")}
    assert images == {
        "setup": f"docker.elastic.co/elasticsearch/elasticsearch:{PINNED_VERSION}",
        "es01": f"docker.elastic.co/elasticsearch/elasticsearch:{PINNED_VERSION}",
        "kibana": f"docker.elastic.co/kibana/kibana:{PINNED_VERSION}",
    }


def test_elasticsearch_has_security_and_tls_on_loopback(project: dict[str, Any]) -> None:
    es = project["services"]["es01"]
    env = es["environment"]
    assert env["xpack.security.enabled"] == env["xpack.security.http.ssl.enabled"] == "true"
    assert env["ELASTIC_PASSWORD"] == PASSWORDS["ELASTIC_PASSWORD"]
    assert [(p["host_ip"], p["published"], p["target"]) for p in es["ports"]] == [
        ("127.0.0.1", "9200", 9200)]
    kibana = project["services"]["kibana"]
    assert kibana["environment"]["ELASTICSEARCH_PASSWORD"] == PASSWORDS["KIBANA_PASSWORD"]
    assert kibana["environment"]["ELASTICSEARCH_HOSTS"] == "https://es01:9200"


def test_newswire_is_built_from_this_repository_and_trusts_the_stack_ca(
        project: dict[str, Any]) -> None:
    services = project["services"]
    for name in ("newswire", "kibana-import"):
        build = services[name]["build"]
        assert Path(build["context"]) == REPO
        assert (REPO / build["dockerfile"]).is_file()
    newswire = services["newswire"]
    env = newswire["environment"]
    assert (env["NEWSWIRE_ES_USERNAME"], env["NEWSWIRE_ES_PASSWORD"]) == (
        "elastic", PASSWORDS["ELASTIC_PASSWORD"])
    # setup installs the CA certificate into volume `cacert`; newswire reads it from there
    mounts = {m["target"]: m for m in newswire["volumes"]}
    ca_dir = str(Path(env["NEWSWIRE_ES_CA_CERTS"]).parent)
    assert (mounts[ca_dir]["type"], mounts[ca_dir]["source"]) == ("volume", "cacert")
    setup_mounts = {m["source"]: m["target"] for m in services["setup"]["volumes"]}
    assert setup_mounts["cacert"].endswith("/config/cacert")
    assert "../cacert/ca.crt" in services["setup"]["command"][-1]
    feeds = mounts["/feeds/feeds.txt"]
    assert feeds["type"] == "bind" and Path(feeds["source"]) == COMPOSE_DIR / "feeds.txt"


def test_newswire_accepts_its_commands(project: dict[str, Any]) -> None:
    services = project["services"]
    run, rest = cli._parser().parse_known_args(services["newswire"]["command"])
    assert (run.command, run.es_url, rest) == ("run", "https://es01:9200", [])
    assert run.feeds == ["/feeds/feeds.txt"]
    kibana_import = cli._parser().parse_args(services["kibana-import"]["command"])
    assert kibana_import.kibana_url == "http://kibana:5601"


def test_no_password_is_on_a_command_line(project: dict[str, Any]) -> None:
    for service in project["services"].values():
        command = json.dumps(service.get("command") or [])
        assert not any(value in command for value in PASSWORDS.values())


def test_the_setup_script_is_valid_bash(project: dict[str, Any]) -> None:
    argv = project["services"]["setup"]["command"]
    assert argv[:2] == ["bash", "-c"]
    subprocess.run(["bash", "-n", "-c", argv[2]], check=True)
