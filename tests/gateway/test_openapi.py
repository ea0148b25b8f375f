"""The served OpenAPI document: shape, docs page, and schemathesis against the real stack."""

from __future__ import annotations

import time
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.gateway.domain.access import Role
from tests.gateway.stack import Stack

# RPCs whose service still answers UNIMPLEMENTED (501): the only 5xx allowed. Add one when an
# annotated RPC is not written yet, remove it when it lands (test_only_listed_rpcs_are_501).
UNIMPLEMENTED: frozenset[str] = frozenset()
MAX_EXAMPLES = 6
TIME_BUDGET_S = 150.0


def test_document_is_derived_from_the_descriptors(stack: Stack) -> None:
    with stack.client() as client:
        document = client.get("/openapi.json").json()
        docs = client.get("/docs")
    assert document["openapi"] == "3.1.0"
    operations = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    for route in stack.gateway.gateway.routes:
        assert (route.http_method, route.template.openapi_path) in operations
    schemas = document["components"]["schemas"]
    plan = schemas["billing.invoicing.v1.Plan"]["properties"]
    assert plan["included_active_users"]["type"] == "string"
    assert plan["period_months"]["type"] == "integer"
    assert plan["monthly_fee"]["$ref"] == "#/components/schemas/billing.common.v1.Money"
    kind = schemas["billing.invoicing.v1.Invoice"]["properties"]["kind"]
    assert kind["type"] == "string" and "INVOICE_KIND_PARTNER_DAYS" in kind["enum"]
    cancel = document["paths"]["/v1/accounts/{account_id}/subscriptions/{subscription_id}:cancel"]
    parameters = {p["name"]: p for p in cancel["post"]["parameters"]}
    assert parameters["account_id"]["required"] and parameters["account_id"]["in"] == "path"
    assert parameters["Idempotency-Key"]["in"] == "header"
    assert (
        "account_id"
        not in cancel["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )
    daily = document["paths"]["/v1/accounts/{account_id}/usage/daily"]["get"]
    query = {p["name"]: p["schema"] for p in daily["parameters"] if p["in"] == "query"}
    assert query["from_date"]["format"] == "date" and "account_id" not in query
    assert {"401", "403", "404", "400", "501"} <= set(daily["responses"])
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    pdf = document["paths"]["/v1/accounts/{account_id}/invoices/{invoice_id}/pdf"]["get"]
    assert set(pdf["responses"]["200"]["content"]) == {"application/pdf"}
    csv_export = document["paths"]["/v1/accounts/{account_id}/usage/report.csv"]["get"]
    assert set(csv_export["responses"]["200"]["content"]) == {"text/csv"}
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert "/v1/accounts/{account_id}/usage/report.csv" in docs.text
    assert "<script" not in docs.text and "http://" not in docs.text.replace("openapi.json", "")


def test_every_field_is_described_and_required_fields_are_marked(stack: Stack) -> None:
    with stack.client() as client:
        document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for name, schema in schemas.items():
        for field, prop in schema.get("properties", {}).items():
            assert prop.get("description"), f"{name}.{field} has no description"
    plan = schemas["billing.invoicing.v1.Plan"]["properties"]
    # The proto comment, carried over.
    assert plan["included_active_users"]["description"] == "Monthly active users the fee includes."
    assert plan["plan_id"]["examples"] == ["growth-monthly"]
    totals = document["paths"]["/v1/accounts/{account_id}/usage/totals"]["get"]
    query = {p["name"]: p for p in totals["parameters"] if p["in"] == "query"}
    assert query["from_date"]["required"] and query["to_date"]["required"]
    assert not query["channel_id"]["required"] and query["channel_id"]["description"]
    assert "summed over a range" in totals["description"]
    quote = document["paths"]["/v1/accounts/{account_id}/prices:quote"]["get"]
    assert {p["name"] for p in quote["parameters"] if p.get("required")} >= {
        "account_id",
        "recipient",
        "category",
    }
    quoted = schemas["billing.wallet.v1.QuotePriceResponse"]["properties"]
    assert "meta_cost" not in quoted and "provider_margin" not in quoted
    invite = document["paths"]["/v1/accounts/{account_id}/teammates"]["post"]
    body = invite["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["email", "role"]
    assert {"patch", "delete"} <= set(
        document["paths"]["/v1/accounts/{account_id}/teammates/{user_id}"]
    )


def test_only_listed_rpcs_are_501(stack: Stack) -> None:
    answering_501 = set()
    with stack.client(stack.platform_key()) as client:
        for route in stack.gateway.gateway.routes:
            path = route.template.openapi_path.replace("{", "").replace("}", "")
            answer = client.request(route.http_method, path, json={} if route.body else None)
            assert answer.status_code < 500 or answer.status_code == 501, (path, answer.text)
            if answer.status_code == 501:
                answering_501.add(route.rpc_name)
    assert answering_501 == UNIMPLEMENTED


def _run_operation(
    operation: Any, stack: Stack, headers: dict[str, str], deadline: float, calls: list[int]
) -> list[str]:
    problems: list[str] = []

    @hypothesis.given(case=operation.as_strategy())
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        if time.monotonic() > deadline:
            return
        response = case.call(base_url=stack.url, headers=headers)
        calls.append(response.status_code)
        rpc = operation.definition.raw.get("x-grpc-method", "")
        if response.status_code >= 500:
            allowed = response.status_code == 501 and rpc in UNIMPLEMENTED
            if not allowed:
                problems.append(f"{operation.label}: {response.status_code} {response.text[:200]}")
                return
        try:
            case.validate_response(
                response,
                checks=[
                    status_code_conformance,
                    content_type_conformance,
                    response_schema_conformance,
                ],
            )
        except Exception as error:
            problems.append(f"{operation.label}: {str(error)[:400]}")

    check()
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("who", ["platform", "owner"])
def test_schemathesis_no_server_errors_and_every_response_matches(stack: Stack, who: str) -> None:
    account = "st-acct"
    if who == "owner":
        stack.create_account(account) if _missing(stack, account) else None
        key = stack.key(account, Role.OWNER)
    else:
        key = stack.platform_key()
    schema = schemathesis.openapi.from_url(f"{stack.url}/openapi.json")
    deadline = time.monotonic() + TIME_BUDGET_S / 2
    problems: list[str] = []
    calls: list[int] = []
    operations = 0
    headers = {"Authorization": f"Bearer {key}"}
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        problems += _run_operation(operation, stack, headers, deadline, calls)
        operations += 1
    assert operations > 40 and len(calls) >= 2 * operations
    print(f"{who}: {len(calls)} calls, statuses {sorted(set(calls))}")
    assert problems == [], "\n".join(problems)


def _missing(stack: Stack, account: str) -> bool:
    with stack.client(stack.platform_key()) as client:
        return client.get(f"/v1/accounts/{account}").status_code == 404
