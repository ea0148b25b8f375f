"""Credentials: API keys, tokens, the billing permission; the authority table itself is in
test_authority.py."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from services.cli.main import main as billing
from services.gateway.domain.access import Role
from tests.gateway.stack import Stack


def test_no_route_answers_without_credentials(stack: Stack) -> None:
    with stack.client() as client:
        for route in stack.gateway.gateway.routes:
            path = route.template.openapi_path.replace("{", "").replace("}", "")
            answer = client.request(route.http_method, path)
            assert answer.status_code == 401, (route.http_method, path, answer.text)
            assert answer.headers["www-authenticate"] == "Bearer"
        for bad in ("Bearer key_0000.nope", "Bearer bt1.e30.AAAA", "Basic abc", "Bearer"):
            answer = client.get("/v1/plans", headers={"Authorization": bad})
            assert answer.status_code == 401, bad
            assert answer.json()["error"]["message"] in (
                "invalid credentials",
                "credentials required: Authorization: Bearer <key or token>",
            )


def test_api_keys_from_the_cli_work_by_header_and_revoke_at_once(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "DATABASE_URL", str(stack.gateway.gateway.engine.url.render_as_string(False))
    )
    assert (
        billing(["apikey", "create", "--account", "cli-acct", "--role", "agent", "--name", "bot"])
        == 0
    )
    created = json.loads(capsys.readouterr().out)
    assert created["key_id"].startswith("key_") and created["api_key"].startswith(created["key_id"])
    with stack.client() as client:
        by_bearer = client.get("/v1/me", headers={"Authorization": f"Bearer {created['api_key']}"})
        by_header = client.get("/v1/me", headers={"X-API-Key": created["api_key"]})
        forged = client.get("/v1/me", headers={"X-API-Key": created["api_key"][:-2] + "xx"})
        assert billing(["apikey", "revoke", created["key_id"]]) == 0
        assert json.loads(capsys.readouterr().out)["revoked"] is True
        # Another process revoked it: the gateway sees it within GATEWAY_AUTH_CACHE_SECONDS (2).
        stack.clock.skip(2_000)
        revoked = client.get("/v1/me", headers={"X-API-Key": created["api_key"]})
    assert by_bearer.json()["account_id"] == "cli-acct" and by_bearer.json()["role"] == "agent"
    assert by_header.json() == by_bearer.json()
    assert forged.status_code == 401 and revoked.status_code == 401
    assert billing(["apikey", "create", "--account", "cli-acct"]) == 2
    assert billing(["apikey", "revoke", "key_missing"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "billing: error: --role is required with --account",
        "billing: error: no API key 'key_missing'",
    ]


def _token(client: httpx.Client, email: str, password: str, account: str = "") -> httpx.Response:
    body = {"email": email, "password": password, **({"account_id": account} if account else {})}
    return client.post("/v1/auth/tokens", json=body)


def test_owner_grants_and_revokes_billing_for_a_teammate(stack: Stack) -> None:
    account = f"team-{uuid.uuid4().hex[:8]}"
    other = f"team-{uuid.uuid4().hex[:8]}"
    stack.create_account(account)
    owner, _ = stack.admin.add_user(
        f"owner@{account}.io", "owner-secret-1", account, Role.OWNER, False
    )
    agent, _ = stack.admin.add_user(
        f"agent@{account}.io", "agent-secret-1", account, Role.AGENT, False
    )
    admin, _ = stack.admin.add_user(
        f"admin@{account}.io", "admin-secret-1", account, Role.ADMIN, False
    )
    stack.admin.add_user(f"admin@{account}.io", "", other, Role.OWNER, False)
    with stack.client() as client:
        owner_token = _token(client, owner.email, "owner-secret-1").json()
        agent_token = _token(client, agent.email, "agent-secret-1").json()
        assert _token(client, agent.email, "wrong").status_code == 401
        assert (
            _token(client, "nobody@x.io", "agent-secret-1").json()
            == _token(client, agent.email, "wrong").json()
        )
        several = _token(client, admin.email, "admin-secret-1")
        assert several.status_code == 400 and several.json()["error"]["field"] == "account_id"
        admin_token = _token(client, admin.email, "admin-secret-1", account).json()
    assert owner_token["role"] == "owner" and owner_token["billing_access"] is True
    assert agent_token["billing_access"] is False and agent_token["expires_in"] == 900

    as_owner = stack.client(owner_token["token"])
    as_agent = stack.client(agent_token["token"])
    as_admin = stack.client(admin_token["token"])
    access_path = f"/v1/accounts/{account}/teammates/{agent.user_id}/billing-access"
    balance = f"/v1/accounts/{account}/balance"
    top_up = {"amount": {"currency_code": "USD", "amount_micros": "1000000"}}
    try:
        assert as_agent.get(balance).status_code == 403
        granted = as_owner.put(access_path, json={"billing_access": True})
        assert granted.status_code == 200 and granted.json()["billing_access"] is True
        assert as_owner.put(access_path, json={"billing_access": True}).json() == granted.json()
        assert as_agent.get(balance).status_code == 200
        assert as_agent.post(f"/v1/accounts/{account}/top-ups", json=top_up).status_code == 403
        assert as_agent.put(access_path, json={"billing_access": False}).status_code == 403
        assert as_admin.put(access_path, json={"billing_access": False}).status_code == 403
        team = as_owner.get(f"/v1/accounts/{account}/teammates").json()["teammates"]
        assert {(m["email"], m["role"], m["billing_access"]) for m in team} == {
            (owner.email, "owner", True),
            (agent.email, "agent", True),
            (admin.email, "admin", False),
        }
        revoked = as_owner.put(access_path, json={"billingAccess": False})
        assert revoked.json()["billing_access"] is False
        assert as_agent.get(balance).status_code == 403
        owner_path = f"/v1/accounts/{account}/teammates/{owner.user_id}/billing-access"
        assert as_owner.put(owner_path, json={"billing_access": False}).status_code == 400
        assert as_owner.put(access_path, json={"billing_access": "yes"}).status_code == 400
        elsewhere = f"/v1/accounts/{other}/teammates/{admin.user_id}/billing-access"
        assert as_owner.put(elsewhere, json={"billing_access": True}).status_code == 404
        assert as_owner.get(f"/v1/accounts/{other}/teammates").status_code == 404
        tampered = owner_token["token"][:-3] + (
            "AAA" if not owner_token["token"].endswith("AAA") else "BBB"
        )
        assert stack.client(tampered).get(balance).status_code == 401
    finally:
        for client in (as_owner, as_agent, as_admin):
            client.close()
