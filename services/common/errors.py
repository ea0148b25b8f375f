"""The exception tree every service raises; one interceptor maps it to gRPC codes."""

from __future__ import annotations

import grpc


class BillingError(Exception):
    """Base of every error a service reports to its caller."""

    code = grpc.StatusCode.INTERNAL

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidArgument(BillingError):
    """Bad input; `field` names the offending request field."""

    code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}", field)


class NotFound(BillingError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(BillingError):
    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(BillingError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class PermissionDenied(BillingError):
    code = grpc.StatusCode.PERMISSION_DENIED


class Unauthenticated(BillingError):
    """No credential, or one that is malformed, forged, expired or revoked."""

    code = grpc.StatusCode.UNAUTHENTICATED


class Conflict(BillingError):
    """The same idempotency key was used for a different request."""

    code = grpc.StatusCode.ABORTED


class Unavailable(BillingError):
    code = grpc.StatusCode.UNAVAILABLE


FIELD_METADATA_KEY = "billing-field"
