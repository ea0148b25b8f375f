"""Every gRPC service gets its service credentials from the service-credentials Secret, and the
local overlay's set is one the services accept."""

from __future__ import annotations

from typing import Any

from services.common import service_auth
from tests.deploy.test_kustomize import deployments, render

NEEDS = {
    "metering": {"BILLING_CALLERS", "BILLING_PRINCIPAL_KEY"},
    "wallet": {"BILLING_CALLERS", "BILLING_PRINCIPAL_KEY"},
    "invoicing": {"BILLING_CALLERS", "BILLING_PRINCIPAL_KEY", "BILLING_SERVICE_TOKEN"},
    "gateway": {"BILLING_PRINCIPAL_KEY", "BILLING_SERVICE_TOKEN"},
    "notifications": {"BILLING_CALLERS", "BILLING_PRINCIPAL_KEY", "BILLING_SERVICE_TOKEN"},
    "wallet-loops": {"BILLING_CALLERS", "BILLING_PRINCIPAL_KEY"},
}


def _from_secret(container: dict[str, Any]) -> dict[str, str]:
    found = {}
    for entry in container.get("env", []):
        reference = entry.get("valueFrom", {}).get("secretKeyRef")
        if reference and reference["name"].startswith("service-credentials"):
            found[entry["name"]] = reference["key"]
    return found


def test_each_service_reads_its_credentials_from_the_secret() -> None:
    for overlay in ("local", "production"):
        objects = render(overlay)
        for name, needed in NEEDS.items():
            container = deployments(objects)[name]["spec"]["template"]["spec"]["containers"][0]
            assert set(_from_secret(container)) == needed, (overlay, name)


def test_the_local_secret_is_a_set_the_services_accept() -> None:
    import base64

    (secret,) = [
        o
        for o in render("local")
        if o["kind"] == "Secret" and o["metadata"]["name"].startswith("service-credentials")
    ]
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    callers = service_auth.parse_callers(data["callers"])
    for caller in ("gateway", "invoicing", "notifications"):
        token = data[f"{caller}-token"]
        assert service_auth.caller_of(token) == caller
        assert bytes.fromhex(service_auth.token_digest(token)) in callers[caller]
    assert set(callers) == set(service_auth.STANDARD_CALLERS)
    assert len(data["principal-key"]) >= service_auth.MIN_PRINCIPAL_KEY_LENGTH
