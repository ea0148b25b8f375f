"""Tenant isolation on every route read from the descriptors: A's credential never reaches B."""

from __future__ import annotations

import uuid
from typing import Any

from google.protobuf.descriptor import Descriptor

from services.gateway.domain import policy
from services.gateway.domain.access import Access, Role
from services.gateway.transcoding import messages
from services.gateway.transcoding.routes import Route
from tests.gateway.stack import Stack

ACCOUNT = "account_id"
# What B holds, read back with the platform key before and after A's attempts.
SNAPSHOT_PATHS = (
    "/v1/accounts/{b}",
    "/v1/accounts/{b}/balance",
    "/v1/accounts/{b}/top-ups",
    "/v1/accounts/{b}/credits",
    "/v1/accounts/{b}/channels",
    "/v1/accounts/{b}/invoices",
    "/v1/accounts/{b}/subscriptions",
    "/v1/accounts/{b}/payment-methods",
    "/v1/accounts/{b}/organization",
    "/v1/accounts/{b}/auto-recharge",
)


def _account_body(descriptor: Descriptor, account: str, depth: int = 0) -> dict[str, Any]:
    """A JSON object that names `account` in every account_id field, at any depth."""
    body: dict[str, Any] = {}
    for field in descriptor.fields:
        nested = field.message_type
        if field.name == ACCOUNT and not messages.is_repeated(field):
            body[field.name] = account
        elif nested is not None and not messages.is_well_known(nested) and depth < 4:
            inner = _account_body(nested, account, depth + 1)
            if inner and not messages.is_map(field):
                body[field.name] = [inner] if messages.is_repeated(field) else inner
    return body


def _names_an_account(route: Route) -> bool:
    return bool(_account_body(route.method.input_type, "x"))


def _request(
    route: Route, path_account: str, named: str
) -> tuple[str, dict[str, Any] | None, dict[str, str]]:
    values = {
        v.field_path: (path_account if v.field_path == ACCOUNT else "x1")
        for v in route.template.variables
    }
    path = route.template.openapi_path
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    body = None
    params: dict[str, str] = {}
    if route.body == "*":
        body = _account_body(route.method.input_type, named)
    elif route.body:
        field = route.method.input_type.fields_by_name[route.body]
        body = _account_body(field.message_type, named) if field.message_type else {}
    elif ACCOUNT in route.method.input_type.fields_by_name and ACCOUNT not in values:
        params[ACCOUNT] = named
    return path, body, params


def _snapshot(stack: Stack, account: str) -> list[Any]:
    with stack.client(stack.platform_key()) as client:
        return [client.get(p.format(b=account)).text for p in SNAPSHOT_PATHS]


def _seed(stack: Stack, account: str) -> None:
    stack.create_account(account)
    with stack.client(stack.platform_key()) as client:
        client.headers["Idempotency-Key"] = f"seed-{account}"
        top_up = {"amount": {"currency_code": "USD", "amount_micros": "7000000"}}
        assert client.post(f"/v1/accounts/{account}/top-ups", json=top_up).status_code == 200
        org = {"organization": {"business_name": account, "billing_email": f"b@{account}.io"}}
        assert client.put(f"/v1/accounts/{account}/organization", json=org).status_code == 200
        contract = {"price_per_channel_month": {"currency_code": "USD", "amount_micros": "1000000"}}
        path = f"/v1/accounts/{account}/partner-contract"
        assert client.put(path, json=contract).status_code == 200
        invoice = {"channels": "1"}
        answer = client.post(f"/v1/accounts/{account}/invoices:partner-days", json=invoice)
        assert answer.status_code == 200, answer.text


def test_every_route_naming_another_account_is_not_found_and_changes_nothing(stack: Stack) -> None:
    a, b, ghost = (f"iso-{uuid.uuid4().hex[:8]}" for _ in range(3))
    _seed(stack, a)
    _seed(stack, b)
    before = _snapshot(stack, b)
    routes = stack.gateway.gateway.routes
    checked = 0
    with stack.client(stack.key(a, Role.OWNER)) as client:
        for route in routes:
            if not _names_an_account(route):
                continue
            platform_only = policy.access_for(route.rpc_name, route.http_method) is Access.PLATFORM
            answers = []
            has_path_account = ACCOUNT in route.path_fields
            cases = [(b, b), (ghost, ghost)] + ([(a, b)] if has_path_account and route.body else [])
            for path_account, named in cases:
                path, body, params = _request(route, path_account, named)
                answer = client.request(
                    route.http_method,
                    path,
                    json=body,
                    params=params,
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
                expected = 403 if platform_only else 404
                assert answer.status_code == expected, (route.rpc_name, path, body, answer.text)
                assert b not in answer.text and ghost not in answer.text
                answers.append(answer.json())
            # An existing account and one that does not exist look the same.
            assert answers[0] == answers[1], route.rpc_name
            checked += 1
    assert checked == len([r for r in routes if _names_an_account(r)]) > 30
    assert _snapshot(stack, b) == before


def test_an_account_sees_only_its_own_records(stack: Stack) -> None:
    a, b = (f"own-{uuid.uuid4().hex[:8]}" for _ in range(2))
    _seed(stack, a)
    _seed(stack, b)
    with stack.client(stack.platform_key()) as platform:
        b_invoices = platform.get(f"/v1/accounts/{b}/invoices").json()["invoices"]
    with stack.client(stack.key(a, Role.OWNER)) as client:
        mine = client.get(f"/v1/accounts/{a}/invoices").json()["invoices"]
        balance = client.get(f"/v1/accounts/{a}/balance").json()
    assert b_invoices and mine
    assert {i["account_id"] for i in mine} == {a}
    assert not {i["invoice_id"] for i in mine} & {i["invoice_id"] for i in b_invoices}
    assert balance["balances"][0]["available_micros"] == "7000000"
