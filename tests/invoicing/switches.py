"""A real service whose RPCs the test can take down (UNAVAILABLE) and count, as a caller sees
them: the service itself is untouched, its handlers are only guarded."""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import grpc

from services.common.errors import Unavailable
from services.common.grpc_server import App, ServiceBinding

ALL = "*"


class Switch:
    """down("RedeemCredits") answers that RPC UNAVAILABLE until the block ends; down() all."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: collections.Counter[str] = collections.Counter()
        self._down: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    @contextmanager
    def down(self, *methods: str) -> Iterator[None]:
        self._down = frozenset(methods or (ALL,))
        try:
            yield
        finally:
            self._down = frozenset()

    def total_calls(self) -> int:
        return sum(self.calls.values())

    def serve(self, app: App) -> App:
        bindings = [ServiceBinding(b.name, self._adding(b.add), b.rules) for b in app.bindings]
        return App(bindings, app.workers, app.on_close)

    def _adding(self, add: Callable[[grpc.Server], None]) -> Callable[[grpc.Server], None]:
        return lambda server: add(_GuardedServer(server, self))  # type: ignore[arg-type]

    def guard(self, method: str, behaviour: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            with self._lock:
                self.calls[method] += 1
            if ALL in self._down or method in self._down:
                raise Unavailable(f"{self.name} is down")
            return behaviour(request, context)

        return guarded


class _GuardedServer:
    """What the generated add_*Servicer_to_server sees: its handlers go through the switch."""

    def __init__(self, server: grpc.Server, switch: Switch) -> None:
        self._server = server
        self._switch = switch

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
        guarded = {name: self._guarded(name, h) for name, h in handlers.items()}
        self._server.add_registered_method_handlers(service, guarded)  # type: ignore[attr-defined]

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        self._server.add_generic_rpc_handlers(tuple(_GuardedHandler(h, self) for h in handlers))

    def _guarded(self, name: str, handler: Any) -> Any:
        kinds = ("unary_unary", "unary_stream", "stream_unary", "stream_stream")
        given = {
            k: self._switch.guard(name, getattr(handler, k)) for k in kinds if getattr(handler, k)
        }
        return handler._replace(**given)


class _GuardedHandler(grpc.GenericRpcHandler):
    def __init__(self, handler: grpc.GenericRpcHandler, server: _GuardedServer) -> None:
        self._handler = handler
        self._server = server

    def service(self, details: grpc.HandlerCallDetails) -> Any:
        found = self._handler.service(details)
        if found is None:
            return None
        return self._server._guarded(str(details.method).rsplit("/", 1)[-1], found)
