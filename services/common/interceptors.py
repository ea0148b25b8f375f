"""Server interceptor: errors to status codes, and each call's duration by its final status.

Spans (and the trace context from the caller) are OpenTelemetry's gRPC instrumentation's, the
interceptor placed before this one (grpc_server)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc

from services.common import metrics
from services.common.errors import FIELD_METADATA_KEY, BillingError

log = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 500
MAX_FIELD_CHARS = 200


class ServerInterceptor(grpc.ServerInterceptor):
    """Wraps every handler of a service once."""

    def __init__(self, service: str) -> None:
        self._duration = metrics.instruments().rpc_server_duration

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
            started = time.perf_counter()
            code = "OK"
            try:
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

        return handle

    def _wrap_streaming(self, method: str, behaviour: Callable[..., Any]) -> Callable[..., Any]:
        def handle(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            started = time.perf_counter()
            code = "OK"
            try:
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

        return handle

    def _record(self, method: str, code: str, started: float) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        self._duration.record(elapsed_ms, {"rpc.method": method, "rpc.grpc.status_code": code})


def _abort(context: grpc.ServicerContext, error: BillingError) -> None:
    if error.field:
        context.set_trailing_metadata(((FIELD_METADATA_KEY, error.field[:MAX_FIELD_CHARS]),))
    message = error.message
    if len(message) > MAX_MESSAGE_CHARS:  # metadata is bounded (8 KB): never echo a whole value
        message = message[:MAX_MESSAGE_CHARS] + "..."
    context.abort(error.code, message)
