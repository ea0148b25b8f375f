"""Match a request to one route by path template and method: 404 and 405 answered here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from services.gateway.errors import HttpError
from services.gateway.transcoding.template import PathTemplate

Handler = Callable[[Request, dict[str, str]], Awaitable[Response]]


@dataclass(frozen=True)
class HttpRoute:
    http_method: str
    template: PathTemplate
    handler: Handler
    # The transcoded Route, or None for the gateway's own routes.
    rpc: Any = None


class Router:
    def __init__(self, routes: Iterable[HttpRoute]) -> None:
        # Most specific first: a verb, then more literal segments.
        self._routes = sorted(
            routes, key=lambda r: (not r.template.verb, -r.template.literal_count)
        )
        seen: set[tuple[str, str]] = set()
        for route in self._routes:
            key = (route.http_method, route.template.pattern.pattern)
            if key in seen:
                raise ValueError(f"two routes for {route.http_method} {route.template.text}")
            seen.add(key)

    @property
    def routes(self) -> list[HttpRoute]:
        return list(self._routes)

    def match(self, method: str, raw_path: str) -> tuple[HttpRoute, dict[str, str]]:
        allowed: list[str] = []
        for route in self._routes:
            values = route.template.match(raw_path)
            if values is None:
                continue
            if route.http_method == method:
                return route, values
            allowed.append(route.http_method)
        if allowed:
            raise MethodNotAllowed(sorted(set(allowed)))
        raise HttpError(404, "NOT_FOUND", "no such route")


class MethodNotAllowed(HttpError):
    def __init__(self, allowed: list[str]) -> None:
        super().__init__(405, "METHOD_NOT_ALLOWED", f"allowed: {', '.join(allowed)}")
        self.allowed = allowed
