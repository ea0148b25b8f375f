"""Channels to other services: this process's service credential, the principal being served,
trace context carried along, and a deadline on every call."""

from __future__ import annotations

import collections
from typing import Any

import grpc
from opentelemetry import propagate

from services.common import service_auth
from services.common.config import Env

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
    """Adds the service credential, the principal being served (unless the call names one),
    the W3C trace context, and a deadline when the caller set none."""

    def __init__(self, default_timeout_s: float, token: str) -> None:
        self._default_timeout_s = default_timeout_s
        self._authorization = (service_auth.AUTHORIZATION, service_auth.BEARER + token)

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        metadata = list(details.metadata or ())
        metadata.append(self._authorization)
        serving = service_auth.current_identity()
        named = any(key == service_auth.PRINCIPAL_METADATA for key, _ in metadata)
        if serving is not None and serving.forwarded and not named:
            metadata.append((service_auth.PRINCIPAL_METADATA, serving.forwarded))
        metadata += [(k.lower(), v) for k, v in carrier.items()]
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


def channel(
    address: str, default_timeout_s: float = DEFAULT_TIMEOUT_S, token: str = ""
) -> grpc.Channel:
    """An insecure channel (in-cluster traffic) to `address` with the outgoing interceptor.

    Every call presents `token`, by default this process's BILLING_SERVICE_TOKEN (a
    ConfigError names the variable when it is missing).
    """
    token = token or service_auth.own_token(Env())
    return grpc.intercept_channel(
        grpc.insecure_channel(address), _OutgoingInterceptor(default_timeout_s, token)
    )


def credential_metadata(token: str) -> tuple[str, str]:
    """The metadata that presents `token`, for channels made without channel() (grpc.aio)."""
    return (service_auth.AUTHORIZATION, service_auth.BEARER + token)
