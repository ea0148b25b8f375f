"""The Kubernetes manifests render with kustomize and keep the deployment rules."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

OVERLAYS = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "overlays"
GRPC_PORTS = {"metering": 50051, "wallet": 50052, "invoicing": 50053}


def render(overlay: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with kustomize) is not installed")
    output = subprocess.run(
        [kubectl, "kustomize", str(OVERLAYS / overlay)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


@pytest.fixture(params=["local", "production"])
def objects(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(request.param)


def deployments(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}


def test_every_service_is_deployed(objects: list[dict[str, Any]]) -> None:
    assert set(deployments(objects)) == {
        "metering",
        "wallet",
        "wallet-loops",
        "invoicing",
        "gateway",
    }


def test_wallet_loops_run_apart_from_the_send_path(objects: list[dict[str, Any]]) -> None:
    wallet = deployments(objects)["wallet"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in wallet["env"]}
    assert env["WALLET_WORKERS"] == "false"
    loops = deployments(objects)["wallet-loops"]["spec"]["template"]["spec"]["containers"][0]
    assert loops["args"] == ["python", "-m", "services.wallet.loops"]


def test_grpc_services_use_native_grpc_probes(objects: list[dict[str, Any]]) -> None:
    for name, port in GRPC_PORTS.items():
        container = deployments(objects)[name]["spec"]["template"]["spec"]["containers"][0]
        for probe in ("readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"]["port"] == port, (name, probe)


def test_pods_are_non_root_read_only_and_bounded(objects: list[dict[str, Any]]) -> None:
    for name, deployment in deployments(objects).items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        container = pod["containers"][0]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
        assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert labels["app.kubernetes.io/part-of"] == "billing-suite", name


def test_network_is_denied_by_default(objects: list[dict[str, Any]]) -> None:
    policies = {o["metadata"]["name"]: o for o in objects if o["kind"] == "NetworkPolicy"}
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}


def test_production_uses_the_managed_redis_cluster() -> None:
    wallet = deployments(render("production"))["wallet"]
    env = {e["name"]: e for e in wallet["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["REDIS_URL"]["valueFrom"]["secretKeyRef"]["name"] == "managed-redis"
    assert env["REDIS_CLUSTER"]["value"] == "true"


def test_no_secret_values_in_production() -> None:
    kinds = {o["kind"] for o in render("production")}
    assert "Secret" not in kinds
