"""deploy/kubernetes/: the manifests parse, agree with each other and with the image, and the
configuration in the ConfigMap passes `check` and serves the probe paths the Deployment uses."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.e2e.processes import free_port, serving
from trio_gateway.config.load import load_config_data

from .dockerfile import only, parse

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"


def documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(MANIFESTS.glob("*.yaml")):
        if path.name == "kustomization.yaml":  # kustomize's own file, not an object
            continue
        docs.extend(d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d)
    return docs


def one(kind: str, name: str) -> dict[str, Any]:
    found = [d for d in documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def gateway_container() -> dict[str, Any]:
    pod = one("Deployment", "trio-gateway")["spec"]["template"]["spec"]
    (container,) = (c for c in pod["containers"] if c["name"] == "trio-gateway")
    return container


def config() -> dict[str, Any]:
    data = one("ConfigMap", "trio-gateway-config")["data"]
    value = json.loads(data["krakend.json"])
    assert isinstance(value, dict)
    return value


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())
    files = {p.name for p in MANIFESTS.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


def test_every_document_names_its_kind_and_api() -> None:
    for doc in documents():
        assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"]


def test_the_configmap_configuration_passes_check() -> None:
    loaded = load_config_data(config(), source="configmap.yaml:krakend.json")
    assert loaded.config.endpoints
    assert not [w for w in loaded.warnings if w.is_error]


def test_the_deployment_runs_the_images_command_on_the_mounted_configuration() -> None:
    container = gateway_container()
    cmd = only(parse(ROOT / "Dockerfile"), "CMD").exec_form()
    assert container["args"][: len(cmd)] == cmd
    config_dir = str(Path(cmd[cmd.index("-c") + 1]).parent)
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["config"] == config_dir
    pod = one("Deployment", "trio-gateway")["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["config"]["configMap"]["name"] == "trio-gateway-config"
    # the image's user, and a port that is the configuration's
    assert pod["securityContext"]["runAsUser"] == 1000
    (port,) = container["ports"]
    assert port["containerPort"] == config()["port"]


def test_the_service_and_the_autoscaler_point_at_the_deployment() -> None:
    deployment = one("Deployment", "trio-gateway")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service = one("Service", "trio-gateway")
    assert service["spec"]["selector"].items() <= labels.items()
    port_names = {p["name"] for p in gateway_container()["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
    hpa = one("HorizontalPodAutoscaler", "trio-gateway")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "trio-gateway",
    }
    redis = one("Service", "trio-gateway-redis")
    redis_pods = one("Deployment", "trio-gateway-redis")["spec"]["template"]["metadata"]
    assert redis["spec"]["selector"].items() <= redis_pods["labels"].items()


async def test_the_gateway_answers_the_probes_of_the_deployment(tmp_path: Path) -> None:
    container = gateway_container()
    probes = {
        name: container[name]["httpGet"]["path"] for name in ("livenessProbe", "readinessProbe")
    }
    assert all(container[name]["httpGet"]["port"] == "http" for name in probes)
    file = tmp_path / "krakend.json"
    file.write_text(json.dumps(config()), encoding="utf-8")
    port = free_port()
    command = [sys.executable, "-m", "trio_gateway", "run", "-c", str(file), "-p", str(port)]
    async with serving(command, port) as proc, httpx.AsyncClient() as client:
        for name, path in probes.items():
            answer = await client.get(f"http://127.0.0.1:{port}{path}")
            assert answer.status_code == 200, (name, path, answer.text)
    assert proc.returncode == 0
