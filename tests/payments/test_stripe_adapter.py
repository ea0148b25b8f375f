"""The Stripe adapter, unchanged, against the local server that speaks Stripe's API: saving a
card, success, decline, 3-D Secure, a timeout after the charge went through, webhooks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.common.config import ConfigError, Env
from services.common.errors import FailedPrecondition, Unavailable
from services.invoicing.adapters.stripe_payments import StripePayments, StripeSettings
from services.invoicing.service.ports import InvalidEventSignature, PaymentStatus
from tests.harness.stripe_server import StripeServer


@pytest.fixture(scope="module")
def stripe_server() -> Iterator[StripeServer]:
    server = StripeServer().start()
    yield server
    server.stop()


@pytest.fixture
def stripe(stripe_server: StripeServer) -> StripePayments:
    return StripePayments(StripeSettings.from_env(Env(stripe_server.env())))


def pay(stripe: StripePayments, token: str, key: str, amount_minor: int = 1_250) -> str:
    customer = stripe.ensure_customer("acme", "customer:acme")
    return stripe.create_payment(
        customer, token, "USD", amount_minor, f"{key}:create", "Balance top-up", {"k": key}
    )


def test_a_card_is_saved_through_a_setup_for_its_customer(
    stripe: StripePayments, stripe_server: StripeServer
) -> None:
    customer = stripe.ensure_customer("acme", "customer:acme")
    assert stripe.ensure_customer("acme", "customer:acme") == customer
    setup = stripe.start_card_setup(customer, "setup-1")
    assert setup.client_secret.startswith(setup.setup_ref)
    stripe_server.complete_setup(setup.setup_ref, "pm_card_visa")
    card = stripe.finish_card_setup(customer, setup.setup_ref)
    assert (card.provider_token, card.brand, card.last4) == ("pm_card_visa", "visa", "4242")


def test_success_is_charged_once_per_key(
    stripe: StripePayments, stripe_server: StripeServer
) -> None:
    intent = pay(stripe, "pm_card_visa", "ok")
    assert pay(stripe, "pm_card_visa", "ok") == intent  # the same key: the same intent
    assert stripe_server.intent(intent)["status"] == "requires_confirmation"  # nothing charged
    first = stripe.confirm_payment(intent, "ok:confirm")
    again = stripe.confirm_payment(intent, "ok:confirm")
    assert first == again
    assert (first.status, first.payment_ref) == (PaymentStatus.SUCCEEDED, intent)
    assert stripe_server.charged.count(intent) == 1
    assert stripe_server.intent(intent)["amount"] == 1_250


def test_a_decline_says_why(stripe: StripePayments) -> None:
    intent = pay(stripe, "pm_card_chargeDeclinedInsufficientFunds", "poor")
    state = stripe.confirm_payment(intent, "poor:confirm")
    assert state.status == PaymentStatus.DECLINED
    assert state.reason == "card_declined: insufficient_funds"
    assert stripe.payment_state(intent).status == PaymentStatus.DECLINED


def test_a_payment_never_authenticated_is_cancelled_once_completed_is_not(
    stripe: StripePayments, stripe_server: StripeServer
) -> None:
    waiting = pay(stripe, "pm_card_authenticationRequired", "3ds-late")
    assert stripe.confirm_payment(waiting, "3ds-late:confirm").status == (
        PaymentStatus.REQUIRES_ACTION
    )
    cancelled = stripe.cancel_payment(waiting, "3ds-late:cancel")
    assert cancelled.status == PaymentStatus.DECLINED
    assert stripe_server.intent(waiting)["status"] == "canceled"
    assert stripe.cancel_payment(waiting, "3ds-late:cancel") == cancelled  # the same key
    completed = pay(stripe, "pm_card_authenticationRequired", "3ds-done")
    stripe.confirm_payment(completed, "3ds-done:confirm")
    stripe_server.authenticate(completed)
    assert stripe.cancel_payment(completed, "3ds-done:cancel").status == PaymentStatus.SUCCEEDED


def test_3d_secure_asks_for_the_customer_then_an_event_decides(
    stripe: StripePayments, stripe_server: StripeServer
) -> None:
    intent = pay(stripe, "pm_card_authenticationRequired", "3ds")
    state = stripe.confirm_payment(intent, "3ds:confirm")
    assert state.status == PaymentStatus.REQUIRES_ACTION
    assert state.action_secret.startswith(intent)
    body, signature = stripe_server.event(
        "payment_intent.succeeded", stripe_server.authenticate(intent)
    )
    event = stripe.parse_event(body, signature)
    assert (event.kind, event.payment_ref) == ("payment_succeeded", intent)


def test_a_timeout_after_the_charge_went_through_is_read_back_by_id(
    stripe: StripePayments, stripe_server: StripeServer
) -> None:
    intent = pay(stripe, "pm_card_visa", "slow")
    with stripe_server.holding_confirms(), pytest.raises(Unavailable):
        stripe.confirm_payment(intent, "slow:confirm")
    assert stripe_server.charged.count(intent) == 1
    state = stripe.payment_state(intent)
    assert state.status == PaymentStatus.SUCCEEDED
    # Confirming again with the same key answers the first outcome: no second charge.
    assert stripe.confirm_payment(intent, "slow:confirm").status == PaymentStatus.SUCCEEDED
    assert stripe_server.charged.count(intent) == 1


def test_webhooks_verify_their_signature_and_read_refunds_and_disputes(
    stripe: StripePayments, stripe_server: StripeServer
) -> None:
    intent = pay(stripe, "pm_card_visa", "hooks", amount_minor=5_000)
    stripe.confirm_payment(intent, "hooks:confirm")
    body, signature = stripe_server.event("charge.refunded", stripe_server.refund(intent, 1_000))
    refunded = stripe.parse_event(body, signature)
    assert (refunded.kind, refunded.amount_minor, refunded.currency_code) == (
        "refunded",
        1_000,
        "USD",
    )
    assert stripe.parse_event(body, signature).event_id == refunded.event_id
    body, signature = stripe_server.event(
        "charge.dispute.created", stripe_server.dispute(intent, 4_000)
    )
    disputed = stripe.parse_event(body, signature)
    assert (disputed.kind, disputed.amount_minor, disputed.dispute_ref) == (
        "dispute_opened",
        4_000,
        f"dp_{intent}",
    )
    forged, forged_signature = stripe_server.event(
        "charge.refunded", stripe_server.refund(intent, 1), secret="whsec_someone_else"
    )
    with pytest.raises(InvalidEventSignature):
        stripe.parse_event(forged, forged_signature)
    with pytest.raises(InvalidEventSignature):
        stripe.parse_event(body.replace(b"4000", b"4001"), signature)
    ignored_body, ignored_signature = stripe_server.event("customer.created", {"id": "cus_1"})
    assert stripe.parse_event(ignored_body, ignored_signature).kind == "ignored"


def test_keys_are_required_and_named() -> None:
    with pytest.raises(ConfigError, match="STRIPE_SECRET_KEY"):
        StripeSettings.from_env(Env({}))
    with pytest.raises(ConfigError, match="STRIPE_WEBHOOK_SECRET"):
        StripeSettings.from_env(Env({"STRIPE_SECRET_KEY": "sk_test_x"}))
    keys = {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}
    with pytest.raises(ConfigError, match="STRIPE_PUBLISHABLE_KEY"):
        StripeSettings.from_env(Env(keys))
    with pytest.raises(ConfigError, match="STRIPE_PUBLISHABLE_KEY"):
        StripeSettings.from_env(Env({**keys, "STRIPE_PUBLISHABLE_KEY": "sk_test_x"}))
    settings = StripeSettings.from_env(Env({**keys, "STRIPE_PUBLISHABLE_KEY": "pk_test_x"}))
    assert StripePayments(settings).publishable_key == "pk_test_x"


def test_a_removed_card_is_detached_once_and_can_no_longer_be_charged(
    stripe: StripePayments, stripe_server: StripeServer
) -> None:
    customer = stripe.ensure_customer("acme", "customer:acme")
    setup = stripe.start_card_setup(customer, "setup-detach")
    stripe_server.complete_setup(setup.setup_ref, "pm_card_detached")
    card = stripe.finish_card_setup(customer, setup.setup_ref)
    stripe.detach_card(card.provider_token, "detach-1")
    stripe.detach_card(card.provider_token, "detach-1")  # a retry with its key
    stripe.detach_card(card.provider_token, "detach-2")  # gone already: not an error
    stripe.detach_card("pm_never_seen", "detach-3")
    assert stripe_server.detached == ["pm_card_detached"]
    intent = pay(stripe, card.provider_token, "after-detach")
    with pytest.raises(FailedPrecondition):
        stripe.confirm_payment(intent, "after-detach:confirm")
    assert intent not in stripe_server.charged
