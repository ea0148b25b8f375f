"""Cards on file: saved through the provider's card setup (or given as a provider token,
never a card number), listed, one of them the default."""

from __future__ import annotations

from services.common import replies, validation
from services.common.clock import Clock, moment
from services.common.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from services.invoicing.domain import cards
from services.invoicing.service import guards, ids
from services.invoicing.service.card_charges import CardCharges
from services.invoicing.service.commands.payments import (
    CARD,
    AddCard,
    CardFields,
    CardOnFile,
    CardSetupStarted,
    RemoveCard,
    SetDefaultCard,
    SetupPrint,
)
from services.invoicing.service.ports import Wallet
from services.invoicing.service.ports.payments import CardRecord, PaymentWorks

MAX_CARDS_PER_ACCOUNT = 20
ADD = "AddPaymentMethod"
REMOVE = "RemovePaymentMethod"
DEFAULT_FUNDS_AUTO_RECHARGE = (
    "is the default card and auto-recharge charges it: set another card as the default or "
    "turn auto-recharge off first"
)
PAYMENT_IN_PROGRESS = "has a payment in progress: remove it once the payment has finished"


class PaymentMethods:
    def __init__(
        self,
        work: PaymentWorks,
        clock: Clock,
        cards: CardCharges,
        wallet: Wallet,
        setup_print: SetupPrint,
    ) -> None:
        self._work = work
        self._clock = clock
        self._cards = cards
        self._wallet = wallet
        self._setup_print = setup_print

    def start_setup(self, account_id: str, key: str) -> CardSetupStarted:
        """A card setup at the provider for the account's customer (once per key)."""
        provider = self._cards.provider
        setup = provider.start_card_setup(self._cards.customer(account_id), f"setup:{key}")
        return CardSetupStarted(
            setup_id=setup.setup_ref,
            client_secret=setup.client_secret,
            provider=provider.name,
            publishable_key=provider.publishable_key,
        )

    def add(self, command: AddCard) -> CardOnFile:
        account_id = command.account_id
        if command.setup_id:
            command = self._from_setup(command)
        card = command.card
        self._check_card(card)
        if not card.payment_method_id and not command.idempotency_key:
            raise InvalidArgument(
                "idempotency_key", "is required when no payment_method_id is given"
            )
        key = command.idempotency_key or f"payment-method:{card.payment_method_id}"
        method_id = card.payment_method_id or _derived_id(account_id, key)

        def insert() -> CardOnFile:
            existing = work.cards.of_account(account_id)
            if any(row.payment_method_id == method_id for row in existing):
                raise AlreadyExists(
                    f"payment method {method_id!r} exists", "payment_method.payment_method_id"
                )
            if len(existing) >= MAX_CARDS_PER_ACCOUNT:
                raise InvalidArgument("payment_method", f"at most {MAX_CARDS_PER_ACCOUNT} cards")
            # The first card, or the first since the default one was removed, is the default.
            make_default = card.is_default or not any(row.is_default for row in existing)
            kept = CardRecord(
                account_id=account_id,
                payment_method_id=method_id,
                brand=card.brand.lower(),
                last4=card.last4,
                exp_month=card.exp_month,
                exp_year=card.exp_year,
                provider_token=card.provider_token,
                is_default=make_default,
            )
            work.cards.add(kept)
            return shown(kept)

        scoped = guards.account_key(account_id, key)
        with self._work() as work:
            answer = replies.once(work.cards_added, ADD, scoped, command.request_sha256, insert)
            work.commit()
        return answer

    def list(self, account_id: str) -> list[CardOnFile]:
        with self._work() as work:
            return [shown(card) for card in work.cards.of_account(account_id)]

    def get(self, account_id: str, method_id: str) -> CardOnFile:
        """One card of the account (what a removal is about to remove)."""
        with self._work() as work:
            found = work.cards.find(account_id, method_id)
        if found is None:
            raise NotFound(f"payment method {method_id!r} not found", "payment_method_id")
        return shown(found)

    def set_default(self, command: SetDefaultCard) -> CardOnFile:
        account_id, method_id = command.account_id, command.payment_method_id
        with self._work() as work:
            if not work.cards.exists(account_id, method_id):
                raise NotFound(f"payment method {method_id!r} not found", "payment_method_id")
            # Setting the same default twice changes nothing: idempotent by itself.
            work.cards.make_default(account_id, method_id)
            row = next(
                r for r in work.cards.of_account(account_id) if r.payment_method_id == method_id
            )
            work.commit()
        return shown(row)

    def remove(self, command: RemoveCard) -> CardOnFile:
        """Remove a card and detach it at the provider, once per key.

        Refused (FailedPrecondition) for the default card while auto-recharge is on, which
        would otherwise fail at the next crossing, and for a card a payment in progress was
        made with (its recovery charges that card). The provider forgets the card first: a
        crash after that leaves the row, and a retry detaches again harmlessly and removes it.
        """
        account_id, method_id = command.account_id, command.payment_method_id
        key, sha256 = command.key, command.request_sha256
        with self._work() as work:
            earlier = work.cards_removed.find(REMOVE, key, sha256)
            if earlier is not None:
                return earlier
            found = work.cards.find(account_id, method_id)
            if found is None:
                raise NotFound(f"payment method {method_id!r} not found", "payment_method_id")
            if work.payments.in_progress_with(account_id, method_id):
                raise FailedPrecondition(f"the card {PAYMENT_IN_PROGRESS}", "payment_method_id")
            shared = work.cards.token_elsewhere(found)
        if found.is_default and self._wallet.auto_recharge_on(account_id):
            raise FailedPrecondition(f"the card {DEFAULT_FUNDS_AUTO_RECHARGE}", "payment_method_id")
        if not shared:
            self._cards.provider.detach_card(found.provider_token, f"detach:{key}")

        def delete() -> CardOnFile:
            if not work.cards.remove(account_id, method_id):  # removed meanwhile, another key
                raise NotFound(f"payment method {method_id!r} not found", "payment_method_id")
            return shown(found)

        with self._work() as work:
            answer = replies.once(work.cards_removed, REMOVE, key, sha256, delete)
            work.commit()
        return answer

    def _from_setup(self, command: AddCard) -> AddCard:
        """The card a completed setup saved, as the provider describes it."""
        validation.text(command.setup_id, "setup_id", max_length=200)
        if command.card.provider_token:
            raise InvalidArgument("payment_method.provider_token", "must be empty with a setup_id")
        details = self._cards.provider.finish_card_setup(
            self._cards.customer(command.account_id), command.setup_id
        )
        chosen = command.card
        key = command.idempotency_key or f"setup:{command.setup_id}"
        card = CardFields(
            payment_method_id=chosen.payment_method_id,
            brand=details.brand,
            last4=details.last4,
            exp_month=details.exp_month,
            exp_year=details.exp_year,
            provider_token=details.provider_token,
            is_default=chosen.is_default,
        )
        return AddCard(
            account_id=command.account_id,
            card=card,
            idempotency_key=key,
            request_sha256=self._setup_print(command.account_id, key, card),
        )

    def _check_card(self, card: CardFields) -> None:
        prefix = "payment_method."
        validation.optional_id(card.payment_method_id, f"{prefix}payment_method_id")
        if card.kind != CARD:
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
        today = moment(self._clock)
        if cards.expired(card.exp_month, card.exp_year, today.year, today.month):
            raise InvalidArgument(f"{prefix}exp_year", "the card has expired")


def shown(card: CardRecord) -> CardOnFile:
    return CardOnFile(
        payment_method_id=card.payment_method_id,
        account_id=card.account_id,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        is_default=card.is_default,
    )


def _derived_id(account_id: str, key: str) -> str:
    return ids.derived_id("pm", f"{account_id}/{key}")
