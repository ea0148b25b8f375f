"""Channels to other services: this process's service credential and the principal being
served, a client span and the trace context, and a deadline on every call; calls balanced over
every address the name resolves to, and idempotent calls retried when a server went away.

In Kubernetes the services are headless: `dns:///wallet:50052` resolves to every ready pod and
`round_robin` spreads the calls over them (a ClusterIP would pin each channel to one pod).
Servers close connections after a while (grpc_server), so new pods are found again.
"""

from __future__ import annotations

import collections
import functools
import importlib
import json
from pathlib import Path
from typing import Any

import grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors, client_interceptor, grpcext

from services.common import service_auth, telemetry
from services.common.config import Env

DEFAULT_TIMEOUT_S = 5.0
# Reads, and the calls made idempotent by what they carry (a message id, an event's identity).
IDEMPOTENT_PREFIXES = ("Get", "List", "Count", "Stream", "Export", "Download")
IDEMPOTENT_METHODS = frozenset({"AuthoriseSend", "AuthoriseBatch", "RecordEvents"})
RETRY_POLICY = {
    "maxAttempts": 3,
    "initialBackoff": "0.05s",
    "maxBackoff": "0.5s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}


class _ClientCallDetails(
    collections.namedtuple(
        "_ClientCallDetails",
        ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"),
    ),
    grpc.ClientCallDetails,
):
    pass


class _DeadlineInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds a deadline when the caller set none."""

    def __init__(self, default_timeout_s: float) -> None:
        self._default_timeout_s = default_timeout_s

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        if details.timeout is not None:
            return details
        return _ClientCallDetails(
            details.method,
            self._default_timeout_s,
            details.metadata,
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


class _CredentialInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds the service credential and, while serving a call made on someone's behalf, that
    principal (unless the call names one)."""

    def __init__(self, token: str) -> None:
        self._authorization = credential_metadata(token)

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        metadata = _with_credential(details.metadata, self._authorization)
        return _ClientCallDetails(
            details.method,
            details.timeout,
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


class _AioCredentialInterceptor(
    grpc.aio.UnaryUnaryClientInterceptor,
    grpc.aio.UnaryStreamClientInterceptor,
    grpc.aio.StreamUnaryClientInterceptor,
    grpc.aio.StreamStreamClientInterceptor,
):
    """The same for grpc.aio channels (the gateway)."""

    def __init__(self, token: str) -> None:
        self._authorization = credential_metadata(token)

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*_with_credential(details.metadata, self._authorization))
        return grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)

    async def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(self._details(details), requests)

    async def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(self._details(details), requests)


def _with_credential(given: Any, authorization: tuple[str, str]) -> list[tuple[str, Any]]:
    """The call's metadata with the credential (unless the call presents one) and the principal
    being served (unless the call names one)."""
    metadata = list(given or ())
    keys = {key for key, _ in metadata}
    if service_auth.AUTHORIZATION not in keys:
        metadata.append(authorization)
    serving = service_auth.current_identity()
    if serving is not None and serving.forwarded and service_auth.PRINCIPAL_METADATA not in keys:
        metadata.append((service_auth.PRINCIPAL_METADATA, serving.forwarded))
    return metadata


def credential_metadata(token: str) -> tuple[str, str]:
    """The metadata that presents `token`."""
    return (service_auth.AUTHORIZATION, service_auth.BEARER + token)


@functools.cache
def service_config() -> str:
    """round_robin, and the retry policy on every idempotent method of the billing services."""
    names = [
        {"service": service, "method": method}
        for service, methods in sorted(billing_methods().items())
        for method in methods
        if method.startswith(IDEMPOTENT_PREFIXES) or method in IDEMPOTENT_METHODS
    ]
    config: dict[str, Any] = {"loadBalancingConfig": [{"round_robin": {}}]}
    if names:
        config["methodConfig"] = [{"name": names, "retryPolicy": RETRY_POLICY}]
    return json.dumps(config)


def billing_methods() -> dict[str, list[str]]:
    """Every RPC of the generated billing services, by full service name."""
    try:
        package = importlib.import_module("billing")
    except ModuleNotFoundError:
        return {}
    found: dict[str, list[str]] = {}
    for folder in package.__path__:  # a namespace package: billing/<service>/v1/*_service_pb2
        for path in sorted(Path(folder).glob("*/v*/*_service_pb2.py")):
            name = ".".join(("billing", *path.relative_to(folder).with_suffix("").parts))
            descriptor = importlib.import_module(name).DESCRIPTOR
            for service in descriptor.services_by_name.values():
                found[service.full_name] = [method.name for method in service.methods]
    return found


def channel_options() -> list[tuple[str, Any]]:
    return [
        ("grpc.service_config", service_config()),
        ("grpc.enable_retries", 1),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.max_receive_message_length", 16 << 20),
    ]


def channel(
    address: str, default_timeout_s: float = DEFAULT_TIMEOUT_S, token: str = ""
) -> grpc.Channel:
    """An insecure channel (in-cluster traffic) to `address`, e.g. `dns:///wallet:50052`.

    Every call presents `token`, by default this process's BILLING_SERVICE_TOKEN (a
    ConfigError names the variable when it is missing).
    """
    token = token or service_auth.own_token(Env())
    with_deadlines = grpc.intercept_channel(
        grpc.insecure_channel(address, options=channel_options()),
        _CredentialInterceptor(token),
        _DeadlineInterceptor(default_timeout_s),
    )
    if telemetry.disabled():
        return with_deadlines
    traced: grpc.Channel = grpcext.intercept_channel(with_deadlines, client_interceptor())
    return traced


def aio_channel(address: str, token: str = "") -> grpc.aio.Channel:
    """The same for an asyncio caller (the gateway); deadlines are set per call there."""
    token = token or service_auth.own_token(Env())
    interceptors: list[Any] = [_AioCredentialInterceptor(token)]
    if not telemetry.disabled():
        interceptors += aio_client_interceptors()
    return grpc.aio.insecure_channel(address, options=channel_options(), interceptors=interceptors)
