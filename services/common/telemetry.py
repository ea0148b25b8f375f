"""OpenTelemetry set up once per process; exporters chosen by environment.

A tracer provider is always installed (unless OTEL_SDK_DISABLED=true), exported or not, so
every request has a trace id and every log line written inside it carries it. Spans come from
OpenTelemetry's instrumentations: gRPC servers and clients (grpc_server, grpc_client), Redis
and SQLAlchemy (instrumented here), the gateway's ASGI app (its __main__).

- OTEL_TRACES_EXPORTER: none (default), console or otlp.
- OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG: the SDK's; when unset, parentbased_always_on
  with an exporter and parentbased_always_off without one (ids and propagation, no recording).
- OTEL_METRICS_EXPORTER: a comma list of none, console, otlp, prometheus. Prometheus serves
  /metrics on OTEL_EXPORTER_PROMETHEUS_HOST:OTEL_EXPORTER_PROMETHEUS_PORT (localhost:9464).
- OTEL_SERVICE_NAME (billing-<service>), OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_*: as the
  SDK reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider, sampling
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from services.common.config import ConfigError, Env

EXPORTERS = ("none", "console", "otlp")
METRIC_EXPORTERS = (*EXPORTERS, "prometheus")
METRICS_INTERVAL_MS = 15_000


@dataclass(frozen=True)
class TelemetrySettings:
    service: str
    traces_exporter: str
    metrics_exporters: tuple[str, ...]
    disabled: bool = False  # OTEL_SDK_DISABLED: no provider, no instrumentation at all
    sampler_chosen: bool = False  # OTEL_TRACES_SAMPLER is set: the SDK reads it
    prometheus_host: str = "localhost"
    prometheus_port: int = 9464

    @classmethod
    def from_env(cls, env: Env, service: str) -> TelemetrySettings:
        names = [n.strip().lower() for n in env.text("OTEL_METRICS_EXPORTER", "none").split(",")]
        unknown = [n for n in names if n not in METRIC_EXPORTERS]
        if unknown:
            raise ConfigError(
                "OTEL_METRICS_EXPORTER",
                f"expected a comma list of {', '.join(METRIC_EXPORTERS)}, got {unknown[0]!r}",
            )
        return cls(
            service=env.text("OTEL_SERVICE_NAME", f"billing-{service}"),
            traces_exporter=env.choice("OTEL_TRACES_EXPORTER", "none", EXPORTERS),
            metrics_exporters=tuple(n for n in dict.fromkeys(names) if n != "none"),
            disabled=env.flag("OTEL_SDK_DISABLED", False),
            sampler_chosen=bool(env.text("OTEL_TRACES_SAMPLER", "")),
            prometheus_host=env.text("OTEL_EXPORTER_PROMETHEUS_HOST", "localhost"),
            prometheus_port=env.integer("OTEL_EXPORTER_PROMETHEUS_PORT", 9464, maximum=65535),
        )


def configure(settings: TelemetrySettings) -> None:
    """Install the tracer and meter providers and instrument Redis and SQLAlchemy."""
    if settings.disabled:
        return
    resource = Resource.create({"service.name": settings.service})
    trace.set_tracer_provider(_tracer_provider(settings, resource))
    readers = [_metric_reader(name, settings) for name in settings.metrics_exporters]
    if readers:
        metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))
    _instrument_libraries()


def _tracer_provider(settings: TelemetrySettings, resource: Resource) -> TracerProvider:
    sampler = None
    if not settings.sampler_chosen and settings.traces_exporter == "none":
        sampler = sampling.ParentBased(sampling.ALWAYS_OFF)
    provider = TracerProvider(resource=resource, sampler=sampler)
    if settings.traces_exporter != "none":
        provider.add_span_processor(BatchSpanProcessor(_span_exporter(settings.traces_exporter)))
    return provider


def _instrument_libraries() -> None:
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    for instrumentor in (RedisInstrumentor(), SQLAlchemyInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            # The SQLAlchemy instrumentation declares support below 2.1; it works with the 2.1
            # engine events it hooks (tests/test_trace_console.py shows the spans).
            instrumentor.instrument(skip_dep_check=True)


QUIET_SERVICES = ("/grpc.health.", "/grpc.reflection.")


def disabled() -> bool:
    """OTEL_SDK_DISABLED=true: no provider and no instrumentation in this process."""
    return Env().flag("OTEL_SDK_DISABLED", False)


def grpc_server_interceptors() -> list[grpc.ServerInterceptor]:
    """OpenTelemetry's server interceptor: a span per call, continuing the caller's trace;
    health checks and reflection are left out. (The filter is a plain prefix test: the
    package's own filters check a typing Protocol per call, which costs the send path ~25 µs.)
    None when telemetry is disabled."""
    if disabled():
        return []
    from opentelemetry.instrumentation.grpc import server_interceptor

    def traced(details: grpc.HandlerCallDetails) -> bool:
        return not details.method.startswith(QUIET_SERVICES)

    interceptor: grpc.ServerInterceptor = server_interceptor(filter_=traced)
    return [interceptor]


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


def _metric_reader(name: str, settings: TelemetrySettings) -> MetricReader:
    if name == "prometheus":
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from prometheus_client import start_http_server

        try:
            start_http_server(settings.prometheus_port, addr=settings.prometheus_host)
        except OSError as error:
            raise ConfigError(
                "OTEL_EXPORTER_PROMETHEUS_PORT",
                f"cannot listen on {settings.prometheus_host}:{settings.prometheus_port}: "
                f"{error.strerror}",
            ) from None
        return PrometheusMetricReader()
    exporter: MetricExporter
    if name == "console":
        exporter = ConsoleMetricExporter()
    else:
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        exporter = OTLPMetricExporter()
    return PeriodicExportingMetricReader(exporter, export_interval_millis=METRICS_INTERVAL_MS)
