"""Top-ups, reversals, quotes, balances and listings: requests into plain commands, plain
results into responses."""

from __future__ import annotations

from billing.common.v1 import money_pb2
from billing.wallet.v1 import funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.wallet.service.commands.money import (
    APPLIED,
    MONEY,
    RECORDED,
    Holding,
    LedgerEntry,
    Listed,
    ListPage,
    Money,
    QuoteTopUp,
    ReversalRecord,
    ReverseTopUp,
    TopUp,
    TopUpQuote,
    TopUpRecord,
)

STATES = {RECORDED: funds_pb2.TOP_UP_STATE_RECORDED, APPLIED: funds_pb2.TOP_UP_STATE_APPLIED}


def money(given: money_pb2.Money) -> Money:
    return Money(given.currency_code, given.amount_micros)


def money_message(currency: str, micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency, amount_micros=micros)


def top_up(request: pb.TopUpRequest, source: str) -> TopUp:
    """`source` unless the request names one (invoicing does)."""
    return TopUp(
        account_id=request.account_id,
        channel_id=request.channel_id,
        amount=money(request.amount),
        idempotency_key=request.idempotency_key,
        source=request.source or source,
        payment_reference=request.payment_reference,
        transfer_reference=request.transfer_reference,
        fee=money(request.fee) if request.HasField("fee") else None,
    )


def quote(request: pb.QuoteTopUpRequest) -> QuoteTopUp:
    return QuoteTopUp(request.account_id, request.channel_id, money(request.amount))


def quote_response(answer: TopUpQuote) -> pb.QuoteTopUpResponse:
    return pb.QuoteTopUpResponse(
        amount=money_message(answer.amount.currency_code, answer.amount.amount_micros),
        fee=money_message(answer.fee.currency_code, answer.fee.amount_micros),
        display_phone_number=answer.display_phone_number,
    )


def reverse(request: pb.ReverseTopUpRequest) -> ReverseTopUp:
    return ReverseTopUp(
        account_id=request.account_id,
        top_up_idempotency_key=request.top_up_idempotency_key,
        idempotency_key=request.idempotency_key,
        reason=request.reason,
        amount=money(request.amount),
        fee=money(request.fee),
    )


def page(
    request: pb.ListTopUpsRequest | pb.ListLedgerEntriesRequest,
) -> ListPage:
    return ListPage(request.account_id, request.page_size, request.page_token, request.newest_first)


def top_up_message(record: TopUpRecord) -> funds_pb2.TopUp:
    currency = record.currency_code
    message = funds_pb2.TopUp(
        top_up_id=record.top_up_id,
        account_id=record.account_id,
        channel_id=record.channel_id,
        amount=money_message(currency, record.amount_micros),
        fee=money_message(currency, record.fee_micros),
        state=STATES[record.state],
        source=record.source,
        idempotency_key=record.idempotency_key,
        payment_reference=record.payment_reference,
    )
    message.create_time.FromMilliseconds(record.created_ms)
    return message


def reversal_message(record: ReversalRecord) -> funds_pb2.TopUpReversal:
    currency = record.currency_code
    message = funds_pb2.TopUpReversal(
        reversal_id=record.reversal_id,
        account_id=record.account_id,
        channel_id=record.channel_id,
        top_up_id=record.top_up_id,
        amount=money_message(currency, record.amount_micros),
        fee=money_message(currency, record.fee_micros),
        reason=record.reason,
    )
    message.create_time.FromMilliseconds(record.created_ms)
    return message


def balance_response(holdings: list[Holding]) -> pb.GetBalanceResponse:
    response = pb.GetBalanceResponse()
    for held in holdings:
        if held.kind == MONEY:
            response.balances.add(
                kind=funds_pb2.ASSET_KIND_MONEY,
                currency_code=held.currency_code,
                channel_id=held.channel_id,
                available_micros=held.available_micros,
                reserved_micros=held.reserved_micros,
                debt_micros=held.debt_micros,
            )
        else:
            response.balances.add(
                kind=funds_pb2.ASSET_KIND_CREDIT,
                currency_code=held.currency_code,
                available_micros=held.available_micros,
                reserved_micros=held.reserved_micros,
            )
    return response


def top_ups_response(listed: Listed[TopUpRecord]) -> pb.ListTopUpsResponse:
    return pb.ListTopUpsResponse(
        top_ups=[top_up_message(record) for record in listed.items],
        next_page_token=listed.next_page_token,
    )


def entries_response(listed: Listed[LedgerEntry]) -> pb.ListLedgerEntriesResponse:
    response = pb.ListLedgerEntriesResponse(next_page_token=listed.next_page_token)
    for row in listed.items:
        entry = response.entries.add(
            entry_id=row.entry_id,
            transaction_id=row.transaction_id,
            account_id=row.account_id,
            ledger_account=row.ledger_account,
            debit_micros=row.debit_micros,
            credit_micros=row.credit_micros,
            currency_code=row.currency_code,
            kind=row.kind,
            reference=row.reference,
        )
        entry.create_time.FromMilliseconds(row.created_ms)
    return response
