"""Cards on file: saved through the provider's card setup (or given as a provider token,
never a card number), listed, one of them the default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Connection, Engine

from services.common import idempotency, validation
from services.common.clock import Clock
from services.common.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from services.invoicing.adapters import tables
from services.invoicing.domain import cards
from services.invoicing.service import guards, ids
from services.invoicing.service.card_charges import PENDING, REQUIRES_ACTION, CardCharges
from services.invoicing.service.clock_time import utc_now
from services.invoicing.service.ports import Wallet

MAX_CARDS_PER_ACCOUNT = 20
CARD = "card"
REMOVE = "RemovePaymentMethod"
DEFAULT_FUNDS_AUTO_RECHARGE = (
    "is the default card and auto-recharge charges it: set another card as the default or "
    "turn auto-recharge off first"
)
PAYMENT_IN_PROGRESS = "has a payment in progress: remove it once the payment has finished"


class PaymentMethods:
    def __init__(self, engine: Engine, clock: Clock, cards: CardCharges, wallet: Wallet) -> None:
        self._engine = engine
        self._clock = clock
        self._cards = cards
        self._wallet = wallet

    def start_setup(self, request: pb.StartCardSetupRequest) -> pb.StartCardSetupResponse:
        """A card setup at the provider for the account's customer (once per key)."""
        account_id = validation.require_id(request.account_id, "account_id")
        key = guards.account_key(account_id, guards.required_key(request.idempotency_key))
        setup = self._cards.provider.start_card_setup(
            self._cards.customer(account_id), f"setup:{key}"
        )
        return pb.StartCardSetupResponse(
            setup_id=setup.setup_ref,
            client_secret=setup.client_secret,
            provider=self._cards.provider.name,
            publishable_key=self._cards.provider.publishable_key,
        )

    def add(self, request: pb.AddPaymentMethodRequest) -> pb.AddPaymentMethodResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        guards.no_card_numbers(request)
        if request.setup_id:
            request = self._from_setup(account_id, request)
        card = request.payment_method
        self._check_card(card)
        if not card.payment_method_id and not request.idempotency_key:
            raise InvalidArgument(
                "idempotency_key", "is required when no payment_method_id is given"
            )
        key = request.idempotency_key or f"payment-method:{card.payment_method_id}"
        method_id = card.payment_method_id or _derived_id(account_id, key)
        table = tables.payment_methods

        def insert() -> pb.AddPaymentMethodResponse:
            existing = _rows(connection, account_id)
            if any(row["payment_method_id"] == method_id for row in existing):
                raise AlreadyExists(
                    f"payment method {method_id!r} exists", "payment_method.payment_method_id"
                )
            if len(existing) >= MAX_CARDS_PER_ACCOUNT:
                raise InvalidArgument("payment_method", f"at most {MAX_CARDS_PER_ACCOUNT} cards")
            # The first card, or the first since the default one was removed, is the default.
            make_default = card.is_default or not any(row["is_default"] for row in existing)
            if make_default:
                connection.execute(
                    table.update().where(table.c.account_id == account_id).values(is_default=False)
                )
            values = {
                "account_id": account_id,
                "payment_method_id": method_id,
                "kind": CARD,
                "brand": card.brand.lower(),
                "last4": card.last4,
                "exp_month": card.exp_month,
                "exp_year": card.exp_year,
                "provider_token": card.provider_token,
                "is_default": make_default,
            }
            connection.execute(table.insert().values(**values))
            return pb.AddPaymentMethodResponse(payment_method=_message(values))

        with self._engine.begin() as connection:
            return idempotency.once(
                connection,
                tables.idempotency_keys,
                "AddPaymentMethod",
                guards.account_key(account_id, key),
                request,
                pb.AddPaymentMethodResponse,
                insert,
            )

    def list(self, request: pb.ListPaymentMethodsRequest) -> pb.ListPaymentMethodsResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        with self._engine.connect() as connection:
            rows = _rows(connection, account_id)
        return pb.ListPaymentMethodsResponse(payment_methods=[_message(row) for row in rows])

    def get(self, request: pb.RemovePaymentMethodRequest) -> invoice_pb2.PaymentMethod:
        """One card of the account (what a removal is about to remove)."""
        account_id = validation.require_id(request.account_id, "account_id")
        method_id = validation.require_id(request.payment_method_id, "payment_method_id")
        with self._engine.connect() as connection:
            found = card(connection, account_id, method_id)
        if found is None:
            raise NotFound(f"payment method {method_id!r} not found", "payment_method_id")
        return _message(found)

    def set_default(
        self, request: pb.SetDefaultPaymentMethodRequest
    ) -> pb.SetDefaultPaymentMethodResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        method_id = validation.require_id(request.payment_method_id, "payment_method_id")
        idempotency.check_key(request.idempotency_key)
        table = tables.payment_methods
        with self._engine.begin() as connection:
            mine = table.c.account_id == account_id
            found = connection.execute(
                sa.select(table.c.payment_method_id).where(
                    mine, table.c.payment_method_id == method_id
                )
            ).first()
            if found is None:
                raise NotFound(f"payment method {method_id!r} not found", "payment_method_id")
            # Setting the same default twice changes nothing: idempotent by itself.
            connection.execute(
                table.update().where(mine).values(is_default=table.c.payment_method_id == method_id)
            )
            row = next(
                r for r in _rows(connection, account_id) if r["payment_method_id"] == method_id
            )
        return pb.SetDefaultPaymentMethodResponse(payment_method=_message(row))

    def remove(self, request: pb.RemovePaymentMethodRequest) -> pb.RemovePaymentMethodResponse:
        """Remove a card and detach it at the provider, once per key.

        Refused (FailedPrecondition) for the default card while auto-recharge is on, which
        would otherwise fail at the next crossing, and for a card a payment in progress was
        made with (its recovery charges that card). The provider forgets the card first: a
        crash after that leaves the row, and a retry detaches again harmlessly and removes it.
        """
        account_id = validation.require_id(request.account_id, "account_id")
        method_id = validation.require_id(request.payment_method_id, "payment_method_id")
        key = guards.account_key(account_id, guards.required_key(request.idempotency_key))
        answer = pb.RemovePaymentMethodResponse
        with self._engine.connect() as connection:
            earlier = guards.stored_response(connection, REMOVE, key, request, answer)
            if earlier is not None:
                return earlier
            found = card(connection, account_id, method_id)
            if found is None:
                raise NotFound(f"payment method {method_id!r} not found", "payment_method_id")
            if _payment_in_progress(connection, account_id, method_id):
                raise FailedPrecondition(f"the card {PAYMENT_IN_PROGRESS}", "payment_method_id")
            shared = _token_elsewhere(connection, found)
        if found["is_default"] and self._wallet.auto_recharge_on(account_id):
            raise FailedPrecondition(f"the card {DEFAULT_FUNDS_AUTO_RECHARGE}", "payment_method_id")
        if not shared:
            self._cards.provider.detach_card(found["provider_token"], f"detach:{key}")
        table = tables.payment_methods

        def delete() -> pb.RemovePaymentMethodResponse:
            gone = connection.execute(
                table.delete().where(
                    table.c.account_id == account_id, table.c.payment_method_id == method_id
                )
            )
            if gone.rowcount != 1:  # removed meanwhile under another key
                raise NotFound(f"payment method {method_id!r} not found", "payment_method_id")
            return answer(payment_method=_message(found))

        with self._engine.begin() as connection:
            return idempotency.once(
                connection, tables.idempotency_keys, REMOVE, key, request, answer, delete
            )

    def _from_setup(
        self, account_id: str, request: pb.AddPaymentMethodRequest
    ) -> pb.AddPaymentMethodRequest:
        """The card a completed setup saved, as the provider describes it."""
        validation.text(request.setup_id, "setup_id", max_length=200)
        if request.HasField("payment_method") and request.payment_method.provider_token:
            raise InvalidArgument("payment_method.provider_token", "must be empty with a setup_id")
        details = self._cards.provider.finish_card_setup(
            self._cards.customer(account_id), request.setup_id
        )
        chosen = request.payment_method
        return pb.AddPaymentMethodRequest(
            account_id=account_id,
            idempotency_key=request.idempotency_key or f"setup:{request.setup_id}",
            payment_method=invoice_pb2.PaymentMethod(
                payment_method_id=chosen.payment_method_id,
                brand=details.brand,
                last4=details.last4,
                exp_month=details.exp_month,
                exp_year=details.exp_year,
                provider_token=details.provider_token,
                is_default=chosen.is_default,
            ),
        )

    def _check_card(self, card: invoice_pb2.PaymentMethod) -> None:
        prefix = "payment_method."
        validation.optional_id(card.payment_method_id, f"{prefix}payment_method_id")
        if card.kind not in (
            invoice_pb2.PAYMENT_METHOD_KIND_UNSPECIFIED,
            invoice_pb2.PAYMENT_METHOD_KIND_CARD,
        ):
            raise InvalidArgument(f"{prefix}kind", "only cards can be kept on file")
        validation.text(
            card.provider_token, f"{prefix}provider_token", required=True, max_length=200
        )
        if card.brand.lower() not in cards.BRANDS:
            raise InvalidArgument(
                f"{prefix}brand", f"must be one of {', '.join(sorted(cards.BRANDS))}"
            )
        if not cards.LAST4_PATTERN.match(card.last4):
            raise InvalidArgument(f"{prefix}last4", "must be exactly 4 digits")
        if not 1 <= card.exp_month <= 12:
            raise InvalidArgument(f"{prefix}exp_month", "must be 1 to 12")
        if not cards.MIN_EXP_YEAR <= card.exp_year <= cards.MAX_EXP_YEAR:
            raise InvalidArgument(f"{prefix}exp_year", "must be a four-digit year")
        today = utc_now(self._clock)
        if cards.expired(card.exp_month, card.exp_year, today.year, today.month):
            raise InvalidArgument(f"{prefix}exp_year", "the card has expired")


