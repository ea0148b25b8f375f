"""Credits as the messages the API answers with (and idempotent answers are kept as)."""

from __future__ import annotations

from billing.common.v1 import money_pb2
from billing.wallet.v1 import funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.wallet.service.commands.credits import Credit, CreditRecord, Redeemed, Redemption
from services.wallet.service.commands.money import Money


def _amount(currency: str, micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency, amount_micros=micros)


def credit_message(credit: Credit) -> funds_pb2.Credit:
    record = credit.record
    currency = record.currency_code
    message = funds_pb2.Credit(
        credit_id=record.credit_id,
        account_id=record.account_id,
        granted=_amount(currency, record.granted_micros),
        remaining=_amount(currency, credit.remaining_micros),
        priority=record.priority,
        applies_to=record.uses,
        reason=record.reason,
    )
    message.expire_time.FromMilliseconds(record.expire_ms)
    message.create_time.FromMilliseconds(record.created_ms)
    return message


def credit_of(message: funds_pb2.Credit) -> Credit:
    record = CreditRecord(
        credit_id=message.credit_id,
        account_id=message.account_id,
        currency_code=message.granted.currency_code,
        granted_micros=message.granted.amount_micros,
        expire_ms=message.expire_time.ToMilliseconds(),
        priority=message.priority,
        applies_to=",".join(message.applies_to),
        reason=message.reason,
        idempotency_key="",
        created_ms=message.create_time.ToMilliseconds(),
    )
    return Credit(record, message.remaining.amount_micros)


def redemption_message(redemption: Redemption) -> funds_pb2.CreditRedemption:
    item = funds_pb2.CreditRedemption(
        credit_id=redemption.credit_id,
        invoice_id=redemption.invoice_id,
        amount=_amount(redemption.currency_code, redemption.amount_micros),
    )
    item.create_time.FromMilliseconds(redemption.created_ms)
    return item


def granted_response(credit: Credit) -> pb.GrantCreditResponse:
    return pb.GrantCreditResponse(credit=credit_message(credit))


def granted_of(data: bytes) -> Credit:
    return credit_of(pb.GrantCreditResponse.FromString(data).credit)


def redeemed_response(redeemed: Redeemed) -> pb.RedeemCreditsResponse:
    return pb.RedeemCreditsResponse(
        redemptions=[redemption_message(item) for item in redeemed.redemptions],
        redeemed=_amount(redeemed.redeemed.currency_code, redeemed.redeemed.amount_micros),
    )


def redeemed_of(data: bytes) -> Redeemed:
    response = pb.RedeemCreditsResponse.FromString(data)
    return Redeemed(
        [
            Redemption(
                item.credit_id,
                item.invoice_id,
                item.amount.currency_code,
                item.amount.amount_micros,
                item.create_time.ToMilliseconds(),
            )
            for item in response.redemptions
        ],
        Money(response.redeemed.currency_code, response.redeemed.amount_micros),
    )
