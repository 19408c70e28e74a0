"""What the Kubernetes deployment runs in application mode, run here: `newswire run
--output_executable_path` against Beam's Flink job server writes the pipeline, its options and
what it staged into one jar (as the JobManager's init containers do), and that jar alone, run by
its entry point (the operator's `entryClass`), ingests the corpus on Flink. Its workers come
from a pool whose environment has newswire's dependencies but not newswire, started through
Beam's SDK boot program as the worker image's pool is: they can run the job only with the wheel
the job staged, which reaches them from inside the jar."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest

from newswire.pipeline.services.flink import ensure_flink_job_server, find_flink_java
from newswire.pipeline.services.seed_server import SeedServer
from newswire.pipeline.services.worker_pool import (
    WorkerPool,
    bare_worker_env,
    build_wheel,
    ensure_sdk_boot,
)
from newswire.transforms.index.client import EsConnection
from tests.conftest import drop_job_aliases, job_aliases

pytestmark = [pytest.mark.es, pytest.mark.slow, pytest.mark.timeout(900)]
ENTRY = "org.apache.beam.runners.flink.FlinkPipelineRunner"  # deploy/flink's job.entryClass


def jar_contents(jar: Path) -> tuple[str, dict[str, str], list[str]]:
    """The jar's main class, the pipeline's options and the artifacts staged into it."""
    with zipfile.ZipFile(jar) as archive:
        manifest = archive.read("META-INF/MANIFEST.MF").decode()
        [options] = [name for name in archive.namelist()
                     if name.endswith("/pipeline-options.json")]
        artifacts = [name for name in archive.namelist() if "/artifacts/" in name]
        main = next(line.split(":", 1)[1].strip() for line in manifest.splitlines()
                    if line.startswith("Main-Class:"))
        return main, json.loads(archive.read(options)), artifacts


def imports_newswire(python: Path) -> bool:
    probe = subprocess.run([str(python), "-c", "import newswire.transforms"],
                           cwd=python.parent, capture_output=True, check=False)
    return probe.returncode == 0


def test_flink_application_jar_runs_the_corpus_by_itself(
        es_connection: EsConnection, seed_server: SeedServer, manifest: dict,
        tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "wheel")
    python = bare_worker_env(wheel, tmp_path / "workers-env")
    assert not imports_newswire(python)
    (tmp_path / "workers").mkdir()
    with WorkerPool(python, tmp_path / "workers", boot=ensure_sdk_boot()) as pool:
        counts = build_and_run(pool, wheel, es_connection, seed_server, tmp_path)
    assert counts == [manifest["totals"]["indexed"], manifest["totals"]["dead_letters"]]
    assert imports_newswire(python)  # the staged wheel, installed by the workers' boot


def build_and_run(worker_pool: WorkerPool, wheel: Path, es_connection: EsConnection,
                  seed_server: SeedServer, tmp_path: Path) -> list[int]:
    """The jar built with the wheel staged, then run alone: the articles and dead letters it
    indexed."""
    jar = tmp_path / "newswire-pipeline.jar"
    index = f"test-flinkapp-{uuid.uuid4().hex[:8]}"
    aliases = job_aliases(index)
    newswire = Path(sys.executable).parent / "newswire"
    try:
        build = subprocess.run(
            [str(newswire), "run", "--runner", "flink", "--output_executable_path", str(jar),
             *worker_pool.pipeline_args(), "--checkpointing_interval", "60000",
             "--extra_package", str(wheel),
             "--feeds", seed_server.url("feeds.opml"), "--es-url", es_connection.url,
             "--index", index, "--dead-letter-index", aliases["dead_letter_index"],
             "--history-index", aliases["history_index"], "--allow-private-addresses"],
            capture_output=True, text=True, timeout=600, check=False)
        assert build.returncode == 0, build.stderr[-3000:]
        main, options, artifacts = jar_contents(jar)
        assert main == ENTRY
        assert options["beam:option:environment_config:v1"] == worker_pool.endpoint
        assert options["beam:option:checkpointing_interval:v1"] == "60000"
        assert len(artifacts) >= 2  # the wheel and the SDK's own list travel in the jar

        elsewhere = tmp_path / "elsewhere"  # nothing but the jar and the runner's classpath
        elsewhere.mkdir()
        run = subprocess.run(
            [str(find_flink_java()), "-cp", f"{jar}:{ensure_flink_job_server()}/*", ENTRY],
            cwd=elsewhere, capture_output=True, text=True, timeout=600, check=False)
        assert run.returncode == 0, run.stderr[-3000:]
        client = es_connection.client()
        try:
            written = [index, aliases["dead_letter_index"]]
            client.indices.refresh(index=written)
            counts = [client.count(index=alias)["count"] for alias in written]
        finally:
            client.close()
    finally:
        drop_job_aliases(es_connection, index)
    return counts
