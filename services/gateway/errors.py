"""The gateway's additions to the one exception tree (services.common.errors)."""

from __future__ import annotations

import math

from services.common.errors import BillingError, Unauthenticated

__all__ = ["HttpError", "TooManyRequests", "Unauthenticated"]


class HttpError(BillingError):
    """An HTTP-level refusal with no gRPC equivalent (405, 413, 415)."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class TooManyRequests(HttpError):
    """429 with Retry-After: a credential over its request rate, or sign-in throttled."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(429, "RESOURCE_EXHAUSTED", message)
        self.retry_after_s = max(1, math.ceil(retry_after_s))
