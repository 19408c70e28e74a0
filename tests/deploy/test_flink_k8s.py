"""The Flink-on-Kubernetes manifests, checked offline: the FlinkDeployment against our schema of
the operator's documented spec, every Kubernetes object and pod template against Kubernetes'
own OpenAPI schemas (as kubernetes-validate ships them), and the pieces against each other."""

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
    assert sorted(kinds) == ["ConfigMap", "Deployment", "Job", "Service"]


def container(pod_spec: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [c for c in pod_spec["containers"] if c["name"] == name]
    return found


def flags(args: list[str]) -> dict[str, str]:
    return dict(arg.removeprefix("--").split("=", 1) for arg in args if "=" in arg)


def test_the_pieces_reach_each_other() -> None:
    deployment = one("FlinkDeployment")
    pool = container(deployment["spec"]["taskManager"]["podTemplate"]["spec"], "beam-worker-pool")
    server = container(one("Deployment")["spec"]["template"]["spec"], "job-server")
    service = one("Service")
    run_pod = one("Job")["spec"]["template"]["spec"]
    run = container(run_pod, "newswire")
    submit = flags(run["args"])

    # the submitting pod runs the image the workers run, and hands work to the sidecar pool
    assert run["image"] == pool["image"]
    assert pool["args"] == ["--worker_pool"]
    assert submit["environment_type"] == "EXTERNAL"
    assert submit["environment_config"] == f"localhost:{pool['ports'][0]['containerPort']}"
    assert pool["ports"][0]["containerPort"] == 50000
    # ... to the job server's Service, which runs on the operator's REST service
    ports = {port["name"]: port["port"] for port in service["spec"]["ports"]}
    assert submit["job_endpoint"] == f"{service['metadata']['name']}:{ports['job']}"
    assert submit["artifact_endpoint"] == f"{service['metadata']['name']}:{ports['artifact']}"
    assert flags(server["args"])["flink-master"] == f"{deployment['metadata']['name']}-rest:8081"
    # the job server speaks the SDK's Beam version and the cluster's Flink line
    flink_line = deployment["spec"]["flinkVersion"].removeprefix("v").replace("_", ".")
    assert server["image"] == f"apache/beam_flink{flink_line}_job_server:{apache_beam.__version__}"
    assert deployment["spec"]["image"] == f"flink:{flink_line}"
    # the feed list is the mounted ConfigMap's key
    [mount] = run["volumeMounts"]
    [volume] = [v for v in run_pod["volumes"] if v["name"] == mount["name"]]
    config = one("ConfigMap")
    assert volume["configMap"]["name"] == config["metadata"]["name"]
    feeds = Path(submit["feeds"])
    assert feeds.parent == Path(mount["mountPath"]) and feeds.name in config["data"]
    # workers and the submitter read the same Elasticsearch credentials
    assert pool["env"] == run["env"]
    namespaces = {doc["metadata"]["namespace"] for doc in documents()}
    assert namespaces == {"newswire"}
