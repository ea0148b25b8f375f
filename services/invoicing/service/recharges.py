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
from typing import Any

from billing.wallet.v1 import recharges_pb2 as wallet_pb
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from services.common import validation
from services.common.background import decoded_event
from services.common.clock import Clock
from services.common.errors import InvalidArgument, Unavailable
from services.common.streams import Entry
from services.invoicing.adapters import payment_rows, tables
from services.invoicing.adapters.payment_providers import NO_PROVIDER
from services.invoicing.domain import money
from services.invoicing.service import fundings, ids, recharge_events
from services.invoicing.service.card_charges import AUTO_RECHARGE, CardCharges
from services.invoicing.service.clock_time import utc_now
from services.invoicing.service.fundings import Fundings

log = logging.getLogger(__name__)
REQUESTED = wallet_pb.RechargeRequested.DESCRIPTOR.full_name.encode()
MAX_KEY_LENGTH = 200
NO_CARD = "no default card on file"
# Moving on by itself: anything else is an answer given (or waiting for the customer).
UNFINISHED = (fundings.CHARGING, fundings.PAID)


class RechargeRequests:
    def __init__(self, engine: Engine, cards: CardCharges, funding: Fundings, clock: Clock) -> None:
        self._engine = engine
        self._cards = cards
        self._fundings = funding
        self._clock = clock

    def handle(self, entries: list[Entry]) -> None:
        for _entry_id, fields in entries:
            if fields.get(b"type") == REQUESTED:
                self.request(decoded_event(fields, wallet_pb.RechargeRequested))

    def request(self, event: wallet_pb.RechargeRequested) -> str:
        """Charge and credit one request (idempotent by its key); the funding's state."""
        account_id = validation.require_id(event.account_id, "account_id")
        key = validation.text(
            event.idempotency_key, "idempotency_key", required=True, max_length=MAX_KEY_LENGTH
        )
        validation.optional_id(event.channel_id, "channel_id")
        validation.currency(event.amount.currency_code, "amount.currency_code")
        funding_id = ids.derived_id("fund", f"{account_id}/{key}")
        try:
            with self._engine.begin() as connection:
                found = fundings.funding_row(connection, account_id, funding_id)
                if found is None:
                    found = self._open(connection, event, funding_id)
                else:
                    recharge_events.current(connection, found)
        except IntegrityError:  # opened concurrently by another consumer: take it from there
            with self._engine.connect() as connection:
                found = fundings.funding_row(connection, account_id, funding_id)
            if found is None:
                raise
        if found["state"] in (*UNFINISHED, fundings.CREDITED):
            found, _ = self._fundings.advance(found)
        if found["state"] in UNFINISHED:
            raise Unavailable(f"auto-recharge {funding_id} is not finished yet; asked again later")
        return str(found["state"])

    def _open(
        self, connection: Connection, event: wallet_pb.RechargeRequested, funding_id: str
    ) -> dict[str, Any]:
        """The funding and its pending card payment; declined at once, with the reason, when
        no charge can be tried (the wallet then stops asking for this crossing)."""
        account_id = event.account_id
        currency = event.amount.currency_code
        card = None
        reason = self._refusal(event)
        if not reason:
            card = payment_rows.default_card(connection, account_id)
            reason = "" if card is not None else NO_CARD
        now = utc_now(self._clock)
        values: dict[str, Any] = {
            "funding_id": funding_id,
            "account_id": account_id,
            "idempotency_key": event.idempotency_key,
            "source": AUTO_RECHARGE,
            "quote_id": None,
            "channel_id": event.channel_id,
            "currency_code": currency,
            "amount_micros": event.amount.amount_micros,
            "fee_micros": event.fee.amount_micros,
            "payment_id": ids.derived_id("pay", funding_id),
            "state": fundings.DECLINED if reason else fundings.CHARGING,
            "failure_reason": reason,
            "top_up_id": None,
            "receipt_invoice_id": None,
            "created_at": now,
            "updated_at": now,
        }
        connection.execute(tables.fundings.insert().values(**values))
        if card is None:
            log.warning("auto-recharge refused", extra={"funding_id": funding_id, "reason": reason})
            recharge_events.current(connection, values)
            return values
        payment_rows.add_payment(
            connection,
            self._cards.pending(
                payment_id=values["payment_id"],
                account_id=account_id,
                purpose=AUTO_RECHARGE,
                card=card,
                currency_code=currency,
                amount_micros=values["amount_micros"] + values["fee_micros"],
            ),
        )
        return values

    def _refusal(self, event: wallet_pb.RechargeRequested) -> str:
        """Why this request cannot be charged at all, or ""."""
        if self._cards.provider.name == "none":
            return NO_PROVIDER
        currency = event.amount.currency_code
        try:
            if event.fee.currency_code not in ("", currency):
                raise InvalidArgument("fee.currency_code", f"must be {currency}")
            amount = validation.amount(
                event.amount.amount_micros, "amount.amount_micros", positive=True
            )
            fee = validation.amount(event.fee.amount_micros, "fee.amount_micros")
            money.to_minor_units(amount + fee, currency)
        except InvalidArgument as error:
            return error.message
        except money.InexactAmount as error:
            return str(error)
        return ""
