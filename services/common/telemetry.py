"""OpenTelemetry set up once per process; exporters chosen by environment."""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry import metrics, propagate, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from services.common.config import Env

EXPORTERS = ("none", "console", "otlp")


@dataclass(frozen=True)
class TelemetrySettings:
    service: str
    traces_exporter: str
    metrics_exporter: str

    @classmethod
    def from_env(cls, env: Env, service: str) -> TelemetrySettings:
        return cls(
            service=env.text("OTEL_SERVICE_NAME", f"billing-{service}"),
            traces_exporter=env.choice("OTEL_TRACES_EXPORTER", "none", EXPORTERS),
            metrics_exporter=env.choice("OTEL_METRICS_EXPORTER", "none", EXPORTERS),
        )


def configure(settings: TelemetrySettings) -> None:
    """Install tracer and meter providers; with 'none' the API stays a cheap no-op."""
    resource = Resource.create({"service.name": settings.service})
    if settings.traces_exporter != "none":
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(BatchSpanProcessor(_span_exporter(settings.traces_exporter)))
        trace.set_tracer_provider(provider)
    if settings.metrics_exporter != "none":
        reader: MetricReader = PeriodicExportingMetricReader(
            _metric_exporter(settings.metrics_exporter), export_interval_millis=15_000
        )
        metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))


def shutdown() -> None:
    for provider in (trace.get_tracer_provider(), metrics.get_meter_provider()):
        stop = getattr(provider, "shutdown", None)
        if stop is not None:
            stop()


def _span_exporter(name: str):  # type: ignore[no-untyped-def]
    if name == "console":
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def _metric_exporter(name: str):  # type: ignore[no-untyped-def]
    if name == "console":
        return ConsoleMetricExporter()
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter()


def inject_metadata(metadata: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Add the current trace context (W3C traceparent) to outgoing gRPC metadata."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return metadata + [(key.lower(), value) for key, value in carrier.items()]
