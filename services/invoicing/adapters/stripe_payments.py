"""The payment port on Stripe (the official `stripe` package): customers, SetupIntents that
save a card for later, off-session PaymentIntents, and signed webhook events.

A payment is created unconfirmed first, so that its id can be stored before any money moves;
confirming charges the card. Both calls carry an idempotency key. The SDK does not retry by
itself (max_network_retries 0): a request that timed out is settled by reading the
PaymentIntent by id, never by Stripe's 24-hour idempotency window or its Search API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import stripe

from services.common.config import ConfigError, Env
from services.common.errors import FailedPrecondition, Unavailable
from services.invoicing.service.ports import (
    CardDetails,
    CardSetup,
    InvalidEventSignature,
    PaymentState,
    PaymentStatus,
    ProviderEvent,
)

DEFAULT_TIMEOUT_S = 20.0
# Stripe's own names for a PaymentIntent's states, mapped to the port's.
INTENT_STATUS = {
    "requires_payment_method": PaymentStatus.DECLINED,
    "requires_confirmation": PaymentStatus.REQUIRES_CONFIRMATION,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "processing": PaymentStatus.PROCESSING,
    "requires_capture": PaymentStatus.PROCESSING,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.DECLINED,
}
EVENT_KINDS = {
    "payment_intent.succeeded": "payment_succeeded",
    "payment_intent.payment_failed": "payment_failed",
    "payment_intent.requires_action": "payment_requires_action",
    "payment_intent.canceled": "payment_failed",
    "charge.refunded": "refunded",
    "charge.dispute.created": "dispute_opened",
    "charge.dispute.closed": "dispute_closed",
}
# What Stripe answers a detach of a card that is gone already or was never on a customer.
DETACHED_ALREADY = frozenset({"resource_missing", "payment_method_unexpected_state"})
# Off-session payments that need the customer's authentication fail with this code; the
# customer can still complete them on-session with the intent's client secret.
AUTHENTICATION_REQUIRED = "authentication_required"


@dataclass(frozen=True)
class StripeSettings:
    secret_key: str
    webhook_secret: str
    # For Stripe.js in the browser (the console's card form): never a secret.
    publishable_key: str
    # Where the API answers: Stripe itself unless set (tests point it at a local server).
    api_base: str
    timeout_s: float

    @classmethod
    def from_env(cls, env: Env) -> StripeSettings:
        secret_key = env.text("STRIPE_SECRET_KEY", "")
        if not secret_key.startswith(("sk_", "rk_")):
            raise ConfigError("STRIPE_SECRET_KEY", "set a Stripe secret key (sk_... or rk_...)")
        webhook_secret = env.text("STRIPE_WEBHOOK_SECRET", "")
        if not webhook_secret.startswith("whsec_"):
            raise ConfigError("STRIPE_WEBHOOK_SECRET", "set the webhook signing secret (whsec_...)")
        publishable_key = env.text("STRIPE_PUBLISHABLE_KEY", "")
        if not publishable_key.startswith("pk_"):
            raise ConfigError("STRIPE_PUBLISHABLE_KEY", "set the publishable key (pk_...)")
        return cls(
            secret_key=secret_key,
            webhook_secret=webhook_secret,
            publishable_key=publishable_key,
            api_base=env.text("STRIPE_API_BASE", stripe.DEFAULT_API_BASE),
            timeout_s=env.seconds("STRIPE_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_S),
        )


class StripePayments:
    name = "stripe"

    def __init__(self, settings: StripeSettings) -> None:
        self._webhook_secret = settings.webhook_secret
        self.publishable_key = settings.publishable_key
        self._client = stripe.StripeClient(
            settings.secret_key,
            base_addresses={"api": settings.api_base},
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=settings.timeout_s),
        )

    def ensure_customer(self, account_id: str, idempotency_key: str) -> str:
        customer = _call(
            self._client.v1.customers.create,
            {"metadata": {"account_id": account_id}},
            {"idempotency_key": idempotency_key},
        )
        return str(customer.id)

    def start_card_setup(self, customer_ref: str, idempotency_key: str) -> CardSetup:
        setup = _call(
            self._client.v1.setup_intents.create,
            {"customer": customer_ref, "usage": "off_session", "payment_method_types": ["card"]},
            {"idempotency_key": idempotency_key},
        )
        return CardSetup(setup_ref=str(setup.id), client_secret=str(setup.client_secret or ""))

    def finish_card_setup(self, customer_ref: str, setup_ref: str) -> CardDetails:
        setup = _call(self._client.v1.setup_intents.retrieve, setup_ref)
        if _ref(setup.customer) != customer_ref:
            raise FailedPrecondition("the card setup belongs to another customer", "setup_id")
        if setup.status != "succeeded" or not setup.payment_method:
            raise FailedPrecondition(f"the card setup is not complete ({setup.status})", "setup_id")
        method = _call(self._client.v1.payment_methods.retrieve, _ref(setup.payment_method))
        card = method.card
        if card is None:
            raise FailedPrecondition("the saved payment method is not a card", "setup_id")
        return CardDetails(
            provider_token=str(method.id),
            brand=str(card.brand),
            last4=str(card.last4),
            exp_month=int(card.exp_month),
            exp_year=int(card.exp_year),
        )

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
        intent = _call(
            self._client.v1.payment_intents.create,
            {
                "amount": amount_minor,
                "currency": currency_code.lower(),
                "customer": customer_ref,
                "payment_method": provider_token,
                "payment_method_types": ["card"],
                "description": description[:1000],
                "metadata": metadata,
                "confirm": False,
            },
            {"idempotency_key": idempotency_key},
        )
        return str(intent.id)

    def confirm_payment(self, payment_ref: str, idempotency_key: str) -> PaymentState:
        try:
            intent = _call(
                self._client.v1.payment_intents.confirm,
                payment_ref,
                {"off_session": True},
                {"idempotency_key": idempotency_key},
            )
        except stripe.CardError as error:
            return _declined(payment_ref, error)
        return _state(intent)

    def payment_state(self, payment_ref: str) -> PaymentState:
        return _state(_call(self._client.v1.payment_intents.retrieve, payment_ref))

    def cancel_payment(self, payment_ref: str, idempotency_key: str) -> PaymentState:
        try:
            intent = _call(
                self._client.v1.payment_intents.cancel,
                payment_ref,
                {"cancellation_reason": "abandoned"},
                {"idempotency_key": idempotency_key},
            )
        except FailedPrecondition:
            # No longer cancellable: the customer completed it meanwhile, or it is processing.
            return self.payment_state(payment_ref)
        return _state(intent)

    def detach_card(self, provider_token: str, idempotency_key: str) -> None:
        def detach() -> Any:
            try:
                return self._client.v1.payment_methods.detach(
                    provider_token, {}, {"idempotency_key": idempotency_key}
                )
            except stripe.InvalidRequestError as error:
                if error.code in DETACHED_ALREADY:
                    return None
                raise

        _call(detach)

    def parse_event(self, payload: bytes, signature: str) -> ProviderEvent:
        try:
            event = self._client.construct_event(payload, signature, self._webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise InvalidEventSignature(str(error)) from None
        return _event(event.id, event.type, event.data.object)


def _call(method: Any, *args: Any) -> Any:
    """One SDK call; what leaves the outcome unknown becomes Unavailable (asked again later)."""
    try:
        return method(*args)
    except stripe.CardError:
        raise
    except (stripe.APIConnectionError, stripe.RateLimitError) as error:
        raise Unavailable(f"stripe: {error.user_message or type(error).__name__}") from None
    except (stripe.AuthenticationError, stripe.PermissionError) as error:
        raise Unavailable(f"stripe refused our credentials: {error.user_message}") from None
    except stripe.InvalidRequestError as error:
        raise FailedPrecondition(f"stripe: {error.user_message or error.code}") from None
    except stripe.StripeError as error:
        if error.http_status is None or error.http_status >= 500:
            raise Unavailable(f"stripe: {type(error).__name__}") from None
        raise FailedPrecondition(f"stripe: {error.user_message or error.code}") from None


def _ref(value: Any) -> str:
    """An expandable field: an id, or the object itself."""
    if value is None:
        return ""
    return str(value) if isinstance(value, str) else str(value.get("id", ""))


def _plain(thing: Any) -> dict[str, Any]:
    """A StripeObject as plain dicts and lists (it is not a dict itself)."""
    if isinstance(thing, dict):
        return thing
    return dict(thing.to_dict())


def _state(thing: Any) -> PaymentState:
    intent = _plain(thing)
    status = INTENT_STATUS.get(str(intent.get("status")), PaymentStatus.PROCESSING)
    reason = ""
    if status == PaymentStatus.DECLINED:
        reason = _reason(intent.get("last_payment_error")) or f"payment {intent.get('status')}"
    secret = ""
    if status == PaymentStatus.REQUIRES_ACTION:
        secret = str(intent.get("client_secret") or "")
    return PaymentState(status, str(intent.get("id")), reason, secret)


def _declined(payment_ref: str, error: stripe.CardError) -> PaymentState:
    json_body: Any = error.json_body or {}
    body: Mapping[str, Any] = json_body.get("error") or {}
    intent = body.get("payment_intent") or {}
    if body.get("code") == AUTHENTICATION_REQUIRED or body.get("decline_code") == (
        AUTHENTICATION_REQUIRED
    ):
        secret = str(intent.get("client_secret") or "")
        reason = "the card needs the customer's authentication (3-D Secure)"
        return PaymentState(PaymentStatus.REQUIRES_ACTION, payment_ref, reason, secret)
    return PaymentState(PaymentStatus.DECLINED, payment_ref, _reason(body) or "card_declined")


def _reason(error: Mapping[str, Any] | None) -> str:
    """'card_declined: insufficient_funds': the code and the issuer's decline code."""
    if not error:
        return ""
    code = str(error.get("code") or "declined")
    detail = error.get("decline_code") or ""
    return f"{code}: {detail}" if detail else code


def _event(event_id: str, event_type: str, stripe_object: Any) -> ProviderEvent:
    kind = EVENT_KINDS.get(event_type, "ignored")
    thing = _plain(stripe_object)
    if kind == "ignored":
        return ProviderEvent(event_id, kind)
    if kind.startswith("payment_"):
        state = _state(thing)
        return ProviderEvent(event_id, kind, payment_ref=state.payment_ref, reason=state.reason)
    currency = str(thing.get("currency") or "").upper()
    payment_ref = _ref(thing.get("payment_intent"))
    if kind == "refunded":
        return ProviderEvent(
            event_id,
            kind,
            payment_ref=payment_ref,
            amount_minor=int(thing.get("amount_refunded") or 0),
            currency_code=currency,
        )
    return ProviderEvent(
        event_id,
        kind,
        payment_ref=payment_ref,
        amount_minor=int(thing.get("amount") or 0),
        currency_code=currency,
        reason=str(thing.get("reason") or ""),
        dispute_ref=str(thing.get("id") or ""),
        won=thing.get("status") == "won",
    )
