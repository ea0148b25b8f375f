"""HttpRule path templates and the JSON/text-to-message rules, on the real generated messages."""

from __future__ import annotations

import pytest
from billing.invoicing.v1 import invoicing_service_pb2 as invoicing
from billing.wallet.v1 import authorise_pb2
from billing.wallet.v1 import wallet_service_pb2 as wallet

from services.common.clock import SteppedClock
from services.gateway.transcoding import messages
from services.gateway.transcoding.messages import FieldError
from services.gateway.transcoding.routes import build_routes, load_services
from services.gateway.transcoding.template import TemplateError, compile_template


def test_variables_and_verbs_match_and_decode() -> None:
    template = compile_template("/v1/accounts/{account_id}/subscriptions/{subscription_id}:cancel")
    assert template.match("/v1/accounts/acme/subscriptions/sub%2F1:cancel") == {
        "account_id": "acme",
        "subscription_id": "sub/1",
    }
    assert template.match("/v1/accounts/acme/subscriptions/sub1") is None
    assert template.match("/v1/accounts/acme/subscriptions/a:b:cancel") == {
        "account_id": "acme",
        "subscription_id": "a:b",
    }
    assert (
        template.openapi_path == "/v1/accounts/{account_id}/subscriptions/{subscription_id}:cancel"
    )


def test_multi_segment_variables_keep_encoded_slashes() -> None:
    template = compile_template("/v1/{name=files/**}/content")
    assert template.match("/v1/files/a/b%2Fc/content") == {"name": "files/a/b%2Fc"}
    assert template.variables[0].single_segment is False


@pytest.mark.parametrize(
    "text", ["v1/plans", "/v1//plans", "/v1/{a.}", "/v1/{a}:", "/v1/{a={b}}", "/v1/{a"]
)
def test_bad_templates_are_refused(text: str) -> None:
    with pytest.raises(TemplateError):
        compile_template(text)


def test_routes_come_from_every_annotated_rpc() -> None:
    services = load_services()
    annotated = {
        method.full_name
        for service in services
        for method in service.methods
        if method.GetOptions().ListFields()
    }
    routes = build_routes(services)
    assert {route.rpc_name for route in routes} == annotated
    by_name = {route.rpc_name: route for route in routes}
    pdf = by_name["billing.invoicing.v1.InvoicingService.DownloadInvoicePdf"]
    assert pdf.http_body_response and pdf.server_streaming
    assert by_name["billing.wallet.v1.WalletService.DeleteChannel"].http_method == "DELETE"
    assert "AuthoriseSend" not in {route.method.name for route in routes}


def test_json_accepts_both_names_and_int64_strings() -> None:
    request = invoicing.CreatePlanRequest()
    messages.merge_json(
        request,
        {
            "plan": {
                "planId": "basic",
                "monthly_fee": {"currencyCode": "USD", "amount_micros": "49000000"},
                "includedActiveUsers": 1000,
            }
        },
    )
    assert request.plan.plan_id == "basic"
    assert request.plan.monthly_fee.amount_micros == 49_000_000
    assert request.plan.included_active_users == 1000
    out = messages.to_json(request)
    assert out["plan"]["monthly_fee"]["amount_micros"] == "49000000"
    assert out["plan"]["included_active_users"] == "1000"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"plan": {"nope": 1}}, "plan.nope"),
        ({"plan": {"monthlyFee": {"amountMicros": "1.5"}}}, "plan.monthly_fee.amount_micros"),
        (
            {"plan": {"monthly_fee": {"amount_micros": "9223372036854775808"}}},
            "plan.monthly_fee.amount_micros",
        ),
        ({"plan": "basic"}, "plan"),
        ({"plan": {"plan_id": "a", "planId": "b"}}, "plan.plan_id"),
    ],
)
def test_json_problems_name_the_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(FieldError) as raised:
        messages.merge_json(invoicing.CreatePlanRequest(), body)
    assert raised.value.field == field


def test_repeated_messages_report_the_element() -> None:
    request = authorise_pb2.AuthoriseBatchRequest()
    with pytest.raises(FieldError) as raised:
        messages.merge_json(request, {"recipients": [{"recipient": "+1"}, {"bad": 1}]})
    assert raised.value.field == "recipients[1].bad"


def test_text_values_set_nested_repeated_enum_and_timestamp_fields() -> None:
    request = wallet.GrantCreditRequest()
    messages.set_text_values(request, "amount.amountMicros", ["1500000"])
    messages.set_text_values(request, "applies_to", ["notifications_invoice", "messages"])
    messages.set_text_values(request, "expire_time", ["2026-12-31T00:00:00Z"])
    assert request.amount.amount_micros == 1_500_000
    assert list(request.applies_to) == ["notifications_invoice", "messages"]
    assert request.expire_time.seconds == 1798675200
    listing = invoicing.ListInvoicesRequest()
    messages.set_text_values(listing, "kind", ["INVOICE_KIND_NOTIFICATIONS"])
    assert listing.kind == 2


@pytest.mark.parametrize(
    ("name", "values", "field"),
    [
        ("amount", ["1"], "amount"),
        ("priority", ["1", "2"], "priority"),
        ("nope", ["1"], "nope"),
        ("amount.nope", ["1"], "amount.nope"),
        ("priority", ["high"], "priority"),
    ],
)
def test_text_value_problems_name_the_field(name: str, values: list[str], field: str) -> None:
    with pytest.raises(FieldError) as raised:
        messages.set_text_values(wallet.GrantCreditRequest(), name, values)
    assert raised.value.field == field


def test_account_fields_are_found_at_any_depth() -> None:
    request = wallet.CreateAccountRequest()
    request.profile.account_id = "b"
    assert list(messages.string_fields(request, "account_id")) == [("profile.account_id", "b")]


def test_credential_cache_expires_and_stays_bounded() -> None:
    from services.gateway.service import cache

    clock = SteppedClock()
    entries: cache.TtlCache[str, int] = cache.TtlCache(2.0, clock)
    entries.put("a", 1)
    clock.step(1_999)
    assert entries.get("a") == 1
    clock.step(1)
    assert entries.get("a") is None
    for index in range(cache.MAX_ENTRIES + 5):
        entries.put(str(index), index)
    assert entries.get("0") is None and entries.get(str(cache.MAX_ENTRIES + 4)) is not None
    entries.forget(str(cache.MAX_ENTRIES + 4))
    assert entries.get(str(cache.MAX_ENTRIES + 4)) is None
    disabled: cache.TtlCache[str, int] = cache.TtlCache(0, clock)
    disabled.put("a", 1)
    assert disabled.get("a") is None
