"""gRPC status to HTTP in one table, and the one error body {"error": {code, message, field}}."""

from __future__ import annotations

import json

import grpc
from starlette.responses import Response

from services.common.errors import FIELD_METADATA_KEY, BillingError
from services.gateway.errors import HttpError, TooManyRequests

HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}

# Codes whose message the services write for people; others get a fixed message.
_SAFE_MESSAGES = frozenset(
    code for code, status in HTTP_STATUS.items() if 400 <= status < 500 and status != 499
)
_FIXED_MESSAGES = {
    grpc.StatusCode.CANCELLED: "request cancelled",
    grpc.StatusCode.DEADLINE_EXCEEDED: "the service did not answer in time",
    grpc.StatusCode.UNIMPLEMENTED: "not implemented yet",
    grpc.StatusCode.UNAVAILABLE: "service unavailable, retry later",
}
# HTTP statuses the gateway itself may answer, for the OpenAPI document.
GATEWAY_STATUSES = {400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 501, 503, 504}
ERROR_CODES = sorted(
    {code.name for code in HTTP_STATUS if code is not grpc.StatusCode.OK}
    | {"METHOD_NOT_ALLOWED", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"}
)


def error_body(code: str, message: str, field: str = "") -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "field": field}}).encode()


def error_response(
    status: int, code: str, message: str, field: str = "", headers: dict[str, str] | None = None
) -> Response:
    return Response(
        error_body(code, message, field),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def from_billing_error(error: BillingError) -> Response:
    if isinstance(error, TooManyRequests):
        retry = {"Retry-After": str(error.retry_after_s)}
        return error_response(error.status, error.error_code, error.message, headers=retry)
    if isinstance(error, HttpError):
        return error_response(error.status, error.error_code, error.message)
    status = HTTP_STATUS.get(error.code, 500)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    message = error.message if status < 500 else _FIXED_MESSAGES.get(error.code, "internal error")
    return error_response(status, error.code.name, message, error.field, headers)


def from_rpc_error(error: grpc.aio.AioRpcError) -> Response:
    code = error.code()
    status = HTTP_STATUS.get(code, 500)
    if code in _SAFE_MESSAGES:
        message = error.details() or code.name.lower().replace("_", " ")
    else:
        message = _FIXED_MESSAGES.get(code, "internal error")
    return error_response(status, code.name, message, _field(error))


def _field(error: grpc.aio.AioRpcError) -> str:
    for key, value in error.trailing_metadata() or ():
        if key == FIELD_METADATA_KEY and isinstance(value, str):
            return value
    return ""