def _payment_in_progress(connection: Connection, account_id: str, method_id: str) -> bool:
    table = tables.payments
    query = sa.select(table.c.payment_id).where(
        table.c.account_id == account_id,
        table.c.payment_method_id == method_id,
        table.c.status.in_((PENDING, REQUIRES_ACTION)),
    )
    return connection.execute(query.limit(1)).first() is not None


def _token_elsewhere(connection: Connection, row: Mapping[Any, Any]) -> bool:
    """Whether another card row keeps the same provider token (then it stays attached)."""
    table = tables.payment_methods
    query = sa.select(table.c.payment_method_id).where(
        table.c.provider_token == row["provider_token"],
        sa.not_(
            sa.and_(
                table.c.account_id == row["account_id"],
                table.c.payment_method_id == row["payment_method_id"],
            )
        ),
    )
    return connection.execute(query.limit(1)).first() is not None


def _derived_id(account_id: str, key: str) -> str:
    return ids.derived_id("pm", f"{account_id}/{key}")


def _rows(connection: Connection, account_id: str) -> list[Mapping[Any, Any]]:
    table = tables.payment_methods
    query = (
        sa.select(table)
        .where(table.c.account_id == account_id)
        .order_by(table.c.created_at, table.c.payment_method_id)
    )
    return [row._mapping for row in connection.execute(query).all()]


def default_card(connection: Connection, account_id: str) -> Mapping[Any, Any] | None:
    return next((row for row in _rows(connection, account_id) if row["is_default"]), None)


def card(connection: Connection, account_id: str, method_id: str) -> Mapping[Any, Any] | None:
    return next(
        (row for row in _rows(connection, account_id) if row["payment_method_id"] == method_id),
        None,
    )


def _message(row: Mapping[Any, Any]) -> invoice_pb2.PaymentMethod:
    return invoice_pb2.PaymentMethod(
        payment_method_id=row["payment_method_id"],
        account_id=row["account_id"],
        kind=invoice_pb2.PAYMENT_METHOD_KIND_CARD,
        brand=row["brand"],
        last4=row["last4"],
        exp_month=row["exp_month"],
        exp_year=row["exp_year"],
        is_default=row["is_default"],
    )
