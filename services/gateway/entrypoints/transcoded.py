"""One transcoded call: authenticate, limit, authorise, build the request, check its fields and
reason, scope it, call as the gateway on the principal's behalf, render."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from google.protobuf.message import Message
from opentelemetry import trace
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from services.common.errors import InvalidArgument, NotFound, PermissionDenied
from services.common.idempotency import MAX_KEY_LENGTH
from services.gateway.domain import conventions, policy
from services.gateway.domain.access import Principal, allows
from services.gateway.entrypoints import http_errors, http_io
from services.gateway.errors import TooManyRequests
from services.gateway.service.auth import Authenticator
from services.gateway.service.ports.backends import Backends
from services.gateway.service.principals import MAX_REASON_LENGTH, PrincipalSigner
from services.gateway.service.rate_limit import RateLimiter
from services.gateway.transcoding import messages
from services.gateway.transcoding.messages import FieldError
from services.gateway.transcoding.routes import Route

log = logging.getLogger(__name__)

MUTATING = policy.MUTATING
ACCOUNT_FIELD = "account_id"
IDEMPOTENCY_FIELD = "idempotency_key"
REASON_FIELD = "reason"
NOT_FOUND = "not found"


class Transcoder:
    def __init__(
        self,
        backends: Backends,
        authenticator: Authenticator,
        max_body_bytes: int,
        rpc_timeout_s: float,
        stream_timeout_s: float,
        signer: PrincipalSigner,
        limiter: RateLimiter,
    ) -> None:
        self._backends = backends
        self._authenticator = authenticator
        self._signer = signer
        self._limiter = limiter
        self._max_body_bytes = max_body_bytes
        self._rpc_timeout_s = rpc_timeout_s
        self._stream_timeout_s = stream_timeout_s

    def handler(self, route: Route) -> Callable[[Request, dict[str, str]], Any]:
        async def handle(request: Request, path_values: dict[str, str]) -> Response:
            return await self.handle(route, request, path_values)

        return handle

    async def handle(self, route: Route, request: Request, path_values: dict[str, str]) -> Response:
        http_io.check_declared_length(request, self._max_body_bytes)
        # The request's server span (OpenTelemetry's ASGI middleware) is named by its route.
        span = trace.get_current_span()
        span.update_name(f"{route.http_method} {route.template.text}")
        span.set_attribute("http.route", route.template.text)
        span.set_attribute("rpc.method", route.rpc_name)
        principal = await authenticate(self._authenticator, request, self._limiter)
        rule = policy.rule_for(route.rpc_name, route.http_method)
        if not allows(principal, rule.access):
            raise PermissionDenied(f"this credential may not use {rule.access.value} routes")
        raw = await http_io.read_body(request, self._max_body_bytes)
        message, given, reason = self._build(route, request, raw, path_values, principal)
        policy.check(principal, rule, given)
        if policy.needs_reason(principal, route.http_method) and not reason.strip():
            raise InvalidArgument(REASON_FIELD, "operators give a reason for every change")
        metadata = self._metadata(request, principal, reason)
        if route.server_streaming:
            return await self._stream(route, message, metadata)
        return await self._unary(route, message, metadata, principal)

    def _build(
        self,
        route: Route,
        request: Request,
        raw: bytes,
        path_values: dict[str, str],
        principal: Principal,
    ) -> tuple[Message, set[str], str]:
        """The request message, the paths of the fields the caller set, and its reason."""
        message: Message = route.request_class()
        has_reason = REASON_FIELD in message.DESCRIPTOR.fields_by_name
        reason = ""
        data: dict[str, Any] = {}
        try:
            if route.body:
                data = http_io.decode_object(request, raw)
                if route.body == "*":
                    if not has_reason and REASON_FIELD in data:
                        reason = _reason(data.pop(REASON_FIELD))
                    messages.merge_json(message, data)
                else:
                    target = getattr(message, route.body)
                    target.SetInParent()
                    messages.merge_json(target, data, route.body)
                    data = {route.body: data}
            elif raw.strip():
                raise InvalidArgument("body", "this route takes no body")
            reason = self._merge_query(route, request, message, has_reason) or reason
            given = messages.given_paths(message, data)
            scope_request(message, principal)
            self._merge_path(route, message, path_values, principal)
        except FieldError as error:
            raise InvalidArgument(error.field, error.problem) from None
        self._idempotency_key(route, request, message)
        values = {f.name: v for f, v in message.ListFields()}
        for field, problem in conventions.problems(values):
            raise InvalidArgument(field, problem)
        if has_reason:
            reason = _reason(getattr(message, REASON_FIELD))
        return message, given, reason

    @staticmethod
    def _merge_query(route: Route, request: Request, message: Message, has_reason: bool) -> str:
        """Query parameters into the message; returns `reason` when the message has none."""
        grouped: dict[str, list[str]] = {}
        for name, value in request.query_params.multi_items():
            grouped.setdefault(name, []).append(value)
        reason = ""
        if not has_reason and REASON_FIELD in grouped:
            reason = _reason(grouped.pop(REASON_FIELD)[-1])
        for name, values in grouped.items():
            if route.body == "*":
                raise FieldError(name, "unknown query parameter: this route reads its body")
            field_path = messages.set_text_values(message, name, values)
            if field_path in route.path_fields or field_path.split(".")[0] == route.body:
                raise FieldError(field_path, "is set by the path or the body, not the query")
        return reason

    @staticmethod
    def _merge_path(
        route: Route, message: Message, path_values: dict[str, str], principal: Principal
    ) -> None:
        for field_path, value in path_values.items():
            mine = principal.operator or value == principal.account_id
            if field_path == ACCOUNT_FIELD and not mine:
                raise NotFound(NOT_FOUND)
            before = _text_at(message, field_path)
            if before and before != value:
                raise FieldError(field_path, "differs between the path and the body")
            messages.set_text_values(message, field_path, [value])

    @staticmethod
    def _idempotency_key(route: Route, request: Request, message: Message) -> None:
        key = request.headers.get("idempotency-key", "")
        if not key or route.http_method not in MUTATING:
            return
        if len(key) > MAX_KEY_LENGTH:
            raise InvalidArgument("Idempotency-Key", f"at most {MAX_KEY_LENGTH} characters")
        if not route.has_idempotency_key:
            return
        given = getattr(message, IDEMPOTENCY_FIELD)
        if given and given != key:
            raise InvalidArgument(IDEMPOTENCY_FIELD, "differs from the Idempotency-Key header")
        setattr(message, IDEMPOTENCY_FIELD, key)

    def _metadata(
        self, request: Request, principal: Principal, reason: str
    ) -> list[tuple[str, str]]:
        metadata = self._signer.metadata(principal, reason)
        key = request.headers.get("idempotency-key", "")
        if key and request.method in MUTATING:
            metadata.append(("idempotency-key", key))
        return metadata  # the trace context is added by the channel's OpenTelemetry interceptor

    async def _unary(
        self, route: Route, message: Message, metadata: list[tuple[str, str]], principal: Principal
    ) -> Response:
        call = self._backends.call(route)
        try:
            response = await call(message, timeout=self._rpc_timeout_s, metadata=metadata)
        except grpc.aio.AioRpcError as error:
            return http_errors.from_rpc_error(error)
        check_response_scope(route, response, principal)
        if route.http_body_response:
            body = getattr(response, route.response_body)
            return Response(body.data, media_type=body.content_type or "application/octet-stream")
        data: Any = messages.to_json(response)
        if route.response_body:
            data = data.get(route.response_body)
        return http_io.json_response(data)

    async def _stream(
        self, route: Route, message: Message, metadata: list[tuple[str, str]]
    ) -> Response:
        call = self._backends.call(route)(
            message, timeout=self._stream_timeout_s, metadata=metadata
        )
        items = call.__aiter__()
        try:
            first = await anext(items)
        except StopAsyncIteration:
            first = None
        except grpc.aio.AioRpcError as error:
            return http_errors.from_rpc_error(error)
        if route.http_body_response:
            return _download(route, first, items)
        return StreamingResponse(_json_array(route, first, items), media_type="application/json")


async def authenticate(
    authenticator: Authenticator, request: Request, limiter: RateLimiter | None = None
) -> Principal:
    """The caller, within its request-rate limit (429 with Retry-After beyond it)."""
    credential = http_io.credential(request)
    principal = authenticator.from_cache(credential)
    if principal is None:
        principal = await run_in_threadpool(authenticator.authenticate, credential)
    if limiter is not None:
        wait_s = limiter.take(principal.rate_key)
        if wait_s > 0:
            raise TooManyRequests("this credential's request rate is exceeded", wait_s)
    return principal


def scope_request(message: Message, principal: Principal) -> None:
    """An account's credential names only its account; an empty account_id becomes it."""
    if principal.operator:
        return
    for _, value in messages.string_fields(message, ACCOUNT_FIELD):
        if value and value != principal.account_id:
            raise NotFound(NOT_FOUND)
    has_field = ACCOUNT_FIELD in message.DESCRIPTOR.fields_by_name
    if has_field and not getattr(message, ACCOUNT_FIELD):
        setattr(message, ACCOUNT_FIELD, principal.account_id)


