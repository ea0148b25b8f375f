"""One log line per REST request, written when its answer is complete.

Placed inside OpenTelemetry's ASGI middleware, so the line carries the request's trace id.
Health probes are left out (they would drown the rest). The query string is never logged.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("services.gateway.access")
QUIET_PATHS = frozenset({"/healthz", "/readyz"})


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in QUIET_PATHS:
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        answer: dict[str, Any] = {"status": 500, "bytes": 0}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self._app(scope, receive, sending)
        finally:
            client = scope.get("client")
            log.info(
                "request",
                extra={
                    "http_method": scope["method"],
                    "http_path": scope["path"],
                    "http_status": answer["status"],
                    "response_bytes": answer["bytes"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "client_address": client[0] if client else "",
                },
            )
