"""Transcoding through the real HTTP interface, with the real services behind the gateway."""

from __future__ import annotations

import csv
import io
import time
import uuid

import grpc
import pytest
from billing.metering.v1 import events_pb2, metering_service_pb2, metering_service_pb2_grpc
from google.protobuf import timestamp_pb2

from services.gateway.domain.access import Role
from tests.gateway.stack import Stack


def _plan(plan_id: str, fee_micros: int = 49_000_000) -> dict[str, object]:
    return {
        "plan": {
            "planId": plan_id,
            "name": plan_id.title(),
            "monthlyFee": {"currencyCode": "USD", "amountMicros": str(fee_micros)},
            "included_active_users": 1000,
        }
    }


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_body_star_camel_case_in_snake_case_and_int64_strings_out(stack: Stack) -> None:
    plan_id = _unique("basic")
    with stack.client(stack.platform_key()) as client:
        answer = client.post("/v1/plans", json=_plan(plan_id))
    assert answer.status_code == 200, answer.text
    plan = answer.json()["plan"]
    assert plan["plan_id"] == plan_id
    assert plan["monthly_fee"] == {"currency_code": "USD", "amount_micros": "49000000"}
    assert plan["included_active_users"] == "1000"
    assert plan["period_months"] == 1


def test_idempotency_key_header_reaches_the_service(stack: Stack) -> None:
    key = _unique("key")
    first_id = _unique("plan")
    with stack.client(stack.platform_key()) as client:
        first = client.post("/v1/plans", json=_plan(first_id), headers={"Idempotency-Key": key})
        again = client.post("/v1/plans", json=_plan(first_id), headers={"Idempotency-Key": key})
        other = client.post(
            "/v1/plans", json=_plan(_unique("plan")), headers={"Idempotency-Key": key}
        )
        clash = client.post(
            "/v1/plans",
            json={**_plan(_unique("plan")), "idempotency_key": "different"},
            headers={"Idempotency-Key": key},
        )
    assert first.status_code == 200 and again.json() == first.json()
    # The same key with another request: the service's Conflict, so the key got there.
    assert other.status_code == 409, other.text
    assert other.json()["error"]["code"] == "ABORTED"
    assert clash.status_code == 400 and clash.json()["error"]["field"] == "idempotency_key"


def test_pagination_follows_next_page_token(stack: Stack) -> None:
    with stack.client(stack.platform_key()) as client:
        for _ in range(3):
            assert client.post("/v1/plans", json=_plan(_unique("page"))).status_code == 200
        seen: list[str] = []
        token = ""
        for _ in range(100):
            params = {"page_size": "2", **({"page_token": token} if token else {})}
            page = client.get("/v1/plans", params=params).json()
            assert len(page["plans"]) <= 2
            seen += [plan["plan_id"] for plan in page["plans"]]
            token = page["next_page_token"]
            if not token:
                break
        everything = client.get("/v1/plans", params={"pageSize": 1000}).json()
    assert seen == [plan["plan_id"] for plan in everything["plans"]]
    assert len(seen) >= 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": "-1"}, "page_size"),
        ({"page_size": "1001"}, "page_size"),
        ({"page_size": "many"}, "page_size"),
        ({"nope": "1"}, "nope"),
        ({"page_size": ["1", "2"]}, "page_size"),
    ],
)
def test_query_problems_are_400_naming_the_field(
    stack: Stack, params: dict[str, object], field: str
) -> None:
    with stack.client(stack.platform_key()) as client:
        answer = client.get("/v1/plans", params=params)  # type: ignore[arg-type]
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == field


def test_path_query_and_enum_transcoding(stack: Stack) -> None:
    account = _unique("acct")
    stack.create_account(account)
    with stack.client(stack.key(account, Role.OWNER)) as client:
        listed = client.get(
            f"/v1/accounts/{account}/invoices", params={"kind": "INVOICE_KIND_PARTNER_DAYS"}
        )
        bad_enum = client.get(f"/v1/accounts/{account}/invoices", params={"kind": "PIZZA"})
        dates = client.get(
            f"/v1/accounts/{account}/usage/daily",
            params={"from_date": "2026-02-30", "to_date": "2026-03-01"},
        )
        backwards = client.get(
            f"/v1/accounts/{account}/usage/daily",
            params={"from_date": "2026-03-02", "to_date": "2026-03-01"},
        )
    assert listed.status_code == 200 and listed.json() == {"invoices": [], "next_page_token": ""}
    assert bad_enum.status_code == 400 and bad_enum.json()["error"]["field"] == "kind"
    assert dates.status_code == 400 and dates.json()["error"]["field"] == "from_date"
    assert backwards.status_code == 400 and backwards.json()["error"]["field"] == "to_date"


