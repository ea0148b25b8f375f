"""The shared gRPC runtime, through a real service: health, reflection, errors, traces, drain."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import grpc
import pytest
from billing.common.v1 import money_pb2
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from billing.invoicing.v1 import invoicing_service_pb2_grpc as pb_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.common import grpc_client, service_auth
from services.common.errors import FIELD_METADATA_KEY
from services.invoicing.bootstrap import build
from tests.harness.credentials import OPERATOR, credentials, trusted_channel
from tests.harness.services import InProcessService

SPANS = InMemorySpanExporter()
_provider = TracerProvider()
_provider.add_span_processor(SimpleSpanProcessor(SPANS))
trace.set_tracer_provider(_provider)


@pytest.fixture
def invoicing(database_url: str, tmp_path) -> Iterator[InProcessService]:  # type: ignore[no-untyped-def]
    service = InProcessService(
        "invoicing",
        build,
        {
            "DATABASE_URL": database_url,
            "BILLING_DATA_DIR": str(tmp_path),
            "INVOICING_SCHEDULER_ENABLED": "false",
        },
    ).start()
    yield service
    service.stop()


def plan(plan_id: str = "growth", fee: int = 999_000_000) -> invoice_pb2.Plan:
    return invoice_pb2.Plan(
        plan_id=plan_id,
        name="Growth",
        monthly_fee=money_pb2.Money(currency_code="INR", amount_micros=fee),
        included_active_users=1000,
        price_per_extra_user=money_pb2.Money(currency_code="INR", amount_micros=500_000),
    )


def test_health_and_reflection(invoicing: InProcessService) -> None:
    with grpc.insecure_channel(invoicing.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "billing.invoicing.v1.InvoicingService"):
            answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=2)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        answer = next(reflection.ServerReflectionInfo(iter([request]), timeout=2))
        names = {s.name for s in answer.list_services_response.service}
        assert "billing.invoicing.v1.InvoicingService" in names
        assert "grpc.health.v1.Health" in names


def test_bad_input_is_invalid_argument_naming_the_field(invoicing: InProcessService) -> None:
    bad = plan()
    bad.monthly_fee.currency_code = "XXX"
    with trusted_channel(invoicing.address) as channel:
        stub = pb_grpc.InvoicingServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.CreatePlan(pb.CreatePlanRequest(plan=bad), timeout=5)
        error = caught.value
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "plan.monthly_fee" in (error.details() or "")
        assert (FIELD_METADATA_KEY, "plan.monthly_fee") in error.trailing_metadata()
        listed = stub.ListPlans(pb.ListPlansRequest(), timeout=5)
        assert list(listed.plans) == []


def test_create_is_idempotent_and_a_reused_key_is_refused(invoicing: InProcessService) -> None:
    with trusted_channel(invoicing.address) as channel:
        stub = pb_grpc.InvoicingServiceStub(channel)
        request = pb.CreatePlanRequest(plan=plan(), idempotency_key="k-1")
        first = stub.CreatePlan(request, timeout=5)
        again = stub.CreatePlan(request, timeout=5)
        assert first == again
        other = pb.CreatePlanRequest(plan=plan("scale"), idempotency_key="k-1")
        with pytest.raises(grpc.RpcError) as caught:
            stub.CreatePlan(other, timeout=5)
        assert caught.value.code() == grpc.StatusCode.ABORTED
        plans = stub.ListPlans(pb.ListPlansRequest(), timeout=5).plans
        assert [p.plan_id for p in plans] == ["growth"]
        assert plans[0].monthly_fee.amount_micros == 999_000_000


def test_trace_context_is_continued(invoicing: InProcessService) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    parent = "00f067aa0ba902b7"
    SPANS.clear()
    with trusted_channel(invoicing.address) as channel:
        stub = pb_grpc.InvoicingServiceStub(channel)
        metadata = (("traceparent", f"00-{trace_id}-{parent}-01"),)
        stub.ListPlans(pb.ListPlansRequest(), timeout=5, metadata=metadata)
    spans = [s for s in SPANS.get_finished_spans() if s.name.endswith("/ListPlans")]
    assert len(spans) == 1
    assert f"{spans[0].context.trace_id:032x}" == trace_id
    assert spans[0].parent is not None
    assert f"{spans[0].parent.span_id:016x}" == parent


def test_stop_reports_not_serving_then_refuses(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    service = InProcessService(
        "invoicing",
        build,
        {
            "DATABASE_URL": database_url,
            "BILLING_DATA_DIR": str(tmp_path),
            "INVOICING_SCHEDULER_ENABLED": "false",
        },
    ).start()
    channel = grpc.insecure_channel(service.address)
    health = health_pb2_grpc.HealthStub(channel)
    watch = health.Watch(health_pb2.HealthCheckRequest(), timeout=10)
    assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
    stopper = threading.Thread(target=service.stop)
    stopper.start()
    assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
    watch.cancel()
    stopper.join(timeout=10)
    with pytest.raises(grpc.RpcError):
        health.Check(health_pb2.HealthCheckRequest(), timeout=1)
    channel.close()


def test_service_to_service_calls_carry_the_trace(invoicing: InProcessService) -> None:
    """The caller's span → the channel's client span → the server's span, one trace."""
    SPANS.clear()
    tracer = trace.get_tracer("test")
    # As a service serving an operator's call: the principal travels on with the credential.
    serving = service_auth.Identity("cli", OPERATOR, forwarded=credentials().sign(OPERATOR))
    acting = service_auth.acting_as(serving)
    try:
        with (
            tracer.start_as_current_span("caller") as caller,
            grpc_client.channel(invoicing.address, token=credentials().tokens["cli"]) as channel,
        ):
            pb_grpc.InvoicingServiceStub(channel).ListPlans(pb.ListPlansRequest())
    finally:
        service_auth.reset(acting)
    spans = [s for s in SPANS.get_finished_spans() if s.name.endswith("/ListPlans")]
    (client,) = [s for s in spans if s.kind == trace.SpanKind.CLIENT]
    (served,) = [s for s in spans if s.kind == trace.SpanKind.SERVER]
    assert client.parent is not None and served.parent is not None
    assert client.parent.span_id == caller.get_span_context().span_id
    assert served.parent.span_id == client.context.span_id
    assert served.context.trace_id == caller.get_span_context().trace_id
