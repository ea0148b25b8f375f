"""Metering and wallet reached over gRPC, every call with a deadline and trace context."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TypeVar

import grpc
from billing.common.v1 import money_pb2
from billing.metering.v1 import metering_service_pb2 as metering_pb
from billing.metering.v1 import metering_service_pb2_grpc as metering_grpc
from billing.wallet.v1 import account_pb2
from billing.wallet.v1 import wallet_service_pb2 as wallet_pb
from billing.wallet.v1 import wallet_service_pb2_grpc as wallet_grpc

from services.common.errors import (
    BillingError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Unavailable,
)
from services.invoicing.domain.lines import ChargeLine, NotificationUsage
from services.invoicing.service.ports import (
    AccountTerms,
    ChannelCount,
    FundingPeriod,
    TopUpQuote,
)

T = TypeVar("T")
FUNDING_MODES = {
    account_pb2.FUNDING_MODE_PREPAID: "prepaid",
    account_pb2.FUNDING_MODE_SOFT_LIMIT: "soft",
    account_pb2.FUNDING_MODE_POSTPAID: "postpaid",
}
log = logging.getLogger(__name__)
DEFAULT_TIMEOUT_S = 5.0
# A cycle longer than this is asked for in pieces (metering bounds its date ranges).
MAX_RANGE_DAYS = 366


def _call(service: str, method: Callable[..., T], request: object, timeout_s: float) -> T:
    """One call (the channel adds credentials and trace context); transport failures become
    Unavailable, refusals keep their meaning."""
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

    def charge_lines(
        self, account_id: str, channel_id: str, from_date: dt.date, to_date: dt.date
    ) -> list[ChargeLine]:
        request = metering_pb.SummariseChargesRequest(
            account_id=account_id,
            channel_id=channel_id,
            from_date=from_date.isoformat(),
            to_date=to_date.isoformat(),
        )
        answer = _call("metering", self._stub.SummariseCharges, request, self._timeout_s)
        return [
            ChargeLine(line.category, line.market, line.unit_price.amount_micros, line.quantity)
            for line in answer.lines
        ]


class WalletClient:
    """Wallet over QuoteTopUp, TopUp, ReverseTopUp, RedeemCredits and AddDays (the writes
    idempotent by key)."""

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

    def account_terms(self, account_id: str) -> AccountTerms:
        request = wallet_pb.GetAccountRequest(account_id=account_id)
        answer = _call("wallet", self._stub.GetAccount, request, self._timeout_s)
        return AccountTerms(
            answer.account.currency_code,
            answer.account.time_zone or "UTC",
            answer.account.balance_scope == account_pb2.BALANCE_SCOPE_CHANNEL,
        )

    def funding_periods(
        self, account_id: str, from_date: dt.date, to_date: dt.date
    ) -> list[FundingPeriod]:
        request = wallet_pb.GetFundingPeriodsRequest(
            account_id=account_id, from_date=from_date.isoformat(), to_date=to_date.isoformat()
        )
        answer = _call("wallet", self._stub.GetFundingPeriods, request, self._timeout_s)
        return [
            FundingPeriod(
                FUNDING_MODES.get(period.funding_mode, "prepaid"),
                dt.date.fromisoformat(period.from_date),
                dt.date.fromisoformat(period.to_date),
            )
            for period in answer.periods
        ]

    def count_channel_days(
        self, account_id: str, from_date: dt.date, to_date: dt.date
    ) -> ChannelCount:
        request = wallet_pb.CountChannelDaysRequest(
            account_id=account_id, from_date=from_date.isoformat(), to_date=to_date.isoformat()
        )
        answer = _call("wallet", self._stub.CountChannelDays, request, self._timeout_s)
        return ChannelCount(
            channel_days=int(answer.channel_days),
            live_channels=int(answer.live_channels),
            channels_used=int(answer.channels_used),
            days_account=answer.days_account,
        )

    def schedule_funding(
        self,
        account_id: str,
        funding_mode: int,
        credit_limit_micros: int,
        overdraft_limit_micros: int,
        effective: dt.date,
        idempotency_key: str,
    ) -> None:
        profile = account_pb2.AccountProfile(
            funding_mode=funding_mode,  # type: ignore[arg-type]
            credit_limit_micros=credit_limit_micros,
            overdraft_limit_micros=overdraft_limit_micros,
        )
        request = wallet_pb.UpdateAccountRequest(
            account_id=account_id,
            profile=profile,
            update_mask="funding_mode,credit_limit_micros,overdraft_limit_micros",
            funding_effective_date=effective.isoformat(),
            idempotency_key=idempotency_key,
        )
        try:
            _call("wallet", self._stub.UpdateAccount, request, self._timeout_s)
        except FailedPrecondition as refused:  # the wallet's INVALID_ARGUMENT: say which field
            raise InvalidArgument("funding_mode", refused.message) from None

    def auto_recharge_on(self, account_id: str) -> bool:
        request = wallet_pb.ListAutoRechargesRequest(account_id=account_id)
        answer = _call("wallet", self._stub.ListAutoRecharges, request, self._timeout_s)
        return any(rule.enabled for rule in answer.auto_recharges)

    def account_exists(self, account_id: str) -> bool:
        """Whether the wallet knows the account (AccountDirectory). A wallet that cannot answer
        is taken as "it may exist": an empty list is still the truth about invoices."""
        request = wallet_pb.GetAccountRequest(account_id=account_id)
        try:
            _call("wallet", self._stub.GetAccount, request, self._timeout_s)
        except NotFound:
            return False
        except Unavailable:
            log.warning("wallet unavailable: account not checked", extra={"account": account_id})
        return True

    def quote_top_up(
        self, account_id: str, channel_id: str, currency_code: str, amount_micros: int
    ) -> TopUpQuote:
        request = wallet_pb.QuoteTopUpRequest(
            account_id=account_id,
            channel_id=channel_id,
            amount=money_pb2.Money(currency_code=currency_code, amount_micros=amount_micros),
        )
        answer = _call("wallet", self._stub.QuoteTopUp, request, self._timeout_s)
        return TopUpQuote(
            currency_code=answer.fee.currency_code or currency_code,
            fee_micros=int(answer.fee.amount_micros),
            display_phone_number=answer.display_phone_number,
        )

    def top_up(
        self,
        account_id: str,
        channel_id: str,
        currency_code: str,
        amount_micros: int,
        fee_micros: int,
        payment_reference: str,
        idempotency_key: str,
        source: str,
    ) -> str:
        request = wallet_pb.TopUpRequest(
            account_id=account_id,
            channel_id=channel_id,
            amount=money_pb2.Money(currency_code=currency_code, amount_micros=amount_micros),
            fee=money_pb2.Money(currency_code=currency_code, amount_micros=fee_micros),
            payment_reference=payment_reference,
            idempotency_key=idempotency_key,
            source=source,
        )
        answer = _call("wallet", self._stub.TopUp, request, self._timeout_s)
        return str(answer.top_up.top_up_id)

    def reverse_top_up(
        self,
        account_id: str,
        top_up_idempotency_key: str,
        amount_micros: int,
        fee_micros: int,
        reason: str,
        idempotency_key: str,
    ) -> None:
        request = wallet_pb.ReverseTopUpRequest(
            account_id=account_id,
            top_up_idempotency_key=top_up_idempotency_key,
            amount=money_pb2.Money(amount_micros=amount_micros),
            fee=money_pb2.Money(amount_micros=fee_micros),
            reason=reason,
            idempotency_key=idempotency_key,
        )
        _call("wallet", self._stub.ReverseTopUp, request, self._timeout_s)

    def take_back_days(
        self, account_id: str, days: int, reference: str, idempotency_key: str
    ) -> None:
        request = wallet_pb.TakeBackDaysRequest(
            account_id=account_id, days=days, reference=reference, idempotency_key=idempotency_key
        )
        _call("wallet", self._stub.TakeBackDays, request, self._timeout_s)
