"""Auto-recharges the wallet asks for (billing.wallet.recharges, group "invoicing"): each
request is a funding of source "auto_recharge", keyed by the request's idempotency key, that
charges the account's default card amount + the fee the wallet quoted (in whole minor units,
never rounded) and credits the wallet by TopUp with the same key and the payment's
reference. The outcome goes back to the wallet on billing.invoicing.events (recharge_events).

A request asked again (the stream delivering it twice, the wallet asking once more) finds its
funding: nothing is charged twice, the funding moves on from where it stands and the answer
it has is published again. A request that could not be finished yet (the provider or the
wallet unreachable) fails, to be delivered again by the consumer's bounded retries; the
funding is kept either way, and the scheduler's pass finishes it too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from services.common import validation
from services.common.clock import Clock, moment
from services.common.errors import InvalidArgument, Unavailable
from services.invoicing.domain import funding_states as states
from services.invoicing.domain import money
from services.invoicing.service import ids, recharge_events
from services.invoicing.service.card_charges import CardCharges
from services.invoicing.service.commands.payments import RequestRecharge
from services.invoicing.service.fundings import Fundings
from services.invoicing.service.ports.payments import (
    NO_PROVIDER,
    AlreadyKept,
    PaymentWork,
    PaymentWorks,
)

log = logging.getLogger(__name__)
NO_CARD = "no default card on file"
# Moving on by itself: anything else is an answer given (or waiting for the customer).
UNFINISHED = (states.CHARGING, states.PAID)


class RechargeRequests:
    def __init__(
        self, work: PaymentWorks, cards: CardCharges, funding: Fundings, clock: Clock
    ) -> None:
        self._work = work
        self._cards = cards
        self._fundings = funding
        self._clock = clock

    def request(self, command: RequestRecharge) -> str:
        """Charge and credit one request (idempotent by its key); the funding's state."""
        account_id = command.account_id
        funding_id = ids.derived_id("fund", f"{account_id}/{command.idempotency_key}")
        found: Mapping[str, Any] | None
        try:
            with self._work() as work:
                found = work.fundings.get(account_id, funding_id)
                if found is None:
                    found = self._open(work, command, funding_id)
                else:
                    recharge_events.current(
                        work.recharge_answers, work.payments, found, self._clock.now_ms()
                    )
                work.commit()
        except AlreadyKept:  # opened concurrently by another consumer: take it from there
            with self._work() as work:
                found = work.fundings.get(account_id, funding_id)
            if found is None:
                raise
        if found["state"] in (*UNFINISHED, states.CREDITED):
            found, _ = self._fundings.advance(found)
        if found["state"] in UNFINISHED:
            raise Unavailable(f"auto-recharge {funding_id} is not finished yet; asked again later")
        return str(found["state"])

    def _open(self, work: PaymentWork, command: RequestRecharge, funding_id: str) -> dict[str, Any]:
        """The funding and its pending card payment; declined at once, with the reason, when
        no charge can be tried (the wallet then stops asking for this crossing)."""
        account_id = command.account_id
        currency = command.currency_code
        card = None
        reason = self._refusal(command)
        if not reason:
            card = work.cards.default(account_id)
            reason = "" if card is not None else NO_CARD
        now = moment(self._clock)
        values: dict[str, Any] = {
            "funding_id": funding_id,
            "account_id": account_id,
            "idempotency_key": command.idempotency_key,
            "source": states.AUTO_RECHARGE,
            "quote_id": None,
            "channel_id": command.channel_id,
            "currency_code": currency,
            "amount_micros": command.amount_micros,
            "fee_micros": command.fee_micros,
            "payment_id": ids.derived_id("pay", funding_id),
            "state": states.DECLINED if reason else states.CHARGING,
            "failure_reason": reason,
            "top_up_id": None,
            "receipt_invoice_id": None,
            "created_at": now,
            "updated_at": now,
        }
        work.fundings.add(values)
        if card is None:
            log.warning("auto-recharge refused", extra={"funding_id": funding_id, "reason": reason})
            recharge_events.current(
                work.recharge_answers, work.payments, values, self._clock.now_ms()
            )
            return values
        work.payments.add(
            self._cards.pending(
                payment_id=values["payment_id"],
                account_id=account_id,
                purpose=states.AUTO_RECHARGE,
                payment_method_id=card.payment_method_id,
                currency_code=currency,
                amount_micros=values["amount_micros"] + values["fee_micros"],
            )
        )
        return values

    def _refusal(self, command: RequestRecharge) -> str:
        """Why this request cannot be charged at all, or ""."""
        if self._cards.provider.name == "none":
            return NO_PROVIDER
        currency = command.currency_code
        try:
            if command.fee_currency_code not in ("", currency):
                raise InvalidArgument("fee.currency_code", f"must be {currency}")
            amount = validation.amount(command.amount_micros, "amount.amount_micros", positive=True)
            fee = validation.amount(command.fee_micros, "fee.amount_micros")
            money.to_minor_units(amount + fee, currency)
        except InvalidArgument as error:
            return error.message
        except money.InexactAmount as error:
            return str(error)
        return ""
