"""The routes the console's pages stand on, through the real gateway and services."""

from __future__ import annotations

import datetime as dt
import uuid

from billing.common.v1 import money_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as inv

from services.gateway.domain.access import Role
from tests.console.seed import Stubs, record_usage
from tests.console.seed import _account as create_account
from tests.gateway.stack import Stack


def _usd(micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code="USD", amount_micros=micros)


def _fresh(stack: Stack, stubs: Stubs) -> str:
    account = f"con{uuid.uuid4().hex[:8]}"
    create_account(stack, stubs, account)
    return account


def test_a_plan_by_id(stack: Stack) -> None:
    plan_id = f"p-{uuid.uuid4().hex[:6]}"
    plan = {"plan_id": plan_id, "name": "Starter", "monthly_fee": {"currency_code": "USD"}}
    with stack.client(stack.platform_key()) as client:
        assert client.post("/v1/plans", json={"plan": plan}).status_code == 200
    account = f"con{uuid.uuid4().hex[:6]}"
    with stack.client(stack.key(account, Role.AGENT)) as client:
        found = client.get(f"/v1/plans/{plan_id}")
        missing = client.get("/v1/plans/no-such-plan")
    assert found.status_code == 200 and found.json()["plan"]["name"] == "Starter"
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "plan_id"


def test_invoices_filtered_by_kind_status_and_dates_sorted_and_unknown_accounts(
    stack: Stack,
) -> None:
    stubs = Stubs.of(stack)
    try:
        account = _fresh(stack, stubs)
        stubs.invoicing.SetPartnerContract(
            inv.SetPartnerContractRequest(
                account_id=account, price_per_channel_month=_usd(10_000_000)
            ),
            timeout=10,
        )
        for n in range(3):
            stubs.invoicing.CreatePartnerDaysInvoice(
                inv.CreatePartnerDaysInvoiceRequest(
                    account_id=account, channels=n + 1, idempotency_key=f"pd-{n}"
                ),
                timeout=10,
            )
        stubs.invoicing.CreateTopUpReceipt(
            inv.CreateTopUpReceiptRequest(
                account_id=account, top_up_id="t1", amount=_usd(5_000_000), fee=_usd(0)
            ),
            timeout=10,
        )
    finally:
        stubs.close()
    path = f"/v1/accounts/{account}/invoices"
    today = dt.datetime.now(dt.UTC).date()
    with stack.client(stack.key(account, Role.OWNER)) as client:

        def numbers(**params: str) -> list[str]:
            answer = client.get(path, params=params)
            assert answer.status_code == 200, answer.text
            return [invoice["number"] for invoice in answer.json()["invoices"]]

        assert len(numbers()) == 4
        assert len(numbers(status="INVOICE_STATUS_OPEN")) == 3
        assert len(numbers(status="INVOICE_STATUS_PAID", kind="INVOICE_KIND_TOP_UP_RECEIPT")) == 1
        assert len(numbers(from_date=today.isoformat(), to_date=today.isoformat())) == 4
        assert numbers(to_date=(today - dt.timedelta(days=1)).isoformat()) == []
        newest, oldest = numbers(), numbers(order="INVOICE_ORDER_OLDEST_FIRST")
        assert newest == list(reversed(oldest))
        by_due = client.get(path, params={"order": "INVOICE_ORDER_AMOUNT_DUE"}).json()["invoices"]
        dues = [int(invoice["amount_due"]["amount_micros"]) for invoice in by_due]
        assert dues == sorted(dues, reverse=True) and dues[0] == 30_000_000
        bad = client.get(path, params={"from_date": "2026-13-01"})
        assert bad.status_code == 400 and bad.json()["error"]["field"] == "from_date"
    with stack.client(stack.platform_key()) as client:
        unknown = client.get("/v1/accounts/nobody-here/invoices")
        known_empty = client.get(
            f"/v1/accounts/{account}/invoices", params={"status": "INVOICE_STATUS_VOID"}
        )
    assert unknown.status_code == 404
    assert known_empty.status_code == 200 and known_empty.json()["invoices"] == []


