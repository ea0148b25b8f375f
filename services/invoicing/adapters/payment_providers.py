"""The payment port's other adapters: none (every charge refused, with the reason) and a
deterministic in-memory fake for local runs and tests (an explicit choice, never a default).
Stripe is in stripe_payments.py; PAYMENTS_PROVIDER picks one."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading

from services.common.errors import FailedPrecondition, Unavailable
from services.invoicing.domain import money
from services.invoicing.service.ports import (
    CardDetails,
    CardSetup,
    InvalidEventSignature,
    PaymentState,
    PaymentStatus,
    ProviderEvent,
)
from services.invoicing.service.ports.payments import NO_PROVIDER

DECLINE_MARKER = "decline"
AUTHENTICATE_MARKER = "authenticate"
FAKE_EVENT_KEY = b"fake-provider-events"


class NoPaymentProvider:
    """PAYMENTS_PROVIDER=none: every card operation is refused with a clear reason."""

    name = "none"
    publishable_key = ""

    def _refuse(self) -> FailedPrecondition:
        return FailedPrecondition(NO_PROVIDER, "payment_method_id")

    def ensure_customer(self, account_id: str, idempotency_key: str) -> str:
        raise self._refuse()

    def start_card_setup(self, customer_ref: str, idempotency_key: str) -> CardSetup:
        raise self._refuse()

    def finish_card_setup(self, customer_ref: str, setup_ref: str) -> CardDetails:
        raise self._refuse()

    def create_payment(
        self,
        customer_ref: str,
        provider_token: str,
        currency_code: str,
        amount_minor: int,
        idempotency_key: str,
        description: str,
        metadata: dict[str, str],
    ) -> str:
        raise self._refuse()

    def confirm_payment(self, payment_ref: str, idempotency_key: str) -> PaymentState:
        raise self._refuse()

    def payment_state(self, payment_ref: str) -> PaymentState:
        raise self._refuse()

    def cancel_payment(self, payment_ref: str, idempotency_key: str) -> PaymentState:
        raise self._refuse()

    def detach_card(self, provider_token: str, idempotency_key: str) -> None:
        """No provider holds cards for this deployment: removing one is local only."""

    def parse_event(self, payload: bytes, signature: str) -> ProviderEvent:
        raise InvalidEventSignature("no payment provider is configured")


class FakePaymentProvider:
    """Deterministic, in memory: approves every token except those containing 'decline'
    ('tok_decline_insufficient_funds' is declined with 'card_declined: insufficient_funds')
    or 'authenticate' (the customer must authenticate). A repeated key answers the first
    result without charging twice; `charges` records each charge as (token, currency, micros).
    """

    name = "fake"
    # No script in the browser: the console's own test-card form stands in for Stripe.js.
    publishable_key = ""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._payments: dict[str, dict[str, object]] = {}
        self._created: dict[str, str] = {}
        self.charges: list[tuple[str, str, int]] = []
        # Tokens of cards removed; charging one is declined as Stripe would.
        self.detached: set[str] = set()
        # Set to answer every call with Unavailable (the provider cannot be reached).
        self.unreachable = False

    def ensure_customer(self, account_id: str, idempotency_key: str) -> str:
        self._reach()
        return "cus_" + _digest(account_id)

    def start_card_setup(self, customer_ref: str, idempotency_key: str) -> CardSetup:
        self._reach()
        setup = "seti_" + _digest(idempotency_key)
        return CardSetup(setup, f"{setup}_secret")

    def finish_card_setup(self, customer_ref: str, setup_ref: str) -> CardDetails:
        self._reach()
        return CardDetails("pm_" + _digest(setup_ref), "visa", "4242", 12, 2099)

    def create_payment(
        self,
        customer_ref: str,
        provider_token: str,
        currency_code: str,
        amount_minor: int,
        idempotency_key: str,
        description: str,
        metadata: dict[str, str],
    ) -> str:
        with self._lock:
            self._reach()
            if idempotency_key in self._created:
                return self._created[idempotency_key]
            ref = "pi_" + _digest(idempotency_key)
            self._created[idempotency_key] = ref
            self._payments[ref] = {
                "token": provider_token,
                "currency": currency_code,
                "amount_minor": amount_minor,
                "state": PaymentState(PaymentStatus.REQUIRES_CONFIRMATION, ref),
            }
            return ref

    def confirm_payment(self, payment_ref: str, idempotency_key: str) -> PaymentState:
        with self._lock:
            self._reach()
            payment = self._payments[payment_ref]
            state = payment["state"]
            if not isinstance(state, PaymentState):
                raise TypeError("fake payment without a state")
            if state.status != PaymentStatus.REQUIRES_CONFIRMATION:
                return state
            token = str(payment["token"])
            if token in self.detached:
                state = PaymentState(
                    PaymentStatus.DECLINED, payment_ref, "payment_method_unexpected_state"
                )
            elif DECLINE_MARKER in token:
                detail = token.split(DECLINE_MARKER, 1)[1].strip("_") or "generic"
                state = PaymentState(
                    PaymentStatus.DECLINED, payment_ref, f"card_declined: {detail}"
                )
            elif AUTHENTICATE_MARKER in token:
                reason = "the card needs the customer's authentication (3-D Secure)"
                state = PaymentState(
                    PaymentStatus.REQUIRES_ACTION, payment_ref, reason, f"{payment_ref}_secret"
                )
            else:
                state = PaymentState(PaymentStatus.SUCCEEDED, payment_ref)
                currency = str(payment["currency"])
                micros = money.from_minor_units(int(str(payment["amount_minor"])), currency)
                self.charges.append((token, currency, micros))
            payment["state"] = state
            return state

    def payment_state(self, payment_ref: str) -> PaymentState:
        with self._lock:
            self._reach()
            state = self._payments[payment_ref]["state"]
            if not isinstance(state, PaymentState):
                raise TypeError("fake payment without a state")
            return state

    def cancel_payment(self, payment_ref: str, idempotency_key: str) -> PaymentState:
        with self._lock:
            self._reach()
            payment = self._payments[payment_ref]
            state = payment["state"]
            if not isinstance(state, PaymentState):
                raise TypeError("fake payment without a state")
            if state.status in PaymentStatus.FINAL:
                return state
            state = PaymentState(PaymentStatus.DECLINED, payment_ref, "payment canceled")
            payment["state"] = state
            return state

    def detach_card(self, provider_token: str, idempotency_key: str) -> None:
        with self._lock:
            self._reach()
            self.detached.add(provider_token)

    def authenticate(self, payment_ref: str) -> PaymentState:
        """The customer completes 3-D Secure (what their browser does): the card is charged."""
        with self._lock:
            payment = self._payments[payment_ref]
            state = PaymentState(PaymentStatus.SUCCEEDED, payment_ref)
            payment["state"] = state
            currency = str(payment["currency"])
            micros = money.from_minor_units(int(str(payment["amount_minor"])), currency)
            self.charges.append((str(payment["token"]), currency, micros))
            return state

    def parse_event(self, payload: bytes, signature: str) -> ProviderEvent:
        expected = hmac.new(FAKE_EVENT_KEY, payload, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise InvalidEventSignature("the event's signature does not verify")
        values = json.loads(payload)
        return ProviderEvent(**values)

    def _reach(self) -> None:
        if self.unreachable:
            raise Unavailable("payment provider: connection timed out")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]
