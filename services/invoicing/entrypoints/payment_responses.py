"""The payments' plain results as protobuf responses (and back, for answers kept by key)."""

from __future__ import annotations

from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb

from services.invoicing.service.commands.payments import CardOnFile, CardSetupStarted


def card_message(card: CardOnFile) -> invoice_pb2.PaymentMethod:
    return invoice_pb2.PaymentMethod(
        payment_method_id=card.payment_method_id,
        account_id=card.account_id,
        kind=invoice_pb2.PAYMENT_METHOD_KIND_CARD,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        is_default=card.is_default,
    )


def card_on_file(message: invoice_pb2.PaymentMethod) -> CardOnFile:
    return CardOnFile(
        payment_method_id=message.payment_method_id,
        account_id=message.account_id,
        brand=message.brand,
        last4=message.last4,
        exp_month=message.exp_month,
        exp_year=message.exp_year,
        is_default=message.is_default,
    )


def card_added(card: CardOnFile) -> pb.AddPaymentMethodResponse:
    return pb.AddPaymentMethodResponse(payment_method=card_message(card))


def card_removed(card: CardOnFile) -> pb.RemovePaymentMethodResponse:
    return pb.RemovePaymentMethodResponse(payment_method=card_message(card))


def default_set(card: CardOnFile) -> pb.SetDefaultPaymentMethodResponse:
    return pb.SetDefaultPaymentMethodResponse(payment_method=card_message(card))


def cards_listed(cards: list[CardOnFile]) -> pb.ListPaymentMethodsResponse:
    return pb.ListPaymentMethodsResponse(payment_methods=[card_message(card) for card in cards])


def setup_started(setup: CardSetupStarted) -> pb.StartCardSetupResponse:
    return pb.StartCardSetupResponse(
        setup_id=setup.setup_id,
        client_secret=setup.client_secret,
        provider=setup.provider,
        publishable_key=setup.publishable_key,
    )
