"""The Flink-on-Kubernetes manifests, checked offline: the FlinkDeployment against our schema of
the operator's CRD, every Kubernetes object and pod template against Kubernetes' own OpenAPI
schemas (as kubernetes-validate ships them), and the pieces against each other: one application
the operator upgrades from its last state, on state both JobManager and task managers reach."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import apache_beam
import jsonschema
import pytest
import yaml

from newswire.pipeline.services.worker_pool import REPO_ROOT

kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="a dev dependency")

HERE = REPO_ROOT / "deploy" / "flink"
KUBERNETES = "1.30"  # the oldest minor release the manifests are meant to apply to
SCHEMA = json.loads((HERE / "flinkdeployment.schema.json").read_text())


def documents() -> list[dict[str, Any]]:
    return [doc for path in sorted(HERE.glob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def one(kind: str) -> dict[str, Any]:
    [doc] = [doc for doc in documents() if doc["kind"] == kind]
    return doc


def flink_errors(doc: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [error.message for error in validator.iter_errors(doc)]


def test_the_flink_deployment_matches_the_operator_spec() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    deployment = one("FlinkDeployment")
    assert flink_errors(deployment) == []

    misspelt = copy.deepcopy(deployment)
    misspelt["spec"]["taskManager"]["replica"] = misspelt["spec"]["taskManager"].pop("replicas")
    assert any("replica" in message for message in flink_errors(misspelt))
    unknown = copy.deepcopy(deployment)
    unknown["spec"]["flinkVersion"] = "1.19"
    assert flink_errors(unknown)


def test_pod_templates_are_kubernetes_pods() -> None:
    spec = one("FlinkDeployment")["spec"]
    templates = [part["podTemplate"] for part in (spec, spec["jobManager"], spec["taskManager"])
                 if "podTemplate" in part]
    assert templates
    for template in templates:
        kubernetes_validate.validate(template, KUBERNETES, strict=True)
    broken = copy.deepcopy(spec["taskManager"]["podTemplate"])
    broken["spec"]["containers"][1]["ports"][0]["containerPort"] = "50000"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


def test_kubernetes_objects_match_their_schemas() -> None:
    kinds = []
    for doc in documents():
        if doc["kind"] != "FlinkDeployment":
            kubernetes_validate.validate(doc, KUBERNETES, strict=True)
            kinds.append(doc["kind"])
    assert sorted(kinds) == ["ConfigMap", "PersistentVolumeClaim"]


def container(pod_spec: dict[str, Any], name: str, group: str = "containers") -> dict[str, Any]:
    [found] = [c for c in pod_spec[group] if c["name"] == name]
    return found


def flags(args: list[str]) -> dict[str, str]:
    return {arg.removeprefix("--").split("=", 1)[0]: arg.partition("=")[2] for arg in args}


def mounts(pod_spec: dict[str, Any], name: str, group: str = "containers") -> dict[str, str]:
    """One container's mount paths by what is mounted: "KIND:NAME", the volume's kind
    (persistentVolumeClaim, configMap, emptyDir) and its claim's, map's or own name."""
    volumes = {volume["name"]: volume for volume in pod_spec["volumes"]}
    found = {}
    for mount in container(pod_spec, name, group).get("volumeMounts", []):
        [(kind, source)] = [(k, v) for k, v in volumes[mount["name"]].items() if k != "name"]
        what = source.get("claimName") or source.get("name") or mount["name"]
        found[f"{kind}:{what}"] = mount["mountPath"]
    return found


def test_one_application_the_operator_upgrades_from_its_last_state() -> None:
    """Nothing submits but the operator: one FlinkDeployment in application mode, no Job or
    job-server Deployment that a second apply (or a deleted pod) would submit again."""
    spec = one("FlinkDeployment")["spec"]
    config = spec["flinkConfiguration"]
    assert {doc["kind"] for doc in documents()} == {
        "FlinkDeployment", "ConfigMap", "PersistentVolumeClaim"}
    job = spec["job"]
    assert job["upgradeMode"] == "last-state" and job["state"] == "running"
    assert job["entryClass"] == "org.apache.beam.runners.flink.FlinkPipelineRunner"
    # last-state needs HA metadata and checkpoints that a new JobManager can read
    assert config["high-availability.type"] == "kubernetes"
    assert spec["taskManager"]["replicas"] * int(config["taskmanager.numberOfTaskSlots"]) >= (
        job["parallelism"])


def test_state_lives_where_the_job_manager_and_task_managers_both_read_it() -> None:
    spec = one("FlinkDeployment")["spec"]
    config = spec["flinkConfiguration"]
    claim = one("PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    source = f"persistentVolumeClaim:{claim['metadata']['name']}"
    paths = [mounts(spec[part]["podTemplate"]["spec"], "flink-main-container")[source]
             for part in ("jobManager", "taskManager")]
    assert paths[0] == paths[1]
    for key in ("state.checkpoints.dir", "state.savepoints.dir", "high-availability.storageDir"):
        assert Path(config[key].removeprefix("file://")).is_relative_to(paths[0]), key
    for part in ("jobManager", "taskManager"):  # no pod-local volume holds state
        volumes = spec[part]["podTemplate"]["spec"]["volumes"]
        assert not any("emptyDir" in v and v["name"] == "flink-state" for v in volumes)


def test_the_pieces_reach_each_other() -> None:
    deployment = one("FlinkDeployment")
    spec = deployment["spec"]
    manager = spec["jobManager"]["podTemplate"]["spec"]
    pool = container(spec["taskManager"]["podTemplate"]["spec"], "beam-worker-pool")
    server = container(manager, "job-server", "initContainers")
    build = container(manager, "newswire-pipeline", "initContainers")
    pipeline = flags(build["args"])

    # the job server is a sidecar that outlives its start, and comes first
    assert server["restartPolicy"] == "Always"
    assert [c["name"] for c in manager["initContainers"]] == ["job-server", "newswire-pipeline"]
    assert pipeline["job_endpoint"] == f"localhost:{flags(server['args'])['job-port']}"
    assert pipeline["artifact_endpoint"] == f"localhost:{flags(server['args'])['artifact-port']}"
    # the jar the job server writes (with the staged artifacts) is the one the operator runs,
    # through a volume the job server and the JobManager's Flink container share
    jar = Path(pipeline["output_executable_path"])
    assert spec["job"]["jarURI"] == f"local://{jar}"
    assert flags(server["args"])["flink-master"] == "[auto]"  # not a local cluster in the JM
    [(volume, path)] = mounts(manager, "job-server", "initContainers").items()
    assert volume.startswith("emptyDir:") and path == jar.parent.as_posix()
    assert mounts(manager, "flink-main-container")[volume] == path
    # a streaming job that checkpoints by its own option, which Beam's runner reads
    assert "streaming" in pipeline and int(pipeline["checkpointing_interval"]) > 0
    # and sends a bundle's output on before each checkpoint, not held in it (pipeline/job/runners)
    assert pipeline["finish_bundle_before_checkpointing"] == ""  # a flag, true when given
    assert "execution.checkpointing.interval" not in spec["flinkConfiguration"]
    # the pipeline is built by the image the workers run, and hands work to the sidecar pool
    assert build["image"] == pool["image"]
    assert pool["args"] == ["--worker_pool"]
    assert pipeline["environment_type"] == "EXTERNAL"
    assert pipeline["environment_config"] == f"localhost:{pool['ports'][0]['containerPort']}"
    assert pool["ports"][0]["containerPort"] == 50000
    # the job server speaks the SDK's Beam version and the cluster's Flink line
    flink_line = spec["flinkVersion"].removeprefix("v").replace("_", ".")
    assert server["image"] == f"apache/beam_flink{flink_line}_job_server:{apache_beam.__version__}"
    assert spec["image"] == f"flink:{flink_line}"
    # the feed list is the mounted ConfigMap's key
    config = one("ConfigMap")
    feeds = Path(pipeline["feeds"])
    assert mounts(manager, "newswire-pipeline", "initContainers")[
        f"configMap:{config['metadata']['name']}"] == feeds.parent.as_posix()
    assert feeds.name in config["data"]
    # workers and the pipeline's builder read the same Elasticsearch credentials
    assert pool["env"] == build["env"]
    namespaces = {doc["metadata"]["namespace"] for doc in documents()}
    assert namespaces == {"newswire"}
