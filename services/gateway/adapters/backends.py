"""grpc.aio channels to the backends, one per address, and generic calls by route."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common import grpc_client
from services.gateway.transcoding.routes import Route


class Backends:
    """Channels are made in the serving event loop (start) and closed on shutdown (close); every
    call on them presents the gateway's service credential."""

    def __init__(self, addresses: dict[str, str], service_token: str) -> None:
        self._addresses = addresses
        self._service_token = service_token
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._calls: dict[str, Any] = {}

    def start(self) -> None:
        for address in sorted(set(self._addresses.values())):
            self._channels[address] = grpc_client.aio_channel(address, self._service_token)

    async def close(self, grace_s: float) -> None:
        channels, self._channels = self._channels, {}
        self._calls.clear()
        await asyncio.gather(*(channel.close(grace_s) for channel in channels.values()))

    def call(self, route: Route) -> Any:
        """The unary or server-streaming multicallable of the route's RPC."""
        found = self._calls.get(route.grpc_path)
        if found is not None:
            return found
        channel = self._channels[self._addresses[route.service.full_name]]
        factory = channel.unary_stream if route.server_streaming else channel.unary_unary
        made = factory(
            route.grpc_path,
            request_serializer=route.request_class.SerializeToString,
            response_deserializer=route.response_class.FromString,
        )
        self._calls[route.grpc_path] = made
        return made

    def multicallable(
        self, service: str, method: str, request_class: Any, response_class: Any
    ) -> Any:
        """A unary multicallable of `service` (a full name) that no route exposes."""
        channel = self._channels[self._addresses[service]]
        return channel.unary_unary(
            f"/{service}/{method}",
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )

    async def unary(
        self,
        service: str,
        method: str,
        request: Any,
        response_class: Any,
        timeout_s: float,
        metadata: list[tuple[str, str]],
    ) -> Any:
        """One unary call by name, for the gateway's own routes (the provider's webhooks)."""
        call = self.multicallable(service, method, type(request), response_class)
        return await call(request, timeout=timeout_s, metadata=metadata)

    def has(self, service: str) -> bool:
        return service in self._addresses

    async def health(self, timeout_s: float) -> dict[str, str]:
        """Each backend service's gRPC health status by service name."""
        names = sorted(self._addresses)
        answers = await asyncio.gather(*(self._check(name, timeout_s) for name in names))
        return dict(zip(names, answers, strict=True))

    async def _check(self, service: str, timeout_s: float) -> str:
        channel = self._channels.get(self._addresses[service])
        if channel is None:
            return "NOT_STARTED"
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            answer = await stub.Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout_s
            )
        except grpc.aio.AioRpcError as error:
            return error.code().name
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status))
