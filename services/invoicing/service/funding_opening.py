"""Confirming a quote opens a funding: the quote still valid, the card chosen (the one named,
or the default), the total chargeable exactly; the funding and its pending payment are
written together, before anything is charged."""

from __future__ import annotations

from typing import Any

from services.common.clock import Clock, moment
from services.common.errors import FailedPrecondition, NotFound
from services.invoicing.domain import funding_states as states
from services.invoicing.service import card_charges, ids
from services.invoicing.service.card_charges import CardCharges
from services.invoicing.service.commands.payments import AddFunds
from services.invoicing.service.ports.fundings import FundingWork
from services.invoicing.service.ports.payments import CardRecord


def open_funding(
    work: FundingWork, command: AddFunds, funding_id: str, cards: CardCharges, clock: Clock
) -> dict[str, Any]:
    """The funding written (AlreadyKept when one with its id or quote was written meanwhile)."""
    quote = work.quotes.find(command.account_id, command.quote_id)
    if quote is None:
        raise NotFound(f"quote {command.quote_id!r} not found", "quote_id")
    if quote.expire_at <= moment(clock):
        raise FailedPrecondition("the quote has expired; ask for a new one", "quote_id")
    card = _card(work, command.account_id, command.payment_method_id)
    total = quote.amount_micros + quote.fee_micros
    card_charges.minor_units(total, quote.currency_code, "quote_id")
    now = moment(clock)
    payment_id = ids.derived_id("pay", funding_id)
    funding: dict[str, Any] = {
        "funding_id": funding_id,
        "account_id": command.account_id,
        "idempotency_key": command.idempotency_key,
        "source": states.ADD_FUNDS,
        "quote_id": quote.quote_id,
        "channel_id": quote.channel_id,
        "currency_code": quote.currency_code,
        "amount_micros": quote.amount_micros,
        "fee_micros": quote.fee_micros,
        "payment_id": payment_id,
        "state": states.CHARGING,
        "failure_reason": "",
        "top_up_id": None,
        "receipt_invoice_id": None,
        "created_at": now,
        "updated_at": now,
    }
    work.fundings.add(funding)
    work.payments.add(
        cards.pending(
            payment_id=payment_id,
            account_id=command.account_id,
            purpose=states.ADD_FUNDS,
            payment_method_id=card.payment_method_id,
            currency_code=quote.currency_code,
            amount_micros=total,
        )
    )
    return funding


def _card(work: FundingWork, account_id: str, method_id: str) -> CardRecord:
    if method_id:
        card = work.cards.find(account_id, method_id)
        if card is None:
            raise NotFound(f"card {method_id!r} not found", "payment_method_id")
        return card
    card = work.cards.default(account_id)
    if card is None:
        raise FailedPrecondition("no default card on file", "payment_method_id")
    return card
