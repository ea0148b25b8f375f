"""The Kubernetes manifests render with kustomize and keep the deployment rules."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.render import OVERLAYS, of_kind, render

GRPC_PORTS = {"metering": 50051, "wallet": 50052, "invoicing": 50053, "notifications": 50054}
SERVING = (*GRPC_PORTS, "gateway")
DATABASE_OF = {**{name: name for name in SERVING}, "wallet-loops": "wallet"}
# The processes that call services, and their token's key in the service-credentials Secret.
TOKEN_KEYS = {
    "gateway": "gateway-token",
    "invoicing": "invoicing-token",
    "notifications": "notifications-token",
}


@pytest.fixture(params=OVERLAYS)
def objects(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(request.param)


def deployments(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return of_kind(objects, "Deployment")


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return result


def env_of(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in item.get("env") or []}


def secret_ref(item: dict[str, Any]) -> dict[str, str]:
    """The Secret and key an env entry reads; a generated Secret's hash suffix left out."""
    ref = item["valueFrom"]["secretKeyRef"]
    return {"name": re.sub(r"-[a-z0-9]{10}$", "", ref["name"]), "key": ref["key"]}


def config(objects: list[dict[str, Any]]) -> dict[str, str]:
    maps = [o for o in objects if o["kind"] == "ConfigMap"]
    found = [m for m in maps if m["metadata"]["name"].startswith("billing-config")]
    assert len(found) == 1
    data: dict[str, str] = found[0]["data"]
    return data


def test_every_service_is_deployed(objects: list[dict[str, Any]]) -> None:
    assert set(deployments(objects)) == {*SERVING, "wallet-loops"}
    notifications = container(deployments(objects)["notifications"])
    assert notifications["args"] == ["python", "-m", "services.notifications"]
    assert env_of(notifications)["NOTIFICATIONS_PORT"]["value"] == "50054"


def test_every_wallet_loop_runs_in_one_deployment(redis_url: str, tmp_path: Path) -> None:
    """The serving wallets and wallet-loops together run each of the wallet's loops once."""
    from services.common.config import Env
    from services.wallet.bootstrap import assemble

    wallet = assemble(Env({"REDIS_URL": redis_url, "BILLING_DATA_DIR": str(tmp_path)}))
    try:
        known = set(wallet.loops)
    finally:
        wallet.close()
    chosen = []
    for name in ("wallet", "wallet-loops"):
        env = env_of(container(deployments(render("production"))[name]))
        chosen += env["WALLET_LOOPS"]["value"].split(",")
    assert sorted(chosen) == sorted(known)


def test_every_serving_wallet_follows_account_changes(objects: list[dict[str, Any]]) -> None:
    """Each serving process drops its cached account views on AccountChanged (`accounts`)."""
    wallet = env_of(container(deployments(objects)["wallet"]))
    assert "WALLET_WORKERS" not in wallet
    serving_loops = set(wallet["WALLET_LOOPS"]["value"].split(","))
    assert {"accounts", "recovery", "outbox"} <= serving_loops
    loops = container(deployments(objects)["wallet-loops"])
    assert loops["args"] == ["python", "-m", "services.wallet.loops"]
    apart = set(env_of(loops)["WALLET_LOOPS"]["value"].split(","))
    assert "projector" in apart and not apart & serving_loops


