"""The services behind the gateway, over gRPC."""

from __future__ import annotations

from typing import Any, Protocol

from services.gateway.transcoding.routes import Route


class Backends(Protocol):
    """The services behind the gateway. What travels is the contracts' own messages: the
    gateway transcodes JSON into a route's request message and its response back, so these
    calls take and return protobuf messages as they are."""

    def start(self) -> None:
        """Open the connections, in the serving event loop."""
        ...

    async def close(self, grace_s: float) -> None: ...

    def call(self, route: Route) -> Any:
        """The route's RPC: awaited for a unary answer, iterated for a server stream."""
        ...

    async def unary(
        self,
        service: str,
        method: str,
        request: Any,
        response_class: Any,
        timeout_s: float,
        metadata: list[tuple[str, str]],
    ) -> Any:
        """One unary call by name, for the gateway's own routes."""
        ...

    async def health(self, timeout_s: float) -> dict[str, str]:
        """Each service's health status by service name."""
        ...
