"""Server interceptor: trace context in, a span and metrics per call, errors to status codes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace

from services.common.errors import FIELD_METADATA_KEY, BillingError

log = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 500
MAX_FIELD_CHARS = 200


class ServerInterceptor(grpc.ServerInterceptor):
    """Wraps every handler of a service once."""

    def __init__(self, service: str) -> None:
        self._tracer = trace.get_tracer(f"billing.{service}")
        meter = metrics.get_meter(f"billing.{service}")
        self._duration = meter.create_histogram(
            "rpc.server.duration", unit="ms", description="Time to handle one RPC"
        )

    def intercept_service(self, continuation, handler_call_details):  # type: ignore[no-untyped-def]
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        if method.startswith("/grpc.health") or method.startswith("/grpc.reflection"):
            return handler
        wrap = self._wrap_unary if not handler.response_streaming else self._wrap_streaming
        behaviour = (
            handler.unary_unary
            or handler.unary_stream
            or handler.stream_unary
            or handler.stream_stream
        )
        wrapped = wrap(method, behaviour)
        return handler._replace(
            unary_unary=wrapped if handler.unary_unary else None,
            unary_stream=wrapped if handler.unary_stream else None,
            stream_unary=wrapped if handler.stream_unary else None,
            stream_stream=wrapped if handler.stream_stream else None,
        )

    def _wrap_unary(self, method: str, behaviour: Callable[..., Any]) -> Callable[..., Any]:
        def handle(request: Any, context: grpc.ServicerContext) -> Any:
            token = otel_context.attach(propagate.extract(_carrier(context)))
            started = time.perf_counter()
            code = "OK"
            try:
                with self._tracer.start_as_current_span(method, kind=trace.SpanKind.SERVER):
                    return behaviour(request, context)
            except BillingError as error:
                code = error.code.name
                _abort(context, error)
            except NotImplementedError:
                # A generated base servicer's method: not written yet.
                code = "UNIMPLEMENTED"
                context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented")
            except Exception:
                code = "INTERNAL"
                log.exception("unhandled error", extra={"rpc": method})
                context.abort(grpc.StatusCode.INTERNAL, "internal error")
            finally:
                self._record(method, code, started)
                otel_context.detach(token)

        return handle

    def _wrap_streaming(self, method: str, behaviour: Callable[..., Any]) -> Callable[..., Any]:
        def handle(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            token = otel_context.attach(propagate.extract(_carrier(context)))
            started = time.perf_counter()
            code = "OK"
            try:
                with self._tracer.start_as_current_span(method, kind=trace.SpanKind.SERVER):
                    yield from behaviour(request, context)
            except BillingError as error:
                code = error.code.name
                _abort(context, error)
            except NotImplementedError:
                # A generated base servicer's method: not written yet.
                code = "UNIMPLEMENTED"
                context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented")
            except Exception:
                code = "INTERNAL"
                log.exception("unhandled error", extra={"rpc": method})
                context.abort(grpc.StatusCode.INTERNAL, "internal error")
            finally:
                self._record(method, code, started)
                otel_context.detach(token)

        return handle

    def _record(self, method: str, code: str, started: float) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        self._duration.record(elapsed_ms, {"rpc.method": method, "rpc.grpc.status_code": code})


def _carrier(context: grpc.ServicerContext) -> dict[str, str]:
    return {key: value for key, value in context.invocation_metadata() if isinstance(value, str)}


def _abort(context: grpc.ServicerContext, error: BillingError) -> None:
    if error.field:
        context.set_trailing_metadata(((FIELD_METADATA_KEY, error.field[:MAX_FIELD_CHARS]),))
    message = error.message
    if len(message) > MAX_MESSAGE_CHARS:  # metadata is bounded (8 KB): never echo a whole value
        message = message[:MAX_MESSAGE_CHARS] + "..."
    context.abort(error.code, message)
