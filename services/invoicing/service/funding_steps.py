"""The steps that take a funding forward, each guarded by the state it leaves: charge the card
(or read back where its payment stands), credit the wallet, issue the receipt."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.common.errors import NotFound
from services.invoicing.domain import funding_states as states
from services.invoicing.service import card_charges
from services.invoicing.service.card_charges import CardCharges
from services.invoicing.service.funding_moves import FundingMover
from services.invoicing.service.ports import PaymentState, PaymentStatus, Wallet
from services.invoicing.service.ports.fundings import FundingReceipts, FundingWorks

Row = Mapping[Any, Any]


class FundingSteps:
    def __init__(
        self,
        work: FundingWorks,
        cards: CardCharges,
        wallet: Wallet,
        receipts: FundingReceipts,
        mover: FundingMover,
    ) -> None:
        self._work = work
        self._cards = cards
        self._wallet = wallet
        self._receipts = receipts
        self._mover = mover

    def charge(self, funding: Row) -> PaymentState:
        """Charge the funding's card once; asked again, where its payment stands."""
        with self._work() as work:
            payment = work.payments.get(funding["payment_id"])
            if payment is None:
                raise NotFound("the funding's payment is gone", "funding_id")
            card = work.cards.find(funding["account_id"], payment["payment_method_id"])
        description = states.charge_description(funding)
        if payment["status"] == card_charges.PENDING and not payment["provider_payment_id"]:
            if card is None:  # removed before anything reached the provider: nothing to charge
                declined = PaymentState(PaymentStatus.DECLINED, "", states.CARD_REMOVED)
                self._cards.record(payment["payment_id"], declined)
                return declined
            return self._cards.run(payment, card.provider_token, description)
        if payment["status"] == card_charges.SUCCEEDED:
            return PaymentState(PaymentStatus.SUCCEEDED, payment["reference"])
        if payment["status"] == card_charges.FAILED:
            return PaymentState(
                PaymentStatus.DECLINED, payment["reference"], payment["failure_reason"]
            )
        # Created at the provider already: read back by its id (the card's token is not needed).
        token = card.provider_token if card is not None else ""
        return self._cards.refresh(payment, token, description)

    def credit(self, funding: Row) -> None:
        """Credit the wallet with the funding's amount (the fee as charged), once by key."""
        with self._work() as work:
            payment = work.payments.get(funding["payment_id"])
        top_up_id = self._wallet.top_up(
            funding["account_id"],
            funding["channel_id"],
            funding["currency_code"],
            funding["amount_micros"],
            funding["fee_micros"],
            payment["reference"] if payment is not None else "",
            states.top_up_key(funding),
            funding["source"],
        )
        self._mover.move(
            funding, (states.PAID,), states.CREDITED, top_up_id=top_up_id, failure_reason=""
        )

    def receipt(self, funding: Row) -> None:
        """Issue the receipt (the fee line with it), once per funding."""
        # The receipt is for the funding (its id is ours: base32, never mistaken for a card).
        invoice_id = self._receipts.issue(
            funding["account_id"],
            funding["funding_id"],
            funding["currency_code"],
            funding["amount_micros"],
            funding["fee_micros"],
        )
        with self._work() as work:
            work.payments.update(funding["payment_id"], {"invoice_id": invoice_id})
            work.commit()
        self._mover.move(
            funding, (states.CREDITED,), states.COMPLETED, receipt_invoice_id=invoice_id
        )
