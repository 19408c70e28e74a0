"""A Flex Template launch, run as Dataflow's launcher runs it: the template's entry file as a
script with the launcher's `--name=value` arguments and a `--template_location`. Beam then only
writes the job file, and the launcher submits it; newswire must exit 0 at once.

Google Cloud Storage is a local stand-in (gcp-storage-emulator, through STORAGE_EMULATOR_HOST,
which google-cloud-storage and so Beam's GcsIO obey), the metadata server google-auth asks for
credentials is a closed loopback port, and the suite's guard (tests/offline), loaded by the
launched interpreter too, refuses and records every name lookup and connection beyond loopback
and fails the test, so it shows that the launch calls no Google API. Selected by
`pytest -k flex_launch`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from newswire.pipeline.job import flex_template
from newswire.pipeline.services.seed_server import SeedServer
from newswire.transforms.index.client import EsConnection
from tests.conftest import drop_job_aliases

pytestmark = [pytest.mark.es, pytest.mark.slow]
gcs_emulator = pytest.importorskip("gcp_storage_emulator.server", reason="needs newswire[dev]")
storage = pytest.importorskip("google.cloud.storage", reason="needs newswire[gcp]")

BUCKET = "newswire-flex-test"
WORKER_IMAGE = "europe-west1-docker.pkg.dev/newswire-test/newswire/worker:0.1.0"

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gcs() -> Iterator[str]:
    """A local Cloud Storage with the bucket; yields its endpoint."""
    port = free_port()
    server = gcs_emulator.create_server("127.0.0.1", port, in_memory=True, default_bucket=BUCKET)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_flex_launch_writes_the_job_file_and_exits_0(
        tmp_path: Path, gcs: str, seed_server: SeedServer, es_connection: EsConnection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    entry = tmp_path / "template" / "main.py"  # where Dockerfile.launcher copies it
    entry.parent.mkdir()
    shutil.copy(flex_template.__file__, entry)
    index = f"test-flex-{os.getpid()}"
    job_object = f"gs://{BUCKET}/templates/launch/job_object"
    # google-auth asks the VM's metadata server for credentials: here a closed loopback port
    metadata = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "STORAGE_EMULATOR_HOST": gcs, "GCE_METADATA_HOST": metadata,
           "GCE_METADATA_IP": metadata}
    args = [  # as the launcher passes them: its own options, then the template's parameters
        "--runner=DataflowRunner", "--project=newswire-test", "--region=europe-west1",
        "--job_name=newswire-flex-test", f"--staging_location=gs://{BUCKET}/staging",
        f"--temp_location=gs://{BUCKET}/temp", f"--template_location={job_object}",
        f"--sdk_container_image={WORKER_IMAGE}", f"--feeds={seed_server.url('feeds.opml')}",
        f"--es_url={es_connection.url}", f"--index={index}",
        f"--dead_letter_index={index}-dead", f"--history_index={index}-history",
        "--allow_private_addresses=true", "--streaming=false"]
    try:
        launched = subprocess.run([sys.executable, str(entry), *args], env=env, cwd=tmp_path,
                                  capture_output=True, text=True, timeout=300, check=False)
    finally:
        drop_job_aliases(es_connection, index)
    assert launched.returncode == 0, launched.stderr[-3000:]
    assert f"wrote the Dataflow job file {job_object}" in launched.stdout

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs)
    bucket = storage.Client.create_anonymous_client().bucket(BUCKET)
    job = json.loads(bucket.blob("templates/launch/job_object").download_as_bytes())
    assert job["name"] == "newswire-flex-test"
    assert job["type"] == "JOB_TYPE_BATCH"
    [harness] = job["environment"]["workerPools"]
    assert harness["workerHarnessContainerImage"] == WORKER_IMAGE
    staged = {blob.name for blob in bucket.list_blobs(prefix="staging/")}
    assert any(name.endswith("/pipeline.pb") for name in staged)  # what the workers run