def check_response_scope(route: Route, response: Message, principal: Principal) -> None:
    """Defence in depth: never hand an account another account's record."""
    if principal.operator:
        return
    for path, value in messages.string_fields(response, ACCOUNT_FIELD):
        if value and value != principal.account_id:
            log.error("response names another account", extra={"rpc": route.rpc_name, "at": path})
            raise NotFound(NOT_FOUND)


def _reason(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidArgument(REASON_FIELD, "expected a string")
    if len(value) > MAX_REASON_LENGTH or not value.isprintable():
        raise InvalidArgument(REASON_FIELD, f"at most {MAX_REASON_LENGTH} printable characters")
    return value


def _text_at(message: Message, field_path: str) -> str:
    target: Any = message
    for part in field_path.split("."):
        target = getattr(target, part)
    return str(target) if target not in (0, False) else ""


def _download(route: Route, first: Message | None, rest: AsyncIterator[Message]) -> Response:
    field = route.response_body
    content_type = "application/octet-stream"
    if first is not None and getattr(first, field).content_type:
        content_type = getattr(first, field).content_type

    async def chunks() -> AsyncIterator[bytes]:
        if first is None:
            return
        yield getattr(first, field).data
        async for item in _guarded(route, rest):
            yield getattr(item, field).data

    return StreamingResponse(chunks(), media_type=content_type)


async def _json_array(
    route: Route, first: Message | None, rest: AsyncIterator[Message]
) -> AsyncIterator[bytes]:
    """A JSON array streamed item by item; a failure mid-stream cuts the connection."""
    if first is None:
        yield b"[]"
        return
    yield b"[" + _item(route, first)
    async for item in _guarded(route, rest):
        yield b"," + _item(route, item)
    yield b"]"


def _item(route: Route, item: Message) -> bytes:
    data: Any = messages.to_json(item)
    if route.response_body:
        data = data.get(route.response_body)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


async def _guarded(route: Route, items: AsyncIterator[Message]) -> AsyncIterator[Message]:
    try:
        async for item in items:
            yield item
    except grpc.aio.AioRpcError as error:
        log.warning(
            "stream failed after the answer started",
            extra={"rpc": route.rpc_name, "code": error.code().name},
        )
        raise StreamBroken(route.rpc_name) from None


class StreamBroken(Exception):
    """A server stream failed after its HTTP answer began; the connection is cut."""
