"""The gateway's additions to the one exception tree (services.common.errors)."""

from __future__ import annotations

import grpc

from services.common.errors import BillingError


class Unauthenticated(BillingError):
    code = grpc.StatusCode.UNAUTHENTICATED


class HttpError(BillingError):
    """An HTTP-level refusal with no gRPC equivalent (405, 413, 415)."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
