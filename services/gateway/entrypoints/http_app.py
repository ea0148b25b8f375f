"""The ASGI application: route every request, answer every failure with the one error body."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from services.common.errors import BillingError
from services.gateway.entrypoints import http_errors
from services.gateway.entrypoints.router import MethodNotAllowed, Router
from services.gateway.service.ports.backends import Backends

log = logging.getLogger(__name__)


class GatewayApp:
    def __init__(self, router: Router, backends: Backends, close_grace_s: float) -> None:
        self.router = router
        self._backends = backends
        self._close_grace_s = close_grace_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        response = await self.dispatch(Request(scope, receive))
        await response(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        try:
            route, values = self.router.match(request.method, _raw_path(request.scope))
            return await route.handler(request, values)
        except MethodNotAllowed as error:
            response = http_errors.from_billing_error(error)
            response.headers["Allow"] = ", ".join(error.allowed)
            return response
        except BillingError as error:
            return http_errors.from_billing_error(error)
        except Exception:
            log.exception("unhandled error", extra={"path": request.url.path})
            return http_errors.error_response(500, "INTERNAL", "internal error")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message: Any = await receive()
            if message["type"] == "lifespan.startup":
                self._backends.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._backends.close(self._close_grace_s)
                await send({"type": "lifespan.shutdown.complete"})
                return


def _raw_path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    if raw:
        return str(raw.decode("latin-1"))
    return quote(scope["path"])
