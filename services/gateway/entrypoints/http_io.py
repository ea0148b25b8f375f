"""Reading requests (bounded bodies, JSON objects, credentials) and writing JSON answers."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from services.common.errors import InvalidArgument
from services.gateway.errors import HttpError

JSON_TYPES = ("application/json", "application/merge-patch+json")


def json_response(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(body, status_code=status, media_type="application/json")


def check_declared_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes whatever Content-Length says."""
    check_declared_length(request, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def decode_object(request: Request, raw: bytes) -> dict[str, Any]:
    """A JSON object from the body; an empty body reads as {}."""
    if not raw.strip():
        return {}
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and media_type not in JSON_TYPES:
        raise HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise InvalidArgument("body", f"malformed JSON: {error}") from None
    if not isinstance(data, dict):
        raise InvalidArgument("body", "expected a JSON object")
    return data


def credential(request: Request) -> str:
    """The API key or token from `Authorization: Bearer ...` or `X-API-Key`."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key", "").strip()


def _too_large(limit: int) -> HttpError:
    return HttpError(413, "PAYLOAD_TOO_LARGE", f"the body exceeds {limit} bytes")


def client_address(request: Request, forwarded_hops: int) -> str:
    """The caller's address: the peer's, or with `forwarded_hops` trusted proxies in front, the
    address the outermost of them saw (X-Forwarded-For, counted from the right)."""
    peer = request.client.host if request.client else ""
    if forwarded_hops <= 0:
        return peer
    hops = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < forwarded_hops:
        return hops[0] if hops else peer
    return hops[-forwarded_hops][:64]