def test_service_errors_carry_the_field_from_trailing_metadata(stack: Stack) -> None:
    body = _plan(_unique("eur"))
    body["plan"]["monthlyFee"]["currencyCode"] = "XXX"  # type: ignore[index]
    with stack.client(stack.platform_key()) as client:
        answer = client.post("/v1/plans", json=body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "INVALID_ARGUMENT"
    assert error["field"].startswith("plan.monthly_fee")


def test_http_level_errors(stack: Stack) -> None:
    with stack.client(stack.platform_key()) as client:
        unknown = client.get("/v1/nowhere")
        wrong_method = client.delete("/v1/plans")
        too_large = client.post(
            "/v1/plans",
            content=b"{" + b" " * 70_000 + b"}",
            headers={"content-type": "application/json"},
        )
        malformed = client.post(
            "/v1/plans", content=b"{plan", headers={"content-type": "application/json"}
        )
        not_object = client.post("/v1/plans", json=[1, 2])
        not_json = client.post(
            "/v1/plans", content=b"plan=1", headers={"content-type": "text/plain"}
        )
        unknown_field = client.post("/v1/plans", json={"plan": {"planId": "x", "colour": "red"}})
        body_on_get = client.request("GET", "/v1/plans", content=b'{"a": 1}')
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "NOT_FOUND"
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "GET, POST"
    assert too_large.status_code == 413
    assert too_large.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert malformed.status_code == 400 and malformed.json()["error"]["field"] == "body"
    assert not_object.status_code == 400
    assert not_json.status_code == 415
    assert unknown_field.status_code == 400
    assert unknown_field.json()["error"] == {
        "code": "INVALID_ARGUMENT",
        "message": "plan.colour: unknown field",
        "field": "plan.colour",
    }
    assert body_on_get.status_code == 400
    for answer in (unknown, wrong_method, too_large, malformed, not_json):
        assert "Traceback" not in answer.text


def _record_inbound(stack: Stack, account: str, contact: str, day: str) -> None:
    occur = timestamp_pb2.Timestamp()
    occur.FromJsonString(f"{day}T10:00:00Z")
    event = events_pb2.MessageEvent(
        account_id=account,
        channel_id="ch-1",
        contact=contact,
        occur_time=occur,
        chat_id="chat-1",
        session_id="client.operation.connector",
        inbound=events_pb2.InboundMessage(message_id=_unique("wamid")),
    )
    with grpc.insecure_channel(stack.services["metering"].address) as channel:
        stub = metering_service_pb2_grpc.MeteringServiceStub(channel)
        deadline = time.monotonic() + 20
        while True:
            answer = stub.RecordEvents(
                metering_service_pb2.RecordEventsRequest(events=[event]), timeout=10
            )
            if answer.accepted_count == 1:
                return
            # The account reaches metering through the wallet's account stream.
            if time.monotonic() > deadline:
                raise AssertionError(f"metering refused the event: {answer}")
            time.sleep(0.1)


def test_server_streams_as_json_array_and_csv_download(stack: Stack) -> None:
    account = _unique("report")
    stack.create_account(account)
    for contact in ("+919800000001", "+919800000002"):
        _record_inbound(stack, account, contact, "2026-01-15")
    params = {"from_date": "2026-01-01", "to_date": "2026-01-31"}
    with stack.client(stack.key(account, Role.OWNER)) as client:
        rows = client.get(f"/v1/accounts/{account}/usage/report", params=params)
        with client.stream(
            "GET", f"/v1/accounts/{account}/usage/report.csv", params=params
        ) as csv_answer:
            assert csv_answer.headers["content-type"].startswith("text/csv")
            assert "content-length" not in csv_answer.headers
            text = b"".join(csv_answer.iter_bytes()).decode()
        empty = client.get(
            f"/v1/accounts/{account}/usage/report",
            params={"from_date": "2025-01-01", "to_date": "2025-01-31"},
        )
    assert rows.status_code == 200 and rows.headers["content-type"] == "application/json"
    phones = sorted(item["row"]["customer_phone"] for item in rows.json())
    assert phones == ["+919800000001", "+919800000002"]
    table = list(csv.reader(io.StringIO(text)))
    assert len(table) == 3 and "+919800000001" in {cell for row in table for cell in row}
    assert empty.json() == []


def test_invoice_pdf_streams_with_its_content_type(stack: Stack) -> None:
    account = _unique("pdf")
    stack.create_account(account)
    price = {"pricePerChannelMonth": {"currencyCode": "USD", "amountMicros": "20000000"}}
    contract_path = f"/v1/accounts/{account}/partner-contract"
    with stack.client(stack.key(account, Role.OWNER)) as client:
        assert client.put(contract_path, json=price).status_code == 403  # the provider's price
        priced = client.post(
            f"/v1/accounts/{account}/invoices:partner-days",
            json={"channels": "2", **price},
            headers={"Idempotency-Key": _unique("pd")},
        )
        assert priced.status_code == 400
        assert priced.json()["error"]["field"] == "price_per_channel_month"
    with stack.client(stack.platform_key()) as operator:
        assert operator.put(contract_path, json=price).status_code == 200
    with stack.client(stack.key(account, Role.OWNER)) as client:
        invoice = client.post(
            f"/v1/accounts/{account}/invoices:partner-days",
            json={"channels": "2"},
            headers={"Idempotency-Key": _unique("pd")},
        )
        assert invoice.status_code == 200, invoice.text
        invoice_id = invoice.json()["invoice"]["invoice_id"]
        assert invoice.json()["invoice"]["kind"] == "INVOICE_KIND_PARTNER_DAYS"
        pdf = client.get(f"/v1/accounts/{account}/invoices/{invoice_id}/pdf")
        missing = client.get(f"/v1/accounts/{account}/invoices/inv_missing/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"


def test_health_and_readiness(stack: Stack) -> None:
    with stack.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
    assert ready.status_code == 200
    assert set(ready.json()["backends"].values()) == {"SERVING"}
    assert len(ready.json()["backends"]) == 4


def test_incoming_trace_context_continues_into_the_services(stack: Stack) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace_id = uuid.uuid4().hex
    traceparent = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"
    with stack.client(stack.platform_key()) as client:
        answer = client.get("/v1/plans", headers={"traceparent": traceparent})
    assert answer.status_code == 200
    spans = [s for s in exporter.get_finished_spans() if f"{s.context.trace_id:032x}" == trace_id]
    names = {span.name for span in spans}
    assert "GET /v1/plans" in names
    assert "/billing.invoicing.v1.InvoicingService/ListPlans" in names
    exporter.shutdown()
