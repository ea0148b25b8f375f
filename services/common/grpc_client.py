"""Channels to other services: trace context carried along, and a deadline on every call."""

from __future__ import annotations

import collections
from typing import Any

import grpc
from opentelemetry import propagate

DEFAULT_TIMEOUT_S = 5.0


class _ClientCallDetails(
    collections.namedtuple(
        "_ClientCallDetails",
        ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"),
    ),
    grpc.ClientCallDetails,
):
    pass


class _OutgoingInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds the W3C trace context to the metadata and a deadline when the caller set none."""

    def __init__(self, default_timeout_s: float) -> None:
        self._default_timeout_s = default_timeout_s

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        metadata = list(details.metadata or ()) + [(k.lower(), v) for k, v in carrier.items()]
        timeout = details.timeout if details.timeout is not None else self._default_timeout_s
        return _ClientCallDetails(
            details.method,
            timeout,
            metadata,
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


def channel(address: str, default_timeout_s: float = DEFAULT_TIMEOUT_S) -> grpc.Channel:
    """An insecure channel (in-cluster traffic) to `address` with the outgoing interceptor."""
    return grpc.intercept_channel(
        grpc.insecure_channel(address), _OutgoingInterceptor(default_timeout_s)
    )