def test_every_deployment_has_probes_a_budget_and_limits(objects: list[dict[str, Any]]) -> None:
    budgets = {
        p["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
        for p in of_kind(objects, "PodDisruptionBudget").values()
    }
    for name, deployment in deployments(objects).items():
        main = container(deployment)
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert probe in main, (name, probe)
        if name in GRPC_PORTS:
            assert main["readinessProbe"]["grpc"]["port"] == GRPC_PORTS[name]
        assert name in budgets, name
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for each in [*pod["containers"], *pod.get("initContainers", [])]:
            assert each["securityContext"]["readOnlyRootFilesystem"] is True, name
            assert each["securityContext"]["allowPrivilegeEscalation"] is False, name
            assert {"cpu", "memory"} <= set(each["resources"]["limits"]), name
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert labels["app.kubernetes.io/part-of"] == "billing-suite", name


def test_the_gateway_is_ready_when_it_can_serve(objects: list[dict[str, Any]]) -> None:
    main = container(deployments(objects)["gateway"])
    assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_a_release_migrates_once_before_its_pods_serve(objects: list[dict[str, Any]]) -> None:
    assert config(objects)["DATABASE_MIGRATE_ON_START"] == "false"
    for name, deployment in deployments(objects).items():
        (init,) = deployment["spec"]["template"]["spec"]["initContainers"]
        assert init["args"] == ["billing", "migrate", DATABASE_OF[name]], name
        url = secret_ref(env_of(init)["DATABASE_URL"])
        assert url == secret_ref(env_of(container(deployment))["DATABASE_URL"])
        assert url["name"] == f"{DATABASE_OF[name]}-database"


def test_a_config_change_rolls_the_pods(objects: list[dict[str, Any]]) -> None:
    """The ConfigMap's name carries a hash of its content, and every pod names it."""
    (name,) = [
        o["metadata"]["name"]
        for o in objects
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("billing-config")
    ]
    assert re.fullmatch(r"billing-config-[a-z0-9]{10}", name)
    for deployment in deployments(objects).values():
        assert container(deployment)["envFrom"] == [{"configMapRef": {"name": name}}]


def test_grpc_services_are_headless_and_balanced_per_call(objects: list[dict[str, Any]]) -> None:
    services = of_kind(objects, "Service")
    settings = config(objects)
    for name, port in GRPC_PORTS.items():
        assert services[name]["spec"]["clusterIP"] == "None", name
        assert settings[f"{name.upper()}_ADDRESS"] == f"dns:///{name}:{port}"


def test_autoscalers_own_the_replicas() -> None:
    objects = render("production")
    scaled = {
        h["spec"]["scaleTargetRef"]["name"]
        for h in of_kind(objects, "HorizontalPodAutoscaler").values()
    }
    assert scaled == set(SERVING)
    for name, deployment in deployments(objects).items():
        if name in scaled:
            assert "replicas" not in deployment["spec"], name


def test_service_credentials_come_from_secrets(objects: list[dict[str, Any]]) -> None:
    """One Secret, service-credentials: every server's callers and the principal key; the
    token of each process that calls services (gateway, invoicing, notifications)."""
    for name, deployment in deployments(objects).items():
        env = env_of(container(deployment))
        key = secret_ref(env["BILLING_PRINCIPAL_KEY"])
        assert key == {"name": "service-credentials", "key": "principal-key"}
        if name in TOKEN_KEYS:
            token = secret_ref(env["BILLING_SERVICE_TOKEN"])
            assert token == {"name": "service-credentials", "key": TOKEN_KEYS[name]}, name
        else:
            assert "BILLING_SERVICE_TOKEN" not in env, name
        if name != "gateway":
            callers = secret_ref(env["BILLING_CALLERS"])
            assert callers == {"name": "service-credentials", "key": "callers"}


def test_local_secrets_cover_every_reference() -> None:
    objects = render("local")
    secrets = {
        re.sub(r"-[a-z0-9]{10}$", "", s["metadata"]["name"]): s
        for s in of_kind(objects, "Secret").values()
    }
    referenced: set[tuple[str, str]] = set()
    for kind in ("Deployment", "StatefulSet"):
        for workload in of_kind(objects, kind).values():
            pod = workload["spec"]["template"]["spec"]
            for each in [*pod["containers"], *pod.get("initContainers", [])]:
                for item in each.get("env") or []:
                    ref = item.get("valueFrom", {}).get("secretKeyRef")
                    if ref and not ref.get("optional"):
                        referenced.add((re.sub(r"-[a-z0-9]{10}$", "", ref["name"]), ref["key"]))
    for name, key in sorted(referenced):
        assert name in secrets and key in secrets[name]["data"], (name, key)


def test_network_is_denied_by_default(objects: list[dict[str, Any]]) -> None:
    policies = of_kind(objects, "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}


def test_production_uses_the_managed_redis_cluster() -> None:
    for name, deployment in deployments(render("production")).items():
        env = env_of(container(deployment))
        assert env["REDIS_URL"]["valueFrom"]["secretKeyRef"]["name"] == "managed-redis", name
        assert env["REDIS_CLUSTER"]["value"] == "true"


def test_no_secret_values_in_production() -> None:
    kinds = {o["kind"] for o in render("production")}
    assert "Secret" not in kinds
    assert not {"StatefulSet"} & kinds
