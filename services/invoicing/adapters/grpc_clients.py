"""Metering and wallet reached over gRPC, every call with a deadline and trace context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

import grpc
from billing.common.v1 import money_pb2
from billing.metering.v1 import metering_service_pb2 as metering_pb
from billing.metering.v1 import metering_service_pb2_grpc as metering_grpc
from billing.wallet.v1 import wallet_service_pb2 as wallet_pb
from billing.wallet.v1 import wallet_service_pb2_grpc as wallet_grpc

from services.common.errors import BillingError, FailedPrecondition, NotFound, Unavailable
from services.invoicing.domain.lines import NotificationUsage

T = TypeVar("T")
DEFAULT_TIMEOUT_S = 5.0
# A cycle longer than this is asked for in pieces (metering bounds its date ranges).
MAX_RANGE_DAYS = 366


def _call(service: str, method: Callable[..., T], request: object, timeout_s: float) -> T:
    """One call; transport failures become Unavailable, refusals keep their meaning."""
    try:
        return method(request, timeout=timeout_s)
    except grpc.RpcError as error:
        code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
        detail = error.details() if hasattr(error, "details") else str(error)
        message = f"{service}: {code.name}: {detail}"
        if code == grpc.StatusCode.NOT_FOUND:
            raise NotFound(message) from None
        if code in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT):
            raise FailedPrecondition(message) from None
        raise Unavailable(message) from None


class MeteringUsage:
    """UsageSource over metering's CountActiveUsers and GetDailyUsage."""

    def __init__(self, channel: grpc.Channel, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._stub = metering_grpc.MeteringServiceStub(channel)
        self._timeout_s = timeout_s

    def count_active_users(
        self, account_id: str, channel_id: str, from_date: dt.date, to_date: dt.date
    ) -> int:
        request = metering_pb.CountActiveUsersRequest(
            account_id=account_id,
            channel_id=channel_id,
            from_date=from_date.isoformat(),
            to_date=to_date.isoformat(),
        )
        answer = _call("metering", self._stub.CountActiveUsers, request, self._timeout_s)
        return int(answer.active_users)

    def notification_usage(
        self, account_id: str, channel_id: str, from_date: dt.date, to_date: dt.date
    ) -> NotificationUsage:
        billable = 0
        charges = 0
        currency = ""
        start = from_date
        while start <= to_date:
            end = min(to_date, start + dt.timedelta(days=MAX_RANGE_DAYS - 1))
            request = metering_pb.GetDailyUsageRequest(
                account_id=account_id,
                channel_id=channel_id,
                from_date=start.isoformat(),
                to_date=end.isoformat(),
            )
            answer = _call("metering", self._stub.GetDailyUsage, request, self._timeout_s)
            for day in answer.days:
                billable += day.billable_messages
                if day.charges.amount_micros:
                    if currency and day.charges.currency_code != currency:
                        raise FailedPrecondition(
                            f"metering charges in {currency} and {day.charges.currency_code}"
                        )
                    currency = day.charges.currency_code
                    charges += day.charges.amount_micros
            start = end + dt.timedelta(days=1)
        return NotificationUsage(billable, charges, currency)


class WalletClient:
    """Wallet over RedeemCredits and AddDays (both idempotent by key)."""

    def __init__(self, channel: grpc.Channel, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._stub = wallet_grpc.WalletServiceStub(channel)
        self._timeout_s = timeout_s

    def redeem_credits(
        self,
        account_id: str,
        invoice_id: str,
        currency_code: str,
        max_amount_micros: int,
        idempotency_key: str,
    ) -> int:
        request = wallet_pb.RedeemCreditsRequest(
            account_id=account_id,
            invoice_id=invoice_id,
            applies_to="notifications_invoice",
            max_amount=money_pb2.Money(
                currency_code=currency_code, amount_micros=max_amount_micros
            ),
            idempotency_key=idempotency_key,
        )
        try:
            answer = _call("wallet", self._stub.RedeemCredits, request, self._timeout_s)
        except NotFound:
            return 0  # an account the wallet does not know has no credits
        redeemed = int(answer.redeemed.amount_micros)
        if not 0 <= redeemed <= max_amount_micros:
            raise BillingError(f"wallet redeemed {redeemed} micros of at most {max_amount_micros}")
        return redeemed

    def add_days(self, account_id: str, days: int, reference: str, idempotency_key: str) -> None:
        request = wallet_pb.AddDaysRequest(
            account_id=account_id, days=days, reference=reference, idempotency_key=idempotency_key
        )
        _call("wallet", self._stub.AddDays, request, self._timeout_s)