def test_usage_totals_over_a_range(stack: Stack) -> None:
    stubs = Stubs.of(stack)
    try:
        account = _fresh(stack, stubs)
        record_usage(stubs, account)
    finally:
        stubs.close()
    today = dt.datetime.now(dt.UTC).date()
    params = {
        "from_date": (today - dt.timedelta(days=10)).isoformat(),
        "to_date": today.isoformat(),
    }
    with stack.client(stack.key(account, Role.AGENT, billing_access=True)) as client:
        totals = client.get(f"/v1/accounts/{account}/usage/totals", params=params)
        daily = client.get(f"/v1/accounts/{account}/usage/daily", params=params).json()
        backwards = client.get(
            f"/v1/accounts/{account}/usage/totals",
            params={"from_date": params["to_date"], "to_date": params["from_date"]},
        )
    assert totals.status_code == 200, totals.text
    body = totals.json()
    assert body["notifications_sent"] == "20" and body["billable_messages"] == "20"
    assert body["active_users"] == "20" and body["unique_users_added"] == "20"
    assert int(body["charges"]["amount_micros"]) == sum(
        int(day["charges"]["amount_micros"]) for day in daily["days"]
    )
    assert backwards.status_code == 400 and backwards.json()["error"]["field"] == "to_date"
    with stack.client(stack.platform_key()) as client:
        missing = client.get("/v1/accounts/nobody-here/usage/totals", params=params)
    assert missing.status_code == 404


def test_price_list_and_quote_show_the_account_price_never_meta_cost(stack: Stack) -> None:
    stubs = Stubs.of(stack)
    try:
        account = _fresh(stack, stubs)
    finally:
        stubs.close()
    with stack.client(stack.key(account, Role.AGENT, billing_access=True)) as client:
        listed = client.get(f"/v1/accounts/{account}/prices", params={"market": "india"})
        quote = client.get(
            f"/v1/accounts/{account}/prices:quote",
            params={"recipient": "+919812345678", "category": "CATEGORY_MARKETING"},
        )
        utility = client.get(
            f"/v1/accounts/{account}/prices:quote",
            params={"recipient": "+919812345678", "category": "CATEGORY_UTILITY"},
        )
        bad = client.get(
            f"/v1/accounts/{account}/prices:quote",
            params={"recipient": "12", "category": "CATEGORY_MARKETING"},
        )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["currency_code"] == "USD" and [m["market"] for m in body["markets"]] == ["India"]
    prices = {p["category"]: int(p["price"]["amount_micros"]) for p in body["markets"][0]["prices"]}
    # The override for India marketing; utility is the list rate + 20 % + a 1,000-micro fee.
    assert prices["marketing"] == 15_000
    assert quote.status_code == 200, quote.text
    assert quote.json()["market"] == "India" and quote.json()["price"]["amount_micros"] == "15000"
    assert int(utility.json()["price"]["amount_micros"]) == prices["utility"]
    for answer in (listed.text, quote.text, utility.text):
        assert "meta" not in answer and "margin" not in answer
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "recipient"


def test_teammates_invited_reroled_and_removed_by_the_owner_only(stack: Stack) -> None:
    account = f"team{uuid.uuid4().hex[:6]}"
    owner, _ = stack.admin.add_user(
        f"owner@{account}.example", "pw-owner-123", account, Role.OWNER, True
    )
    base = f"/v1/accounts/{account}/teammates"
    email = f"new@{account}.example"
    with stack.client(stack.key(account, Role.OWNER)) as client:
        invited = client.post(base, json={"email": email, "role": "agent"})
        again = client.post(base, json={"email": email, "role": "agent"})
        as_owner = client.post(base, json={"email": "x@example.com", "role": "owner"})
        user_id = invited.json()["teammate"]["user_id"]
        reroled = client.patch(f"{base}/{user_id}", json={"role": "admin", "billingAccess": True})
        owner_change = client.patch(f"{base}/{owner.user_id}", json={"role": "agent"})
        removed = client.delete(f"{base}/{user_id}")
        gone = client.delete(f"{base}/{user_id}")
        listed = client.get(base).json()["teammates"]
    assert invited.status_code == 200, invited.text
    assert invited.json()["initial_password"] and invited.json()["teammate"]["role"] == "agent"
    assert again.status_code == 200 and "initial_password" not in again.json()
    assert as_owner.status_code == 400 and as_owner.json()["error"]["field"] == "role"
    assert reroled.status_code == 200
    assert reroled.json()["role"] == "admin" and reroled.json()["billing_access"] is True
    assert owner_change.status_code == 400
    assert removed.status_code == 200 and gone.status_code == 404
    assert [m["email"] for m in listed] == [f"owner@{account}.example"]
    token = stack.client().post(
        "/v1/auth/tokens", json={"email": email, "password": invited.json()["initial_password"]}
    )
    # Removed from the only account it had: the person can no longer sign in to it.
    assert token.status_code == 401
    with stack.client(stack.key(account, Role.ADMIN, billing_access=True)) as client:
        assert (
            client.post(base, json={"email": "y@example.com", "role": "agent"}).status_code == 403
        )
