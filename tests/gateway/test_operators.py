"""Operators are named: people who sign in like any user, and named API keys for automation,
all made with `billing operator` and `billing apikey --operator`, each change audited."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest

from services.cli.main import main as billing
from tests.gateway.stack import Stack


def _cli(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, dict[str, Any], str]:
    capsys.readouterr()
    code = billing(list(arguments))
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else {}, captured.err


def test_operators_sign_in_act_by_name_and_can_be_removed(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", stack.gateway.gateway.engine.url.render_as_string(False))
    monkeypatch.setenv("BILLING_OPERATOR", "lead@provider.example")
    account = f"ops-{uuid.uuid4().hex[:8]}"
    stack.create_account(account)
    email = f"ops-{uuid.uuid4().hex[:6]}@provider.example"
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    code, added, _ = _cli(
        capsys, "operator", "add", "--email", email, "--name", "Asha", "--password-stdin"
    )
    assert code == 0 and added["email"] == email and added["active"] is True
    assert "password" not in added
    code, _, err = _cli(
        capsys, "user", "add", "--email", email, "--account", account, "--role", "owner"
    )
    assert code == 2 and "operator" in err

    with stack.client() as client:
        signed_in = client.post(
            "/v1/auth/tokens", json={"email": email, "password": "correct horse battery"}
        ).json()
    assert (
        signed_in["operator"] is True and signed_in["account_id"] == "" and signed_in["role"] == ""
    )
    grant = {
        "amount": {"currency_code": "USD", "amount_micros": "2000000"},
        "expire_time": "2030-01-01T00:00:00Z",
        "applies_to": ["messages"],
        "reason": "launch promotion",
    }
    with stack.client(signed_in["token"]) as client:
        me = client.get("/v1/me").json()
        granted = client.post(
            f"/v1/accounts/{account}/credits", json=grant, headers={"Idempotency-Key": "promo"}
        )
        log = client.get("/v1/audit-entries", params={"account_id": account}).json()
    assert me["operator"] is True and me["name"] == email and "operator" in me["permissions"]
    assert granted.status_code == 200, granted.text
    (entry,) = [e for e in log["entries"] if e["action"] == "GrantCredit"]
    assert entry["actor"]["name"] == email and entry["actor"]["kind"] == "operator"
    assert entry["actor"]["credential_id"].startswith("token:")
    assert entry["reason"] == "launch promotion"

    # Named keys for automation; the old --platform still makes one (called "platform").
    code, _, err = _cli(capsys, "apikey", "create", "--operator")
    assert code == 2 and "--name" in err
    code, key, _ = _cli(capsys, "apikey", "create", "--operator", "--name", "crm sync")
    assert code == 0 and key["operator"] is True and key["name"] == "crm sync"
    code, legacy, _ = _cli(capsys, "apikey", "create", "--platform")
    assert code == 0 and legacy["operator"] is True and legacy["name"] == "platform"
    with stack.client(key["api_key"]) as client:
        assert client.get("/v1/me").json()["name"] == "crm sync"

    # Removed: the operator's token stops working (within the credential cache's 2 s).
    code, removed, _ = _cli(capsys, "operator", "remove", "--email", email)
    assert code == 0 and removed["active"] is False
    stack.clock.skip(2_000)
    with stack.client(signed_in["token"]) as client:
        assert client.get("/v1/me").status_code == 401
    code, listed, _ = _cli(capsys, "operator", "list")
    assert {"email": email, "active": False}.items() <= next(
        o for o in listed["operators"] if o["email"] == email
    ).items()

    # Every change made with the CLI is in the gateway's audit log, as the operator who ran it.
    with stack.client(stack.operator_key()) as client:
        entries = client.get("/v1/audit-entries", params={"page_size": "1000"}).json()["entries"]
    targets = (added["user_id"], key["key_id"])
    mine = [e for e in entries if e["service"] == "gateway" and e["target"] in targets]
    assert {e["action"] for e in mine} == {"operator_added", "operator_removed", "api_key_created"}
    assert {e["actor"]["id"] for e in mine} == {"cli:lead@provider.example"}
