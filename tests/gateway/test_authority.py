"""The authority table, cell by cell through REST: who may call each route, the fields only
operators set, and that a refused request changes nothing."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from services.gateway.bootstrap import contract_routes
from services.gateway.domain import policy
from services.gateway.domain.access import Role
from tests.gateway.stack import Stack

OWNER, ADMIN, ADMIN_B, AGENT, AGENT_B, OPERATOR = (
    "owner",
    "admin",
    "admin+billing",
    "agent",
    "agent+billing",
    "operator",
)
EVERYONE = {OWNER, ADMIN, ADMIN_B, AGENT, AGENT_B, OPERATOR}
OPERATIONS = {OWNER, ADMIN, ADMIN_B, OPERATOR}
READERS = {OWNER, ADMIN_B, AGENT_B, OPERATOR}
WRITERS = {OWNER, ADMIN_B, OPERATOR}
OPERATORS = {OPERATOR}
USD = {"currency_code": "USD", "amount_micros": "1000000"}
WHY = {"reason": "the authority table's test"}
DATES = "?from_date=2026-03-01&to_date=2026-03-31"
HOOKS = "/v1/accounts/{a}/webhook-endpoints"

# Hand-written, one row per cell group: (rpc, method, path, body, who may) -> refused with 403
# (or 400 naming the field, for fields only operators set) for everyone else.
MATRIX: list[tuple[str, str, str, dict[str, Any] | None, set[str]]] = [
    ("GetAccount", "GET", "/v1/accounts/{a}", None, EVERYONE),
    ("ListChannels", "GET", "/v1/accounts/{a}/channels", None, EVERYONE),
    ("ListPlans", "GET", "/v1/plans", None, EVERYONE),
    ("GetPlan", "GET", "/v1/plans/no-plan", None, EVERYONE),
    ("GetBalance", "GET", "/v1/accounts/{a}/balance", None, READERS),
    ("ListTopUps", "GET", "/v1/accounts/{a}/top-ups", None, READERS),
    ("ListLedgerEntries", "GET", "/v1/accounts/{a}/ledger-entries", None, READERS),
    ("ListCredits", "GET", "/v1/accounts/{a}/credits", None, READERS),
    ("GetAutoRecharge", "GET", "/v1/accounts/{a}/auto-recharge", None, READERS),
    ("GetFundingPeriods", "GET", "/v1/accounts/{a}/funding-periods" + DATES, None, READERS),
    ("ListRecharges", "GET", "/v1/accounts/{a}/recharges", None, READERS),
    ("GetPriceList", "GET", "/v1/accounts/{a}/prices", None, READERS),
    (
        "QuotePrice",
        "GET",
        "/v1/accounts/{a}/prices:quote?recipient=%2B919800000001&category=CATEGORY_UTILITY",
        None,
        READERS,
    ),
    ("GetPartnerContract", "GET", "/v1/accounts/{a}/partner-contract", None, READERS),
    ("GetFunding", "GET", "/v1/accounts/{a}/fundings/fund-x", None, READERS),
    ("ListFundings", "GET", "/v1/accounts/{a}/fundings", None, READERS),
    ("EstimateFundsNeeded", "GET", "/v1/accounts/{a}/funds:estimate", None, READERS),
    ("GetAccountTaxStatus", "GET", "/v1/accounts/{a}/tax-status", None, READERS),
    ("GetUsageTotals", "GET", "/v1/accounts/{a}/usage/totals" + DATES, None, READERS),
    ("ListEventTypes", "GET", "/v1/webhook-event-types", None, OPERATIONS),
    ("ListEndpoints", "GET", f"{HOOKS}", None, OPERATIONS),
    ("GetEndpoint", "GET", f"{HOOKS}/ep-x", None, OPERATIONS),
    ("ListDeliveries", "GET", f"{HOOKS}/ep-x/deliveries", None, OPERATIONS),
    ("GetDelivery", "GET", f"{HOOKS}/ep-x/deliveries/d-x", None, OPERATIONS),
    (
        "CreateEndpoint",
        "POST",
        HOOKS,
        {"url": "https://hooks.example/x", **WHY},
        OPERATIONS,
    ),
    ("UpdateEndpoint", "PATCH", f"{HOOKS}/ep-x", {"description": "d", **WHY}, OPERATIONS),
    ("DeleteEndpoint", "DELETE", f"{HOOKS}/ep-x?reason=test", None, OPERATIONS),
    ("RotateEndpointSecret", "POST", f"{HOOKS}/ep-x:rotateSecret", WHY, OPERATIONS),
    ("ReplayDelivery", "POST", f"{HOOKS}/ep-x/deliveries/d-x:replay", WHY, OPERATIONS),
    ("ReplayFailedDeliveries", "POST", f"{HOOKS}/ep-x/deliveries:replayFailed", WHY, OPERATIONS),
    ("SummariseCharges", "GET", "/v1/accounts/{a}/usage/charges" + DATES, None, READERS),
    ("GetSubscription", "GET", "/v1/accounts/{a}/subscriptions/sub-x", None, READERS),
    ("ListSubscriptions", "GET", "/v1/accounts/{a}/subscriptions", None, READERS),
    ("ListInvoices", "GET", "/v1/accounts/{a}/invoices", None, READERS),
    ("GetInvoice", "GET", "/v1/accounts/{a}/invoices/inv-x", None, READERS),
    ("DownloadInvoicePdf", "GET", "/v1/accounts/{a}/invoices/inv-x/pdf", None, READERS),
    ("ListPaymentMethods", "GET", "/v1/accounts/{a}/payment-methods", None, READERS),
    ("GetOrganization", "GET", "/v1/accounts/{a}/organization", None, READERS),
    ("GetDailyUsage", "GET", "/v1/accounts/{a}/usage/daily" + DATES, None, READERS),
    (
        "GetMonthlyUsage",
        "GET",
        "/v1/accounts/{a}/usage/monthly?from_month=2026-03&to_month=2026-03",
        None,
        READERS,
    ),
    (
        "GetApproximateCharges",
        "GET",
        "/v1/accounts/{a}/usage/approximate-charges?month=2026-03",
        None,
        READERS,
    ),
    ("CountActiveUsers", "GET", "/v1/accounts/{a}/usage/active-users" + DATES, None, READERS),
    ("StreamUsageReport", "GET", "/v1/accounts/{a}/usage/report" + DATES, None, READERS),
    ("ExportUsageReport", "GET", "/v1/accounts/{a}/usage/report.csv" + DATES, None, READERS),
    (
        "AuthoriseBatch",
        "POST",
        "/v1/accounts/{a}/campaigns:authorise",
        {
            "channel_id": "ch-1",
            "category": "CATEGORY_UTILITY",
            "is_template": True,
            "batch_id": "b1",
            "recipients": [{"recipient": "+919800000001", "message_id": "m1"}],
            **WHY,
        },
        OPERATIONS,
    ),
    (
        "RegisterChannel",
        "POST",
        "/v1/accounts/{a}/channels",
        {"channel_id": "ch-9", "display_phone_number": "+919800000009", **WHY},
        OPERATIONS,
    ),
    ("DeleteChannel", "DELETE", "/v1/accounts/{a}/channels/ch-x?reason=test", None, OPERATIONS),
    (
        "SetAutoRecharge",
        "PUT",
        "/v1/accounts/{a}/auto-recharge",
        {"auto_recharge": {"enabled": False}, **WHY},
        WRITERS,
    ),
    (
        "AllocateDays",
        "POST",
        "/v1/accounts/{a}/channels/ch-x:allocate-days",
        {"days": "1", **WHY},
        WRITERS,
    ),
    (
        "AddPaymentMethod",
        "POST",
        "/v1/accounts/{a}/payment-methods",
        {
            "payment_method": {
                "kind": "PAYMENT_METHOD_KIND_CARD",
                "brand": "visa",
                "last4": "4242",
                "exp_month": 12,
                "exp_year": 2030,
                "provider_token": "tok_test",
            },
            **WHY,
        },
        WRITERS,
    ),
    ("StartCardSetup", "POST", "/v1/accounts/{a}/payment-methods:setup", WHY, WRITERS),
    ("QuoteFunds", "POST", "/v1/accounts/{a}/funds:quote", {"amount": USD, **WHY}, WRITERS),
    ("AddFunds", "POST", "/v1/accounts/{a}/funds", {"quote_id": "q-x", **WHY}, WRITERS),
    (
        "SetDefaultPaymentMethod",
        "POST",
        "/v1/accounts/{a}/payment-methods/pm-x:set-default",
        WHY,
        WRITERS,
    ),
    (
        "RemovePaymentMethod",
        "DELETE",
        "/v1/accounts/{a}/payment-methods/pm-x?reason=test",
        None,
        WRITERS,
    ),
    (
        "CreateSubscription",
        "POST",
        "/v1/accounts/{a}/subscriptions",
        {"plan_id": "no-plan", "start_date": "2026-03-10", **WHY},
        WRITERS,
    ),
    (
        "CancelSubscription",
        "POST",
        "/v1/accounts/{a}/subscriptions/sub-x:cancel",
        WHY,
        WRITERS,
    ),
    ("PayInvoice", "POST", "/v1/accounts/{a}/invoices/inv-x:pay", WHY, WRITERS),
    (
        "PayInvoice",
        "POST",
        "/v1/accounts/{a}/invoices/inv-x:pay",
        {"transfer_reference": "wire-1", **WHY},
        OPERATORS,
    ),
    (
        "UpdateOrganization",
        "PUT",
        "/v1/accounts/{a}/organization",
        {"organization": {"business_name": "Acme", "billing_email": "b@acme.io"}, **WHY},
        WRITERS,
    ),
    (
        "UpdateOrganization",
        "PUT",
        "/v1/accounts/{a}/organization",
        {
            "organization": {
                "business_name": "Acme",
                "billing_email": "b@acme.io",
                "tax_rate_basis_points": "0",
            },
            **WHY,
        },
        OPERATORS,
    ),
    (
        "CreatePartnerDaysInvoice",
        "POST",
        "/v1/accounts/{a}/invoices:partner-days",
        {"channels": "1", **WHY},
        WRITERS,
    ),
    (
        "CreatePartnerDaysInvoice",
        "POST",
        "/v1/accounts/{a}/invoices:partner-days",
        {"channels": "1", "price_per_channel_month": USD, **WHY},
        OPERATORS,
    ),
    ("ListAccounts", "GET", "/v1/accounts?query={a}", None, OPERATORS),
    (
        "CreateAccount",
        "POST",
        "/v1/accounts",
        {"profile": {"account_id": "{new}", "currency_code": "USD"}, **WHY},
        OPERATORS,
    ),
    (
        "UpdateAccount",
        "PATCH",
        "/v1/accounts/{a}",
        {
            "profile": {"price_list": {"markup_basis_points": "0"}},
            "update_mask": "price_list",
            **WHY,
        },
        OPERATORS,
    ),
    (
        "TopUp",
        "POST",
        "/v1/accounts/{a}/top-ups",
        {"amount": USD, "transfer_reference": "wire-{new}", **WHY},
        OPERATORS,
    ),
    (
        "GrantCredit",
        "POST",
        "/v1/accounts/{a}/credits",
        {"amount": USD, "expire_time": "2030-01-01T00:00:00Z", **WHY},
        OPERATORS,
    ),
    (
        "CreatePlan",
        "POST",
        "/v1/plans",
        {"plan": {"plan_id": "{new}", "name": "P"}, **WHY},
        OPERATORS,
    ),
    (
        "IssueCreditNote",
        "POST",
        "/v1/accounts/{a}/invoices/inv-x:credit-note",
        {"amount": USD, **WHY},
        OPERATORS,
    ),
    (
        "SetPartnerContract",
        "PUT",
        "/v1/accounts/{a}/partner-contract",
        {"price_per_channel_month": USD, **WHY},
        OPERATORS,
    ),
    ("GetTaxConfiguration", "GET", "/v1/tax-configuration", None, OPERATORS),
    (
        "SetTaxConfiguration",
        "PUT",
        "/v1/tax-configuration",
        {"configuration": {"default_rate_basis_points": "0"}, **WHY},
        OPERATORS,
    ),
    (
        "SetAccountTaxStatus",
        "PUT",
        "/v1/accounts/{a}/tax-status",
        {"treatment": "TAX_TREATMENT_STANDARD", **WHY},
        OPERATORS,
    ),
    (
        "ChangeFundingMode",
        "POST",
        "/v1/accounts/{a}:change-funding-mode",
        {"funding_mode": "FUNDING_MODE_POSTPAID", **WHY},
        OPERATORS,
    ),
    (
        "RunBillingCycle",
        "POST",
        "/v1/billing-cycles:run",
        {"as_of_date": "2026-03-01", "account_id": "{a}", **WHY},
        OPERATORS,
    ),
]
# Rows setting a field only operators set: customers get 400 naming it, not 403.
FIELD_ROWS = {
    ("UpdateOrganization", "organization.tax_rate_basis_points"),
    ("CreatePartnerDaysInvoice", "price_per_channel_month"),
}


def credentials(stack: Stack, account: str) -> dict[str, str]:
    return {
        OWNER: stack.key(account, Role.OWNER),
        ADMIN: stack.key(account, Role.ADMIN),
        ADMIN_B: stack.key(account, Role.ADMIN, billing_access=True),
        AGENT: stack.key(account, Role.AGENT),
        AGENT_B: stack.key(account, Role.AGENT, billing_access=True),
        OPERATOR: stack.operator_key(),
    }


def _fill(value: Any, account: str) -> Any:
    if isinstance(value, str):
        return value.replace("{a}", account).replace("{new}", uuid.uuid4().hex[:10])
    if isinstance(value, dict):
        return {k: _fill(v, account) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, account) for v in value]
    return value


def _state(stack: Stack, account: str) -> list[str]:
    """What a refused request must not change: money, credits, invoices, prices, tax."""
    paths = ("balance", "credits", "invoices", "top-ups", "organization", "")
    with stack.client(stack.operator_key()) as client:
        return [client.get(f"/v1/accounts/{account}/{p}".rstrip("/")).text for p in paths]


def test_every_route_has_a_row_in_the_policy_and_in_this_matrix() -> None:
    names = {route.rpc_name for route in contract_routes()}
    assert policy.unclassified(sorted(names)) == []
    assert {name.rsplit(".", 1)[-1] for name in names} == {row[0] for row in MATRIX}


def test_the_readme_shows_the_authority_table() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    routes = {r.rpc_name: f"{r.http_method} {r.template.text}" for r in contract_routes()}
    assert policy.authority_table(routes) in readme, (
        "regenerate: python -m services.gateway.domain.policy"
    )


def test_the_authority_table_cell_by_cell(stack: Stack) -> None:
    account = f"cells-{uuid.uuid4().hex[:8]}"
    stack.create_account(account)
    keys = credentials(stack, account)
    wrong = []
    for rpc, method, template, body, allowed in MATRIX:
        field = next((f for r, f in FIELD_ROWS if r == rpc and body and _sets(body, f)), "")
        refused = [who for who in keys if who not in allowed]
        before = _state(stack, account) if method != "GET" else []
        # The refused first, then the state must be as it was; then those allowed.
        for who in [*refused, *sorted(allowed)]:
            path, filled = _fill(template, account), _fill(body, account)
            with stack.client(keys[who]) as client:
                answer = client.request(
                    method, path, json=filled, headers={"Idempotency-Key": uuid.uuid4().hex}
                )
            status = answer.status_code
            if who in allowed:
                if status in (401, 403, 429) or (status == 400 and _field(answer) == "reason"):
                    wrong.append((rpc, who, "refused", status, answer.text[:160]))
                continue
            # A field only operators set: 400 for a customer who may otherwise call the route.
            expected = 400 if field and who in WRITERS else 403
            if status != expected or (expected == 400 and _field(answer) != field):
                wrong.append((rpc, who, "allowed", status, answer.text[:160]))
            if who == refused[-1] and before and _state(stack, account) != before:
                wrong.append((rpc, "customers", "refused but changed", status, ""))
    assert wrong == []


def _sets(body: dict[str, Any], field: str) -> bool:
    target: Any = body
    for part in field.split("."):
        if not isinstance(target, dict) or part not in target:
            return False
        target = target[part]
    return True


def _field(answer: Any) -> str:
    try:
        return str(answer.json()["error"]["field"])
    except (ValueError, KeyError, TypeError):
        return ""
