"""Money comes only from a payment or an operator: an owner cannot give itself value (and
nothing changes when it tries), operators can, with a reason, and every act is in the audit
log, read through REST and `billing audit`."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from services.cli.main import main as billing
from services.gateway.domain.access import Role
from tests.gateway.stack import Stack
from tests.harness.credentials import credentials

LETTERS = str.maketrans("0123456789", "ghijklmnop")

USD_10 = {"currency_code": "USD", "amount_micros": "10000000"}


def _ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _refused(answer: httpx.Response, status: int, field: str = "") -> None:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == ("PERMISSION_DENIED" if status == 403 else "INVALID_ARGUMENT")
    if field:
        assert error["field"] == field


def _key() -> dict[str, str]:
    # Letters only: a run of digits could pass for a card number, which invoicing refuses.
    return {"Idempotency-Key": uuid.uuid4().hex.translate(LETTERS)}


def _state(client: httpx.Client, account: str) -> dict[str, Any]:
    base = f"/v1/accounts/{account}"
    return {
        name: _ok(client.get(base + path))
        for name, path in {
            "balance": "/balance",
            "credits": "/credits",
            "invoices": "/invoices",
            "top_ups": "/top-ups",
            "organization": "/organization",
            "tax_status": "/tax-status",
            "contract": "/partner-contract",
            "account": "",
            "channels": "/channels",
        }.items()
    }


def _audit(
    client: httpx.Client, path: str, page_size: int = 0, account: str = ""
) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    token = ""
    for _ in range(100):
        params = {"page_size": str(page_size)} if page_size else {}
        if account:
            params["account_id"] = account
        if token:
            params["page_token"] = token
        page = _ok(client.get(path, params=params))
        entries += page["entries"]
        token = page["next_page_token"]
        if not token:
            return entries
    raise AssertionError("the audit log never ended")


def test_an_owner_cannot_give_itself_value_and_an_operator_can_with_an_audit_trail(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    account = f"money-{uuid.uuid4().hex[:8]}"
    other = f"money-{uuid.uuid4().hex[:8]}"
    stack.create_account(account)
    stack.create_account(other)
    base = f"/v1/accounts/{account}"
    operator_key = stack.operator_key()
    operator = stack.client(operator_key)
    owner = stack.client(stack.key(account, Role.OWNER))
    agent = stack.client(stack.key(account, Role.AGENT, billing_access=True))
    stranger = stack.client(stack.key(other, Role.OWNER))
    try:
        # The provider's set-up: money received by transfer, tax, a partner's contract price;
        # the partner then asks for days at that price: an open invoice.
        wire = f"WIRE-{uuid.uuid4().hex[:6]}"
        top_up = {"amount": USD_10, "transfer_reference": wire, "reason": "wire received"}
        _ok(operator.post(f"{base}/top-ups", json=top_up, headers={"Idempotency-Key": wire}))
        tax = {
            "configuration": {"rates": [{"country": "IN", "rate_basis_points": 1800}]},
            "reason": "GST for Indian buyers",
        }
        _ok(operator.put("/v1/tax-configuration", json=tax))
        organization = {
            "business_name": "Acme Retail",
            "billing_email": "billing@acme.example",
            "country": "IN",
        }
        _ok(
            operator.put(
                f"{base}/organization",
                json={"organization": organization, "reason": "details from the contract"},
            )
        )
        # A country that changes the tax waits for an operator to confirm it.
        confirm = {
            "treatment": "TAX_TREATMENT_STANDARD",
            "confirm_pending_change": True,
            "reason": "GSTIN checked",
        }
        assert _ok(operator.put(f"{base}/tax-status", json=confirm))["status"]["country"] == "IN"
        price = {"currency_code": "USD", "amount_micros": "20000000"}
        contract = {"price_per_channel_month": price, "reason": "signed contract"}
        _ok(operator.put(f"{base}/partner-contract", json=contract))
        invoice = _ok(
            owner.post(f"{base}/invoices:partner-days", json={"channels": "2"}, headers=_key())
        )["invoice"]
        assert invoice["status"] == "INVOICE_STATUS_OPEN"
        assert invoice["tax_rate_basis_points"] == "1800"
        pay = f"{base}/invoices/{invoice['invoice_id']}:pay"
        before = _state(operator, account)
        tax_before = _ok(operator.get("/v1/tax-configuration"))

        # The owner tries every way to value without paying: 403 (or 400 naming the field).
        _refused(
            owner.post(
                f"{base}/top-ups",
                json={"amount": {"currency_code": "USD", "amount_micros": "1000000000"}},
                headers=_key(),
            ),
            403,
        )
        _refused(
            owner.post(pay, json={"transfer_reference": "made-up"}, headers=_key()),
            403,
            "transfer_reference",
        )
        untaxed = {**organization, "tax_rate_basis_points": 0}
        _refused(
            owner.put(f"{base}/organization", json={"organization": untaxed}),
            400,
            "organization.tax_rate_basis_points",
        )
        exempt = {"treatment": "TAX_TREATMENT_EXEMPT", "exempt_reason": "we say so"}
        _refused(owner.put(f"{base}/tax-status", json=exempt), 403)
        _refused(owner.put("/v1/tax-configuration", json={"configuration": {}}), 403)
        cheap = {"price_per_channel_month": {"currency_code": "USD", "amount_micros": "1"}}
        _refused(owner.put(f"{base}/partner-contract", json=cheap), 403)
        one_micro = {"currency_code": "USD", "amount_micros": "1"}
        _refused(
            owner.post(
                f"{base}/invoices:partner-days",
                json={"channels": "75", "price_per_channel_month": one_micro},
                headers=_key(),
            ),
            400,
            "price_per_channel_month",
        )
        _refused(
            owner.patch(
                base,
                json={
                    "profile": {"price_list": {"markup_basis_points": "0"}},
                    "update_mask": "price_list",
                },
            ),
            403,
        )
        # Prices, fees, top-up fee rules and suspension are the provider's too.
        for profile, mask in (
            ({"price_list": {"fee_per_message_micros": "0"}}, "price_list"),
            (
                {
                    "price_list": {
                        "overrides": [
                            {"market": "India", "category": "marketing", "price_micros": "1"}
                        ]
                    }
                },
                "price_list",
            ),
            ({"top_up_fee": {"basis_points": "0", "fixed_micros": "0"}}, "top_up_fee"),
            ({"status": "ACCOUNT_STATUS_SUSPENDED"}, "status"),
        ):
            _refused(owner.patch(base, json={"profile": profile, "update_mask": mask}), 403)
        grant = {
            "amount": USD_10,
            "expire_time": "2030-01-01T00:00:00Z",
            "applies_to": ["messages"],
            "reason": "promo",
        }
        _refused(owner.post(f"{base}/credits", json=grant, headers=_key()), 403)
        credit_note = f"{base}/invoices/{invoice['invoice_id']}:credit-note"
        _refused(
            owner.post(credit_note, json={"amount": USD_10, "reason": "x"}, headers=_key()), 403
        )
        _refused(owner.post("/v1/billing-cycles:run", json={"as_of_date": "2026-03-01"}), 403)
        _refused(owner.post("/v1/plans", json={"plan": {"plan_id": "free", "name": "F"}}), 403)
        assert _state(operator, account) == before
        assert _ok(operator.get("/v1/tax-configuration")) == tax_before

        # Editing the organization's identity keeps the provider's tax rate.
        renamed = {**organization, "business_name": "Acme Retail Pvt"}
        _ok(owner.put(f"{base}/organization", json={"organization": renamed}))
        stored = _ok(owner.get(f"{base}/organization"))["organization"]
        assert stored["business_name"] == "Acme Retail Pvt"
        assert stored["tax_rate_basis_points"] == "1800"

        # Operators act only with a reason; without one nothing changes.
        no_reason = {"amount": USD_10, "transfer_reference": "WIRE-NONE"}
        _refused(operator.post(f"{base}/top-ups", json=no_reason, headers=_key()), 400, "reason")
        _refused(
            operator.post(pay, json={"transfer_reference": "W"}, headers=_key()), 400, "reason"
        )
        assert _state(operator, account)["balance"] == before["balance"]

        # The same transfer is credited once, whatever key a second attempt uses.
        again = operator.post(f"{base}/top-ups", json=top_up, headers=_key())
        assert again.status_code == 409 and again.json()["error"]["field"] == "transfer_reference"

        # Operators do each of them.
        paid = _ok(
            operator.post(
                pay,
                json={"transfer_reference": f"{wire}-2", "reason": "partner paid by wire"},
                headers=_key(),
            )
        )
        assert paid["invoice"]["status"] == "INVOICE_STATUS_PAID"
        _ok(operator.post(f"{base}/credits", json=grant, headers=_key()))
        _ok(
            operator.post(
                credit_note, json={"amount": USD_10, "reason": "service outage"}, headers=_key()
            )
        )
        markup = {
            "profile": {"price_list": {"markup_basis_points": "250"}},
            "update_mask": "price_list",
            "reason": "new contract",
        }
        _ok(operator.patch(base, json=markup))
        cycle = {"as_of_date": "2026-03-01", "account_id": account, "reason": "month end"}
        _ok(operator.post("/v1/billing-cycles:run", json=cycle))
        fees = {
            "profile": {
                "price_list": {"markup_basis_points": "250", "fee_per_message_micros": "5000"},
                "top_up_fee": {"basis_points": "150", "fixed_micros": "0"},
            },
            "update_mask": "price_list,top_up_fee",
            "reason": "fees of the new contract",
        }
        profile = _ok(operator.patch(base, json=fees))["account"]
        assert profile["price_list"]["fee_per_message_micros"] == "5000"
        assert profile["top_up_fee"]["basis_points"] == "150"
        suspend = {
            "profile": {"status": "ACCOUNT_STATUS_SUSPENDED"},
            "update_mask": "status",
            "reason": "unpaid for 90 days",
        }
        assert _ok(operator.patch(base, json=suspend))["account"]["status"] == (
            "ACCOUNT_STATUS_SUSPENDED"
        )
        after = _state(operator, account)
        assert after["balance"] != before["balance"] and after["credits"] != before["credits"]
        assert after["channels"]["pool_days"] == "60"  # 2 channels x 30 days, once paid

        # The audit log: operators see every account's, the owner its own, others nothing.
        entries = _audit(operator, "/v1/audit-entries", account=account)
        by_action: dict[str, list[dict[str, Any]]] = {}
        for entry in entries:
            assert entry["account_id"] == account
            by_action.setdefault(entry["action"], []).append(entry)
        assert {
            "CreateAccount",
            "TopUp",
            "UpdateOrganization",
            "SetAccountTaxStatus",
            "SetPartnerContract",
            "CreatePartnerDaysInvoice",
            "PayInvoice",
            "AddDays",
            "GrantCredit",
            "IssueCreditNote",
            "UpdateAccount",
            "RunBillingCycle",
        } <= set(by_action)
        (credited,) = by_action["TopUp"]
        key_id = operator_key.split(".")[0]
        assert credited["service"] == "wallet" and credited["reason"] == "wire received"
        assert credited["actor"] | {"name": ""} == {
            "kind": "operator",
            "id": key_id,
            "name": "",
            "role": "",
            "credential_id": key_id,
            "caller": "gateway",
        }
        assert credited["after"]["reference"] == wire
        assert credited["after"]["top_up"]["source"] == "bank_transfer"
        (payment,) = by_action["PayInvoice"]
        assert payment["before"]["invoice"]["status"] == "INVOICE_STATUS_OPEN"
        assert payment["after"]["invoice"]["status"] == "INVOICE_STATUS_PAID"
        assert payment["reason"] == "partner paid by wire"
        # Invoicing credited the days on the operator's behalf: the principal went along.
        (days,) = by_action["AddDays"]
        assert days["actor"]["kind"] == "operator" and days["actor"]["caller"] == "invoicing"
        edits = {e["actor"]["kind"]: e for e in by_action["UpdateOrganization"]}
        assert edits["customer"]["actor"]["role"] == "owner"
        assert edits["customer"]["before"]["organization"]["business_name"] == "Acme Retail"
        assert edits["customer"]["after"]["organization"]["business_name"] == "Acme Retail Pvt"
        updates = {e["reason"]: e for e in by_action["UpdateAccount"]}
        assert set(updates) == {"new contract", "fees of the new contract", "unpaid for 90 days"}
        suspended = updates["unpaid for 90 days"]
        assert suspended["actor"]["kind"] == "operator"
        assert suspended["before"]["account"]["status"] == "ACCOUNT_STATUS_ACTIVE"
        assert suspended["after"]["account"]["status"] == "ACCOUNT_STATUS_SUSPENDED"
        (contracted,) = by_action["SetPartnerContract"]
        assert contracted["reason"] == "signed contract"
        (requested,) = by_action["CreatePartnerDaysInvoice"]
        assert requested["actor"]["kind"] == "customer"
        everything = _audit(operator, "/v1/audit-entries", page_size=1000)
        assert any(e["action"] == "SetTaxConfiguration" for e in everything)

        mine = _audit(owner, f"{base}/audit-entries", page_size=2)
        assert [e["entry_id"] for e in mine] == [e["entry_id"] for e in entries]
        assert agent.get(f"{base}/audit-entries").status_code == 403
        assert owner.get("/v1/audit-entries").status_code == 403
        assert stranger.get(f"{base}/audit-entries").status_code == 404

        # `billing audit` shows the same entries.
        env = {
            **credentials().env("cli"),
            "DATABASE_URL": stack.gateway.gateway.engine.url.render_as_string(False),
            "WALLET_ADDRESS": stack.services["wallet"].address,
            "INVOICING_ADDRESS": stack.services["invoicing"].address,
            "BILLING_OPERATOR": "auditor@provider.example",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        assert billing(["audit", "--account", account, "--limit", "1000"]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert [e["entry_id"] for e in printed["entries"]] == [e["entry_id"] for e in entries]
    finally:
        for client in (operator, owner, agent, stranger):
            client.close()


def test_billing_top_up_credits_a_transfer_once(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    account = f"cli-wire-{uuid.uuid4().hex[:8]}"
    stack.create_account(account)
    for name, value in {
        **credentials().env("cli"),
        "WALLET_ADDRESS": stack.services["wallet"].address,
        "BILLING_OPERATOR": "ops@provider.example",
    }.items():
        monkeypatch.setenv(name, value)
    arguments = [
        "top-up",
        "--account",
        account,
        "--amount",
        "500.25",
        "--currency",
        "USD",
        "--transfer-reference",
        "BANK-0042",
        "--reason",
        "wire received 4 March",
    ]
    capsys.readouterr()
    assert billing(arguments) == 0
    first = json.loads(capsys.readouterr().out)
    assert billing(arguments) == 0  # the same transfer again: the same top-up, not a second
    assert json.loads(capsys.readouterr().out) == first
    assert first["amount"] == {"currency_code": "USD", "amount_micros": "500250000"}
    assert billing([*arguments[:-1], "another reason", "--idempotency-key", "k2"]) == 1
    assert "credited already" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        billing([*arguments[:5], "500.0000001", *arguments[7:]])
    with stack.client(stack.operator_key()) as client:
        balance = _ok(client.get(f"/v1/accounts/{account}/balance"))["balances"][0]
        entries = _audit(client, "/v1/audit-entries", account=account)
    assert balance["available_micros"] == "500250000"
    (credited,) = [e for e in entries if e["action"] == "TopUp"]
    assert credited["actor"]["id"] == "cli:ops@provider.example"
    assert credited["actor"]["caller"] == "cli" and credited["reason"] == "wire received 4 March"
